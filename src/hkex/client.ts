// The HKEX client: fetches one page at a time and says what it is, so callers only ever see
// a final outcome (ok, alert, rejected, or unavailable for now).
//
// HTTP is undici's Pool: keep-alive connections to one origin, at most `connections` of them.
// Retries are done here rather than by undici's RetryAgent/retry interceptor (evaluated): its
// default backoff has no jitter, it retries below our rate limiter (so retries would not count
// against the polite request rate), and a page also needs retrying for reasons HTTP cannot see
// (a body cut short, a maintenance notice, stale form tokens). One retry loop covers them all,
// and counts every retry for the run report.
import { Pool, errors as undiciErrors, type Dispatcher } from "undici";
import { assertIsoDate, assertStockCode } from "../lib/validate.ts";
import { backoffDelay, parseRetryAfter, RateLimiter, sleep, type BackoffOptions } from "./http-policy.ts";
import { extractFormFields, parseHoldingsPage, parsePartList, parseSouthboundPage, parseStockList } from "./parse.ts";
import type { HoldingsPage, PageError, ParticipantListPage, SouthboundPage, StockListPage } from "./types.ts";

export const DEFAULT_BASE_URL = "https://www3.hkexnews.hk";
export const PROJECT_URL = "https://github.com/ccass-observatory/ccass-observatory";
export const USER_AGENT = userAgentFor(PROJECT_URL);

function userAgentFor(url: string): string {
  return `ccass-observatory/0.1 (open CCASS dataset; +${url})`;
}

/**
 * The User-Agent a run sends unless told otherwise. Inside GitHub Actions it names the fork that
 * runs it (GITHUB_SERVER_URL/GITHUB_REPOSITORY), so HKEX can tell whose scraper is knocking and
 * whom to contact; elsewhere it names the project.
 */
export function defaultUserAgent(env: NodeJS.ProcessEnv = process.env): string {
  const repo = env.GITHUB_REPOSITORY;
  if (repo && /^[\w.-]+\/[\w.-]+$/.test(repo)) {
    const server = env.GITHUB_SERVER_URL && /^https:\/\/[\w.-]+$/.test(env.GITHUB_SERVER_URL) ? env.GITHUB_SERVER_URL : "https://github.com";
    return userAgentFor(`${server}/${repo}`);
  }
  return USER_AGENT;
}

/**
 * The largest response read, bytes: far above any real page (the largest holdings page, about
 * 650 participants, is under 1 MB), far below what would exhaust memory when a misbehaving server,
 * proxy or captive portal streams without end. `--max-response-bytes` changes it.
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
/** How much of an oversized response is kept as evidence (in `_rejects/`). */
export const OVERSIZED_EVIDENCE_BYTES = 64 * 1024;

export const PATHS = {
  search: "/sdw/search/searchsdw.aspx",
  stockList: (yyyymmdd: string) => `/sdw/search/stocklist.aspx?sortby=stockcode&shareholdingdate=${yyyymmdd}`,
  partList: (yyyymmdd: string) => `/sdw/search/partlist.aspx?sortby=partid&shareholdingdate=${yyyymmdd}`,
  southbound: "/sdw/search/mutualmarket.aspx?t=hk",
} as const;

/**
 * The politeness the README promises, in one place: the client, `runScrape` and the CLI's option
 * defaults all read it (tests/scrape-politeness.test.ts holds them to it).
 */
export const CLIENT_DEFAULTS = {
  /** keep-alive connections (and pages in flight), at most */
  connections: 4,
  /** requests per second, every connection and every retry together */
  rate: 2,
  /** retries per page */
  maxRetries: 6,
  /** headers and body timeouts, ms */
  timeoutMs: 30_000,
} as const;

export interface ClientOptions {
  baseUrl?: string;
  /** keep-alive connections, at most */
  connections?: number;
  /** requests per second across all connections (<= 0: unlimited) */
  rate?: number;
  userAgent?: string;
  /** headers and body timeouts, ms */
  timeoutMs?: number;
  /** responses longer than this (bytes) are not read further: the page is rejected as `oversized` */
  maxResponseBytes?: number;
  /** retries of one page for network errors, 5xx/429 and broken pages */
  maxRetries?: number;
  backoff?: BackoffOptions;
  /** maintenance notices tolerated per page before giving up for this run */
  maintenanceRetries?: number;
  /** pause after a maintenance notice, ms (doubles each time) */
  maintenancePauseMs?: number;
  /** fresh-token attempts per page when a POST comes back as the bare form */
  tokenRefreshes?: number;
  onEvent?: (event: ClientEvent) => void;
  /** stop: pages not yet answered come back `unavailable` ("stopped") at the next attempt or pause */
  signal?: AbortSignal;
}

