// ASP.NET-style form tokens (__VIEWSTATE, __EVENTVALIDATION) for the replica's search forms.
// Stateless: a token carries its issue time and an HMAC under a per-server secret, so the server
// keeps no table of issued tokens however many forms a client fetches. Base64 with + / = like the
// real site, so a client that does not form-encode its POST breaks here as it would on HKEX.
import { createHmac, randomBytes } from "node:crypto";
import type { FormTokens } from "./render.ts";

const VIEWSTATE_PREFIX = "/wEPDwUKMTY0NjY0";
const VALIDATION_PREFIX = "/wEdAAd";

export type TokenCheck = "ok" | "stale" | "invalid";

export class TokenIssuer {
  private readonly secret: Buffer;

  /** ttlSeconds 0 or less: tokens never expire. */
  constructor(
    private readonly ttlSeconds: number,
    secret: Buffer = randomBytes(32),
  ) {
    this.secret = secret;
  }

  private mac(text: string): string {
    return createHmac("sha256", this.secret).update(text).digest("base64");
  }

  issue(nowMs: number): FormTokens {
    const payload = `${Math.floor(nowMs)}.${randomBytes(6).toString("base64")}`;
    const mac = this.mac(payload);
    const viewState = VIEWSTATE_PREFIX + Buffer.from(`${payload}|${mac}`).toString("base64");
    return { viewState, eventValidation: VALIDATION_PREFIX + this.mac(`ev:${viewState}`) };
  }

  check(viewState: string | null, eventValidation: string | null, nowMs: number): TokenCheck {
    if (!viewState || !eventValidation || !viewState.startsWith(VIEWSTATE_PREFIX)) return "invalid";
    const decoded = Buffer.from(viewState.slice(VIEWSTATE_PREFIX.length), "base64").toString();
    const bar = decoded.lastIndexOf("|");
    if (bar < 0) return "invalid";
    const payload = decoded.slice(0, bar);
    if (this.mac(payload) !== decoded.slice(bar + 1)) return "invalid";
    if (eventValidation !== VALIDATION_PREFIX + this.mac(`ev:${viewState}`)) return "invalid";
    const issuedMs = Number(payload.slice(0, payload.indexOf(".")));
    if (!Number.isFinite(issuedMs)) return "invalid";
    if (this.ttlSeconds > 0 && nowMs - issuedMs > this.ttlSeconds * 1000) return "stale";
    return "ok";
  }
}
