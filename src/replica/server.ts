// The local HKEX replica: an HTTP server answering like www3.hkexnews.hk's CCASS pages (paths under
// /sdw/search/), from the synthetic market, with faults on request and the ground truth under /__truth/.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { FaultPicker, inWindow, oversizedFault, parseMaintenanceWindow, RateLimiter, type OversizedFault, type TimeWindow } from "./faults.ts";
import { createMarket, type MarketOptions, type ReplicaMarket } from "./market.ts";
import {
  ALERT_DATE_RANGE,
  ALERT_INVALID_STOCK,
  renderMaintenancePage,
  renderSearchPage,
  renderSouthboundPage,
  type FormState,
  type Lang,
} from "./render.ts";
import { TokenIssuer } from "./tokens.ts";

export interface ReplicaOptions extends MarketOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Share of /sdw/ responses that fail (500, 503, connection reset, or a page cut short with status 200). */
  faultRate?: number;
  /** Requests per second above which /sdw/ answers 429 with Retry-After. */
  rateLimit?: number;
  /** Added to every /sdw/ response, milliseconds. */
  latencyMs?: number;
  /** "FROM..TO" (ISO date-times, or offsets from start like "+0s..+3s"): the maintenance page in that window. */
  maintenance?: string;
  /** Holdings searches for these stocks answer a body of `bytes` (default 20 MiB), streamed (faults.ts). */
  oversized?: { stocks: readonly string[]; bytes?: number };
  /** Form tokens older than this are stale (a POST gets the plain form back). 0: never. */
  tokenTtlSeconds?: number;
  /** Use this market instead of building one from the options (tests reuse one). */
  market?: ReplicaMarket;
  /** After listening, simulate every stock in the background (default true), so no page waits for it. */
  warmUp?: boolean;
  /** Keep a log of every /sdw/ request (handler.requestLog): for tests that judge a client by what reached the server. */
  requestLog?: boolean;
}

/** One /sdw/ request as the replica saw it. */
export interface LoggedRequest {
  /** arrival, ms since the epoch (the replica's clock, taken before any work on the request) */
  at: number;
  /** which client connection carried it: 1 for the first the server accepted, 2 for the next… */
  connection: number;
  method: string;
  path: string;
  /** the status sent, or null when the connection was reset (a fault) or the client left first */
  status: number | null;
}

export interface RunningReplica {
  url: string;
  market: ReplicaMarket;
  close(): Promise<void>;
}

/** Counters of what the replica answered, for tests and the bench. */
export interface ReplicaStats {
  requests: number;
  pages: number;
  faults: Record<string, number>;
  rateLimited: number;
  maintenance: number;
  /** /sdw/ requests (429s and faults included), and when the first and the last came (ms since the epoch): a client's real rate */
  sdwRequests: number;
  firstSdwAt: number | null;
  lastSdwAt: number | null;
  /** most client connections open at the same time */
  peakConnections: number;
}

const MAX_BODY_BYTES = 64 * 1024;

class Reply {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly type: string,
    readonly headers: Record<string, string> = {},
  ) {}
}

const html = (body: string, status = 200): Reply => new Reply(status, body, "text/html; charset=utf-8");
const json = (value: unknown, status = 200): Reply => new Reply(status, JSON.stringify(value), "application/json; charset=utf-8");
const text = (body: string, status: number, headers: Record<string, string> = {}): Reply => new Reply(status, body, "text/plain; charset=utf-8", headers);

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        resolve(null);
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** "YYYY/MM/DD" (the form) or "YYYYMMDD" (the JSON lists) → "YYYY-MM-DD", or null. */
export function formDateToIso(s: string | null | undefined): string | null {
  if (!s) return null;
  const m = /^(\d{4})\/?(\d{2})\/?(\d{2})$/.exec(s.trim());
  return m ? `${m[1]}-${m[2]}-${m[3]}` : null;
}

export class ReplicaHandler {
  readonly stats: ReplicaStats = {
    requests: 0,
    pages: 0,
    faults: {},
    rateLimited: 0,
    maintenance: 0,
    sdwRequests: 0,
    firstSdwAt: null,
    lastSdwAt: null,
    peakConnections: 0,
  };
  private readonly tokens: TokenIssuer;
  private readonly faults: FaultPicker;
  private readonly limiter: RateLimiter | null;
  private readonly maintenance: TimeWindow | null;
  private readonly latencyMs: number;
  private readonly oversized: OversizedFault | null;
  /** Every /sdw/ request in arrival order, when opts.requestLog is set. */
  readonly requestLog: LoggedRequest[] | null;
  private readonly connectionIds = new WeakMap<Socket, number>();
  private connections = 0;
  private openConnections = 0;