export type ClientEvent =
  | { type: "retry"; what: string; reason: string; attempt: number; delayMs: number }
  | { type: "token-refresh"; form: string }
  | { type: "maintenance"; what: string; pauseMs: number };

/**
 * The final word on one page. `unavailable` pages stay pending: a later run tries them again.
 * `rejected` reasons start with their kind: `HTTP 404`, `incomplete: …`, `oversized: …`, ….
 */
export type Fetched<T> =
  | { status: "ok"; page: T; raw: string; attempts: number }
  | { status: "alert"; message: string; raw: string; attempts: number }
  | { status: "rejected"; reason: string; raw: string; attempts: number }
  | { status: "unavailable"; reason: string; attempts: number };

export interface ClientStats {
  requests: number;
  retries: Record<string, number>;
  tokenRefreshes: number;
  maintenancePauses: number;
  bytes: number;
}

/** HTTP statuses worth retrying: overload and server errors. */
const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);

interface RawResponse {
  status: number;
  body: string;
  retryAfterMs: number | null;
}

/** A failure worth retrying: the network, an overloaded server, a broken page. */
class Transient {
  constructor(
    readonly reason: string,
    readonly raw: string | null,
    readonly retryAfterMs: number | null = null,
  ) {}
}

/** The run is stopping: no new request goes out. */
class Stopped extends Error {}

/** A response past the size ceiling: not retried (it would cost as much again), rejected with its first bytes. */
class Oversized {
  constructor(
    readonly reason: string,
    readonly firstBytes: string,
    readonly bytesRead: number,
  ) {}
}

interface FormTokens {
  fields: Record<string, string>;
  generation: number;
}

/** YYYY/MM/DD as the search form wants it. */
const slashDate = (date: string) => assertIsoDate(date).replaceAll("-", "/");
const compactDate = (date: string) => assertIsoDate(date).replaceAll("-", "");

export class HkexClient {
  readonly stats: ClientStats = { requests: 0, retries: {}, tokenRefreshes: 0, maintenancePauses: 0, bytes: 0 };
  private readonly pool: Pool;
  private readonly basePath: string;
  private readonly limiter: RateLimiter;
  private readonly opts: Required<Omit<ClientOptions, "onEvent" | "baseUrl" | "signal">>;
  private readonly signal: AbortSignal | undefined;
  private readonly onEvent: (e: ClientEvent) => void;
  private readonly forms = new Map<string, Promise<FormTokens>>();
  private formGeneration = 0;

