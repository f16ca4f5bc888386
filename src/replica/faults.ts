// Faults the replica injects on request, so the client's retries, backoff and page checks can be
// tested: a share of failed responses, a request-rate limit, a maintenance window, oversized bodies.
import { assertStockCode, InvalidValueError } from "../lib/validate.ts";
import { Rng } from "./random.ts";

export class FaultOptionError extends RangeError {
  override readonly name = "FaultOptionError";
}

export type FaultKind = "500" | "503" | "reset" | "cut";
export const FAULT_KINDS: readonly FaultKind[] = ["500", "503", "reset", "cut"];

/** Draws, per request, whether it fails and how: the four kinds equally often. Seeded, so reproducible. */
export class FaultPicker {
  private readonly rng: Rng;

  constructor(
    private readonly rate: number,
    seed: number,
  ) {
    if (!(rate >= 0 && rate <= 1)) throw new FaultOptionError(`fault rate must be from 0 to 1, got ${rate}`);
    this.rng = Rng.of(seed, "faults");
  }

  next(): FaultKind | null {
    if (this.rate === 0) return null;
    if (this.rng.next() >= this.rate) return null;
    return FAULT_KINDS[this.rng.int(FAULT_KINDS.length)] as FaultKind;
  }

  /** Where to cut a page: between 20% and 80% of its length, so the cut is never the whole page. */
  cutPoint(length: number): number {
    return Math.max(1, Math.floor(length * this.rng.range(0.2, 0.8)));
  }
}

/**
 * Token bucket: `perSecond` requests per second on average, bursts up to `perSecond`.
 * `take` answers 0 when the request may go ahead, otherwise the seconds to wait (Retry-After).
 */
export class RateLimiter {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perSecond: number,
    now: number,
  ) {
    if (!(perSecond > 0)) throw new FaultOptionError(`rate limit must be above 0 requests/s, got ${perSecond}`);
    this.tokens = Math.max(1, perSecond);
    this.last = now;
  }

  take(nowMs: number): number {
    const capacity = Math.max(1, this.perSecond);
    this.tokens = Math.min(capacity, this.tokens + ((nowMs - this.last) / 1000) * this.perSecond);
    this.last = nowMs;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - this.tokens) / this.perSecond));
  }
}

export interface TimeWindow {
  from: number;
  to: number;
}

const OFFSET = /^\+(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function parseInstant(text: string, startMs: number): number {
  const m = OFFSET.exec(text);
  if (m) return startMs + Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  // ISO date-times only (a bare date would be midnight UTC, which is rarely what was meant).
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(text)) throw new FaultOptionError(`maintenance bound ${JSON.stringify(text)} is neither an ISO date-time nor an offset like +30s`);
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new FaultOptionError(`maintenance bound ${JSON.stringify(text)} is not a valid date-time`);
  return t;
}

/** "FROM..TO": ISO date-times ("2026-11-23T10:00:00Z") or offsets from `startMs` ("+0s", "+1.5m"). */
export function parseMaintenanceWindow(spec: string, startMs: number): TimeWindow {
  const parts = spec.split("..");
  if (parts.length !== 2 || !parts[0] || !parts[1]) throw new FaultOptionError(`maintenance window must be FROM..TO, got ${JSON.stringify(spec)}`);
  const from = parseInstant(parts[0].trim(), startMs);
  const to = parseInstant(parts[1].trim(), startMs);
  if (!(to > from)) throw new FaultOptionError(`maintenance window ends before it starts: ${JSON.stringify(spec)}`);
  return { from, to };
}

export function inWindow(w: TimeWindow | null, nowMs: number): boolean {
  return w !== null && nowMs >= w.from && nowMs < w.to;
}

/**
 * The "oversized" fault: a holdings search for one of `stocks` answers its page followed by
 * filler, `bytes` in all, streamed without a Content-Length, as a misbehaving server, proxy or
 * captive portal might; the client must stop reading at its ceiling (16 MiB by default).
 */
export interface OversizedFault {
  stocks: ReadonlySet<string>;
  bytes: number;
}

export const DEFAULT_OVERSIZED_BYTES = 20 * 1024 * 1024;

export function oversizedFault(stocks: readonly string[], bytes: number = DEFAULT_OVERSIZED_BYTES): OversizedFault {
  if (!(Number.isInteger(bytes) && bytes > 0)) throw new FaultOptionError(`oversized body must be a whole number of bytes above 0, got ${bytes}`);
  try {
    return { stocks: new Set(stocks.map(assertStockCode)), bytes };
  } catch (err) {
    if (err instanceof InvalidValueError) throw new FaultOptionError(`oversized: ${err.message}`);
    throw err;
  }
}