  constructor(
    readonly market: ReplicaMarket,
    opts: ReplicaOptions,
    startMs: number = Date.now(),
  ) {
    this.tokens = new TokenIssuer(opts.tokenTtlSeconds ?? 0);
    this.faults = new FaultPicker(opts.faultRate ?? 0, opts.seed);
    this.limiter = opts.rateLimit ? new RateLimiter(opts.rateLimit, startMs) : null;
    this.maintenance = opts.maintenance ? parseMaintenanceWindow(opts.maintenance, startMs) : null;
    this.oversized = opts.oversized ? oversizedFault(opts.oversized.stocks, opts.oversized.bytes) : null;
    this.latencyMs = opts.latencyMs ?? 0;
    this.requestLog = opts.requestLog ? [] : null;
    if (!(this.latencyMs >= 0)) throw new RangeError(`latency must be 0 ms or more, got ${this.latencyMs}`);
  }

  /** A client connection accepted: numbered for the request log, counted for peakConnections. */
  connected(socket: Socket): void {
    this.connectionIds.set(socket, ++this.connections);
    this.stats.peakConnections = Math.max(this.stats.peakConnections, ++this.openConnections);
    socket.once("close", () => this.openConnections--);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.stats.requests++;
    const url = new URL(req.url ?? "/", "http://replica.invalid");
    const path = url.pathname;
    const method = req.method ?? "GET";

    if (path.startsWith("/__truth/")) return this.send(res, this.truth(path));
    if (!path.startsWith("/sdw/search/")) return this.send(res, text("not found", 404));
    const arrived = Date.now();
    this.stats.sdwRequests++;
    this.stats.firstSdwAt ??= arrived;
    this.stats.lastSdwAt = arrived;
    if (this.requestLog) {
      const entry: LoggedRequest = { at: arrived, connection: this.connectionIds.get(req.socket) ?? 0, method, path, status: null };
      this.requestLog.push(entry);
      res.once("finish", () => (entry.status = res.statusCode));
    }

    if (this.limiter) {
      const wait = this.limiter.take(arrived);
      if (wait > 0) {
        this.stats.rateLimited++;
        return this.send(res, text("Too Many Requests", 429, { "retry-after": String(wait) }));
      }
    }
    const body = method === "POST" ? await readBody(req) : "";
    if (body === null) return this.send(res, text("request body too large", 413));
    if (this.latencyMs > 0) await sleep(this.latencyMs);

    const page = path.slice("/sdw/search/".length).toLowerCase();
    const lang: Lang = page === "searchsdw_c.aspx" ? "zh" : "en";
    if (inWindow(this.maintenance, Date.now())) {
      this.stats.maintenance++;
      return this.send(res, html(renderMaintenancePage(this.plainForm(lang, page === "searchsdw_c.aspx" ? "searchsdw_c.aspx" : "searchsdw.aspx"))));
    }

    const fault = this.faults.next();
    if (fault === "reset") {
      this.count(fault);
      res.socket?.destroy();
      return;
    }
    if (fault === "500" || fault === "503") {
      this.count(fault);
      return this.send(res, html(`<html><body><h1>${fault === "500" ? "Server Error" : "Service Unavailable"}</h1></body></html>`, Number(fault)));
    }

    const form = new URLSearchParams(body);
    const reply = this.route(page, method, url.searchParams, form);
    if (this.oversized?.stocks.has(form.get("txtStockCode") ?? "") && method === "POST" && page.startsWith("searchsdw") && reply.status === 200) {
      this.count("oversized");
      return this.sendOversized(res, reply, this.oversized.bytes);
    }
    if (fault === "cut" && reply.status === 200) {
      this.count(fault);
      const bytes = Buffer.from(reply.body);
      return this.sendBytes(res, reply, bytes.subarray(0, this.faults.cutPoint(bytes.length)));
    }
    return this.send(res, reply);
  }

  private count(kind: string): void {
    this.stats.faults[kind] = (this.stats.faults[kind] ?? 0) + 1;
  }

  private route(page: string, method: string, query: URLSearchParams, form: URLSearchParams): Reply {
    switch (page) {
      case "searchsdw.aspx":
      case "searchsdw_c.aspx": {
        const lang: Lang = page === "searchsdw_c.aspx" ? "zh" : "en";
        return method === "POST" ? this.search(lang, page, form) : html(renderSearchPage(this.plainForm(lang, page)));
      }
      case "stocklist.aspx":
      case "partlist.aspx": {
        const date = formDateToIso(query.get("shareholdingdate"));
        const day = date ? this.market.settlementDayFor(date) : null;
        if (!date || !day) return json([]);
        this.stats.pages++;
        if (page === "stocklist.aspx") return json(this.market.stockList(date).stocks.map((s) => ({ c: s.code, n: s.name })));
        return json(this.market.participantList(date).participants.map((p) => ({ c: p.id, n: p.name })));
      }
      case "mutualmarket.aspx":
        if (query.get("t") !== "hk") return text("only t=hk (southbound) is served by the replica", 404);
        return this.southbound(method, form);
      default:
        return text("not found", 404);
    }
  }

  private plainForm(lang: Lang, action: FormState["action"]): FormState {
    const now = Date.now();
    return {
      lang,
      action,
      tokens: this.tokens.issue(now),
      today: this.market.window.today,
      shareholdingDate: this.market.dates[this.market.dates.length - 1] as string,
    };
  }