  constructor(options: ClientOptions = {}) {
    const base = new URL(options.baseUrl ?? DEFAULT_BASE_URL);
    this.basePath = base.pathname.replace(/\/+$/, "");
    this.opts = {
      connections: options.connections ?? CLIENT_DEFAULTS.connections,
      rate: options.rate ?? CLIENT_DEFAULTS.rate,
      userAgent: options.userAgent ?? defaultUserAgent(),
      timeoutMs: options.timeoutMs ?? CLIENT_DEFAULTS.timeoutMs,
      maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
      maxRetries: options.maxRetries ?? CLIENT_DEFAULTS.maxRetries,
      backoff: options.backoff ?? { minMs: 500, maxMs: 30_000 },
      maintenanceRetries: options.maintenanceRetries ?? 3,
      maintenancePauseMs: options.maintenancePauseMs ?? 60_000,
      tokenRefreshes: options.tokenRefreshes ?? 3,
    };
    this.pool = new Pool(base.origin, {
      connections: this.opts.connections,
      keepAliveTimeout: 30_000,
      headersTimeout: this.opts.timeoutMs,
      bodyTimeout: this.opts.timeoutMs,
    });
    this.limiter = new RateLimiter(this.opts.rate);
    this.onEvent = options.onEvent ?? (() => {});
    this.signal = options.signal;
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  /** One stock's holdings on one date (POST of the search form). */
  holdings(date: string, stockCode: string): Promise<Fetched<HoldingsPage>> {
    const code = assertStockCode(stockCode);
    return this.fetchPage(`holdings ${code} ${date}`, {
      form: PATHS.search,
      post: { txtShareholdingDate: slashDate(date), txtStockCode: code, __EVENTTARGET: "btnSearch", __EVENTARGUMENT: "" },
      parse: parseHoldingsPage,
      check: (p) =>
        p.stockCode !== code
          ? `page is for stock ${p.stockCode}, requested ${code}`
          : p.date !== date
            ? `page is for ${p.date}, requested ${date}`
            : null,
    });
  }

  stockList(date: string): Promise<Fetched<StockListPage>> {
    return this.fetchPage(`stock list ${date}`, { get: PATHS.stockList(compactDate(date)), parse: parseStockList });
  }

  participantList(date: string): Promise<Fetched<ParticipantListPage>> {
    return this.fetchPage(`participant list ${date}`, { get: PATHS.partList(compactDate(date)), parse: parsePartList });
  }

  /** The southbound (Stock Connect) holdings table of one date (POST of the mutual-market form). */
  southbound(date: string): Promise<Fetched<SouthboundPage>> {
    return this.fetchPage(`southbound ${date}`, {
      form: PATHS.southbound,
      post: { txtShareholdingDate: slashDate(date), __EVENTTARGET: "btnSearch", __EVENTARGUMENT: "" },
      parse: parseSouthboundPage,
      check: (p) => (p.date !== date ? `page is for ${p.date}, requested ${date}` : null),
    });
  }

  private async fetchPage<T>(
    what: string,
    req: {
      get?: string;
      form?: string;
      post?: Record<string, string>;
      parse: (text: string) => T | PageError;
      check?: (page: T) => string | null;
    },
  ): Promise<Fetched<T>> {
    let failures = 0;
    let maintenance = 0;
    let refreshes = 0;
    for (let attempt = 1; ; attempt++) {
      if (this.signal?.aborted) return { status: "unavailable", reason: "stopped", attempts: attempt - 1 };
      let outcome: T | PageError;
      let raw: string;
      let tokens: FormTokens | null = null;
      try {
        let res: RawResponse;
        if (req.form && req.post) {
          tokens = await this.tokens(req.form);
          res = await this.send("POST", req.form, { ...tokens.fields, ...req.post });
        } else {
          res = await this.send("GET", req.get!);
        }
        raw = res.body;
        if (RETRY_STATUS.has(res.status)) throw new Transient(`HTTP ${res.status}`, null, res.retryAfterMs);
        if (res.status !== 200) return { status: "rejected", reason: `HTTP ${res.status}`, raw, attempts: attempt };
        outcome = req.parse(raw);
        if (!isError(outcome)) {
          const problem = req.check?.(outcome) ?? null;
          if (problem === null) return { status: "ok", page: outcome, raw, attempts: attempt };
          throw new Transient(`inconsistent: ${problem}`, raw);
        }
        if (outcome.error === "alert") return { status: "alert", message: outcome.message, raw, attempts: attempt };
        if (outcome.error === "maintenance") {
          maintenance++;
          if (maintenance > this.opts.maintenanceRetries)
            return { status: "unavailable", reason: "maintenance", attempts: attempt };
          const pauseMs = this.opts.maintenancePauseMs * 2 ** (maintenance - 1);
          this.stats.maintenancePauses++;
          this.onEvent({ type: "maintenance", what, pauseMs });
          this.limiter.pauseAll(pauseMs);
          if (req.form) this.forms.delete(req.form); // the form after maintenance may carry new tokens
          continue;
        }
        // A POST answered by the bare form (no result, no alert): the tokens have gone stale.
        if (outcome.error === "no-result" && tokens && req.form && refreshes < this.opts.tokenRefreshes) {
          refreshes++;
          this.refreshTokens(req.form, tokens.generation);
          continue;
        }
        throw new Transient(outcome.error + (outcome.reason ? `: ${outcome.reason}` : ""), raw);
      } catch (err) {
        if (err instanceof Stopped) return { status: "unavailable", reason: "stopped", attempts: attempt - 1 };
        if (err instanceof Oversized) return { status: "rejected", reason: err.reason, raw: err.firstBytes, attempts: attempt };
        const t = err instanceof Transient ? err : networkTransient(err);
        failures++;
        const brokenPage = t.raw !== null;
        if (failures > this.opts.maxRetries) {
          if (brokenPage) return { status: "rejected", reason: t.reason, raw: t.raw!, attempts: attempt };
          return { status: "unavailable", reason: t.reason, attempts: attempt };
        }
        const delayMs = backoffDelay(failures, this.opts.backoff, t.retryAfterMs);
        if (t.retryAfterMs !== null) this.limiter.pauseAll(delayMs);
        const kind = t.reason.split(":")[0]!;
        this.stats.retries[kind] = (this.stats.retries[kind] ?? 0) + 1;
        this.onEvent({ type: "retry", what, reason: t.reason, attempt: failures, delayMs });
        await sleep(delayMs, this.signal);
      }
    }
  }

  /** The form's fields, fetched once and shared by every POST until they go stale. */
  private tokens(form: string): Promise<FormTokens> {
    return this.forms.get(form) ?? this.cacheForm(form, this.fetchForm(form));
  }

  /**
   * Replace stale tokens once, however many requests noticed them at the same time: the first
   * caller chains a fetch; later callers find a newer generation and reuse it.
   */
  private refreshTokens(form: string, staleGeneration: number): void {
    const current = this.forms.get(form);
    const next = current
      ? current.then(
          (t) => (t.generation === staleGeneration ? this.refetchForm(form) : t),
          () => this.refetchForm(form),
        )
      : this.refetchForm(form);
    this.cacheForm(form, next);
  }

  private refetchForm(form: string): Promise<FormTokens> {
    this.stats.tokenRefreshes++;
    this.onEvent({ type: "token-refresh", form });
    return this.fetchForm(form);
  }

  /** Cache a pending form fetch; a failed one is dropped so the next POST tries again. */
  private cacheForm(form: string, p: Promise<FormTokens>): Promise<FormTokens> {
    this.forms.set(form, p);
    p.catch(() => {
      if (this.forms.get(form) === p) this.forms.delete(form);
    });
    return p;
  }

  private async fetchForm(form: string): Promise<FormTokens> {
    const res = await this.send("GET", form);
    if (res.status !== 200) throw new Transient(`HTTP ${res.status} for the search form`, null, res.retryAfterMs);
    const fields = extractFormFields(res.body);
    if (Object.keys(fields).length === 0) throw new Transient("no-result: the search form has no fields", null);
    return { fields, generation: ++this.formGeneration };
  }

  private async send(method: "GET" | "POST", path: string, form?: Record<string, string>): Promise<RawResponse> {
    await this.limiter.take(this.signal);
    if (this.signal?.aborted) throw new Stopped();
    this.stats.requests++;
    const headers: Record<string, string> = { "user-agent": this.opts.userAgent, accept: "text/html,application/json" };
    let body: string | undefined;
    if (form) {
      body = new URLSearchParams(form).toString();
      headers["content-type"] = "application/x-www-form-urlencoded";
    }
    const res = await this.pool.request({ method, path: this.basePath + path, headers, body });
    let bytes: Buffer;
    try {
      bytes = await readCapped(res, this.opts.maxResponseBytes);
    } catch (err) {
      if (err instanceof Oversized) this.stats.bytes += err.bytesRead;
      throw err;
    }
    this.stats.bytes += bytes.length;
    return { status: res.statusCode, body: bytes.toString("utf8"), retryAfterMs: parseRetryAfter(res.headers["retry-after"]) };
  }
}

/**
 * A response body, whole, unless it is longer than `max` bytes: then reading stops (the connection
 * is dropped) and Oversized carries the first bytes. A Content-Length above `max` stops it as soon
 * as the evidence is read; without one, it stops at the first chunk past `max`.
 */
async function readCapped(res: Dispatcher.ResponseData, max: number): Promise<Buffer> {
  const declared = Number(res.headers["content-length"]);
  const stopAt = Number.isFinite(declared) && declared > max ? Math.min(max, OVERSIZED_EVIDENCE_BYTES) : max;
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of res.body) {
    chunks.push(chunk as Buffer);
    length += (chunk as Buffer).length;
    if (length > stopAt) break;
  }
  const all = Buffer.concat(chunks);
  if (length <= max && stopAt === max) return all;
  res.body.destroy();
  const kept = all.subarray(0, OVERSIZED_EVIDENCE_BYTES);
  const size = stopAt === max ? `more than ${max}` : `${declared} (Content-Length), more than ${max}`;
  throw new Oversized(`oversized: response of ${size} bytes, not read further; its first ${kept.length} bytes are kept`, kept.toString("utf8"), length);
}

function isError<T>(x: T | PageError): x is PageError {
  return typeof x === "object" && x !== null && "error" in x;
}

/**
 * Network-level failures (resets, timeouts, refused connections: undici's errors and system errors
 * with a `code`) are worth a retry. Anything else is a bug, rethrown: retried as "network" it would
 * leave the page unavailable run after run and hide the bug.
 */
function networkTransient(err: unknown): Transient {
  if (err instanceof undiciErrors.UndiciError || (err instanceof Error && "code" in err)) {
    const code = (err as { code?: string }).code ?? err.name;
    return new Transient(`network: ${code}`, null);
  }
  throw err;
}