  private search(lang: Lang, page: "searchsdw.aspx" | "searchsdw_c.aspx", form: URLSearchParams): Reply {
    const check = this.tokens.check(form.get("__VIEWSTATE"), form.get("__EVENTVALIDATION"), Date.now());
    // Like HKEX: a stale or missing token (or a post-back that is not the search button) gives the
    // plain form again, with no result and no alert.
    if (check !== "ok" || form.get("__EVENTTARGET") !== "btnSearch") return html(renderSearchPage(this.plainForm(lang, page)));
    const rawDate = form.get("txtShareholdingDate") ?? "";
    const code = (form.get("txtStockCode") ?? "").trim();
    const f: FormState = { ...this.plainForm(lang, page), shareholdingDate: rawDate, stockCode: code };
    const date = formDateToIso(rawDate);
    if (!date || this.market.settlementDayFor(date) === null) return html(renderSearchPage({ ...f, alertMsg: ALERT_DATE_RANGE[lang] }));
    f.shareholdingDate = date;
    const result = /^\d{5}$/.test(code) ? this.market.holdings(date, code) : null;
    if (!result) return html(renderSearchPage({ ...f, alertMsg: ALERT_INVALID_STOCK[lang] }));
    const details = this.market.stockDetails(code);
    const stockName = lang === "zh" && details ? details.nameZh : result.stockName;
    this.stats.pages++;
    return html(renderSearchPage({ ...f, stockName }, { ...result, stockName }));
  }

  private southbound(method: string, form: URLSearchParams): Reply {
    const base = this.plainForm("en", "mutualmarket.aspx?t=hk");
    if (method !== "POST") {
      this.stats.pages++;
      return html(renderSouthboundPage(base, this.market.southbound(base.shareholdingDate)));
    }
    const check = this.tokens.check(form.get("__VIEWSTATE"), form.get("__EVENTVALIDATION"), Date.now());
    if (check !== "ok") return html(renderSouthboundPage(base));
    const rawDate = form.get("txtShareholdingDate") ?? "";
    const date = formDateToIso(rawDate);
    if (!date || this.market.settlementDayFor(date) === null) {
      return html(renderSouthboundPage({ ...base, shareholdingDate: rawDate, alertMsg: ALERT_DATE_RANGE.en }));
    }
    this.stats.pages++;
    return html(renderSouthboundPage({ ...base, shareholdingDate: date }, this.market.southbound(date)));
  }

  private truth(path: string): Reply {
    switch (path) {
      case "/__truth/transfers.json":
        return json(this.market.truthTransfers());
      case "/__truth/corporate-actions.json":
        return json(this.market.truthCorporateActions());
      case "/__truth/lifecycle.json":
        return json(this.market.truthLifecycle());
      case "/__truth/market.json":
        return json({ options: this.market.options, dates: this.market.dates, window: this.market.window, stocks: this.market.stocks });
      case "/__truth/stats.json":
        return json(this.stats);
      default:
        return text("not found", 404);
    }
  }

  private send(res: ServerResponse, reply: Reply): void {
    this.sendBytes(res, reply, Buffer.from(reply.body));
  }

  /** The page, then spaces up to `bytes`, chunked: no Content-Length warns the client. Stops when it hangs up. */
  private async sendOversized(res: ServerResponse, reply: Reply, bytes: number): Promise<void> {
    res.writeHead(200, { "content-type": reply.type, ...reply.headers });
    const page = Buffer.from(reply.body);
    const filler = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    for (let next = page; sent < bytes && !res.destroyed; next = filler) {
      const chunk = next.subarray(0, bytes - sent);
      sent += chunk.length;
      if (!res.write(chunk)) await drainedOrClosed(res);
    }
    res.end();
  }

  private sendBytes(res: ServerResponse, reply: Reply, bytes: Buffer): void {
    res.writeHead(reply.status, { "content-type": reply.type, "content-length": String(bytes.length), ...reply.headers });
    res.end(bytes);
  }
}

/** Resolves when `res` can take more, or the client has gone; leaves no listener behind. */
function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done).off("close", done);
      resolve();
    };
    res.on("drain", done).on("close", done);
  });
}

/** Build the market (unless given) and serve it on 127.0.0.1. */
export async function startReplica(opts: ReplicaOptions): Promise<RunningReplica & { handler: ReplicaHandler }> {
  const market = opts.market ?? createMarket(opts);
  const handler = new ReplicaHandler(market, opts);
  const server = createServer((req, res) => {
    handler.handle(req, res).catch((err: unknown) => {
      // A bug in the replica must show as a 500 naming it, never as a hang.
      if (!res.headersSent) {
        res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
        res.end(`replica error: ${err instanceof Error ? err.message : String(err)}`);
      } else res.destroy();
    });
  });
  server.keepAliveTimeout = 30_000;
  server.on("connection", (socket) => handler.connected(socket));
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let closed = false;
  const warming = opts.warmUp === false ? Promise.resolve() : market.warmUp(() => closed);
  return {
    url: `http://${host}:${port}`,
    market,
    handler,
    close: async () => {
      closed = true;
      await warming;
      await new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      });
    },
  };
}
