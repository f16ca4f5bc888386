// `scrape run`: plan dates and stocks, fetch every page not yet journaled, write each date once all
// its pages have an outcome, and leave a run report. Resumable at any point (see journal.ts): the
// journal says which pages are done, writing a date is an idempotent upsert.
import { randomBytes } from "node:crypto";
import path from "node:path";
import PQueue from "p-queue";
import { CLIENT_DEFAULTS, HkexClient, type ClientOptions, type Fetched } from "../hkex/client.ts";
import { parseHoldingsPage, parsePartList, parseSouthboundPage, parseStockList } from "../hkex/parse.ts";
import type { HoldingsPage, PageError, ParticipantListPage, SouthboundPage, StockListPage } from "../hkex/types.ts";
import { writeFileAtomic } from "../lib/atomic.ts";
import { addDays, settlementDayOnOrBefore, settlementDaysBetween } from "../lib/calendar.ts";
import { assertIsoDate, InvalidValueError } from "../lib/validate.ts";
import { CacheReadError, PageCache, saveReject } from "./evidence.ts";
import { holdingsPageProblem, participantListProblem, southboundPageProblem, stockListProblem } from "./invariants.ts";
import { JournalWriter, markWritten, readJournal, type DateJournal, type JournalLine, type PageId, PLAN } from "./journal.ts";
import { runsDir } from "../dataset/layout.ts";
import { acquireRunLock } from "./lock.ts";
import { selectStocks, type Universe } from "./universe.ts";
import { DatasetWriter, type DayInput } from "./writer.ts";

export interface RunOptions {
  out: string;
  baseUrl?: string;
  from?: string;
  to?: string;
  stocks?: string[];
  universe?: Universe;
  concurrency?: number;
  rate?: number;
  cache?: string;
  /** HTTP details (timeouts, backoff, maintenance pause): tests shorten them */
  client?: Omit<ClientOptions, "baseUrl" | "connections" | "rate" | "onEvent">;
  onEvent?: (e: RunEvent) => void;
  /** for the report: how the run was asked for */
  argv?: string[];
  /**
   * Stop cleanly (SIGINT/SIGTERM): no new request goes out, dates whose pages all have an outcome
   * are still written, the report is saved, the rest stays pending for the next run.
   */
  signal?: AbortSignal;
}

export type RunEvent =
  | { type: "start"; runId: string; dates: string[] }
  /** stocks planned for the date; stocksDone/listsDone: already journaled by an earlier run */
  | { type: "plan"; date: string; stocks: number; stocksDone: number; listsDone: number }
  | { type: "page"; date: string; page: PageId; status: JournalLine["status"] | "unavailable"; detail?: string; attempts: number; cached: boolean }
  | { type: "retry"; what: string; reason: string; attempt: number; delayMs: number }
  | { type: "token-refresh" }
  | { type: "maintenance"; what: string; pauseMs: number }
  | { type: "written"; date: string; holdingsRows: number; stocks: number; ms: number }
  | { type: "incomplete"; date: string; pending: number }
  | { type: "stopping" }
  | { type: "done"; report: RunReport };

export interface RunReport {
  runId: string;
  startedAt: string;
  finishedAt: string;
  seconds: number;
  options: Record<string, unknown>;
  complete: boolean;
  /** skipped: nothing new to write (all stored already, or HKEX has no data for the date) */
  dates: { planned: number; written: number; skipped: number; incomplete: string[] };
  pages: { ok: number; alert: number; rejected: number; unavailable: number; fromCache: number; alreadyDone: number };
  http: { requests: number; bytes: number; retries: Record<string, number>; tokenRefreshes: number; maintenancePauses: number };
  rejects: { date: string; page: PageId; reason: string; file: string }[];
  alerts: { date: string; page: PageId; message: string }[];
  holdingsRows: number;
  timings: { fetchSeconds: number; writeSeconds: number; writeStageSeconds: number; writeCopySeconds: number };
}

type AnyPage = HoldingsPage | StockListPage | ParticipantListPage | SouthboundPage;

/** The latest settlement day whose data HKEX has published: the one before today in Hong Kong. */
export function latestSettlementDay(now = new Date()): string {
  const todayHK = new Date(now.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
  return settlementDayOnOrBefore(addDays(todayHK, -1));
}

export function newRunId(now = new Date()): string {
  return `${now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}-${randomBytes(3).toString("hex")}`;
}

export async function runScrape(opts: RunOptions): Promise<RunReport> {
  const to = assertIsoDate(opts.to ?? latestSettlementDay());
  const from = assertIsoDate(opts.from ?? to);
  // A reversed range would plan nothing and report itself "complete": say so instead.
  if (from > to) throw new InvalidValueError("date range (--from is after --to)", `${from}..${to}`);
  const dates = settlementDaysBetween(from, to);
  const runId = newRunId();
  const started = new Date();
  const emit = opts.onEvent ?? (() => {});
  const concurrency = opts.concurrency ?? CLIENT_DEFAULTS.connections;
  const rate = opts.rate ?? CLIENT_DEFAULTS.rate;
  const report: RunReport = {
    runId,
    startedAt: started.toISOString(),
    finishedAt: "",
    seconds: 0,
    options: {
      baseUrl: opts.baseUrl,
      from,
      to,
      stocks: opts.stocks ?? null,
      universe: opts.universe ?? "equities",
      concurrency,
      rate,
      cache: opts.cache ?? null,
      out: opts.out,
      argv: opts.argv ?? null,
    },
    complete: false,
    dates: { planned: dates.length, written: 0, skipped: 0, incomplete: [] },
    pages: { ok: 0, alert: 0, rejected: 0, unavailable: 0, fromCache: 0, alreadyDone: 0 },
    http: { requests: 0, bytes: 0, retries: {}, tokenRefreshes: 0, maintenancePauses: 0 },
    rejects: [],
    alerts: [],
    holdingsRows: 0,
    timings: { fetchSeconds: 0, writeSeconds: 0, writeStageSeconds: 0, writeCopySeconds: 0 },
  };
  const release = await acquireRunLock(opts.out);
  // Stops the run's own work when a date fails (a write error, a corrupt journal), as well as on
  // the caller's signal: every started date must settle before the writer, the client and the
  // lock go, or its pages would keep going out (and files keep being written) after we return.
  const halt = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, halt.signal]) : halt.signal;
  const client = new HkexClient({
    ...opts.client,
    baseUrl: opts.baseUrl,
    connections: concurrency,
    rate,
    onEvent: (e) => emit(e.type === "token-refresh" ? { type: "token-refresh" } : e),
    signal,
  });
  const cache = opts.cache ? new PageCache(opts.cache) : null;
  const writer = await DatasetWriter.open(opts.out);
  const queue = new PQueue({ concurrency });
  const fetchStarted = performance.now();
  opts.signal?.addEventListener("abort", () => emit({ type: "stopping" }), { once: true });
  try {
    emit({ type: "start", runId, dates });
    const dateJobs: Promise<void>[] = [];
    const failures: unknown[] = [];
    for (const [i, date] of dates.entries()) {
      // Keep a few dates' pages queued, not all of them: memory stays flat on a year-long run.
      await queue.onSizeLessThan(concurrency * 4);
      if (signal.aborted) {
        report.dates.incomplete.push(...dates.slice(i));
        break;
      }
      dateJobs.push(
        scrapeDate(date, { opts, client, cache, queue, writer, report, emit, runId }).catch((err: unknown) => {
          // First failure: no new request goes out (queued pages come back "stopped"), the
          // other dates settle, then the error is thrown with the report saved.
          failures.push(err);
          report.dates.incomplete.push(date);
          halt.abort();
        }),
      );
    }
    await Promise.all(dateJobs);
    if (failures.length > 0) throw failures[0];
    report.timings.fetchSeconds = (performance.now() - fetchStarted) / 1000;
    if (report.dates.written > 0) await writer.rebuildParticipantsDim();
  } finally {
    Object.assign(report.http, {
      requests: client.stats.requests,
      bytes: client.stats.bytes,
      retries: client.stats.retries,
      tokenRefreshes: client.stats.tokenRefreshes,
      maintenancePauses: client.stats.maintenancePauses,
    });
    try {
      writer.close();
      await client.close();
      const finished = new Date();
      report.finishedAt = finished.toISOString();
      report.seconds = (finished.getTime() - started.getTime()) / 1000;
      report.complete = report.dates.incomplete.length === 0 && report.dates.written + report.dates.skipped === dates.length;
      await writeFileAtomic(path.join(runsDir(opts.out), `${runId}.json`), JSON.stringify(report, null, 2) + "\n");
    } finally {
      // Whatever failed above, the folder must not stay locked by this (still live) process.
      release();
    }
  }
  emit({ type: "done", report });
  return report;
}

interface DateContext {
  opts: RunOptions;
  client: HkexClient;
  cache: PageCache | null;
  queue: PQueue;
  writer: DatasetWriter;
  report: RunReport;
  emit: (e: RunEvent) => void;
  runId: string;
}

const PARSERS: Record<string, (text: string) => AnyPage | PageError> = {
  stocklist: parseStockList,
  partlist: parsePartList,
  southbound: parseSouthboundPage,
};

async function scrapeDate(date: string, ctx: DateContext): Promise<void> {
  const { opts, report, emit } = ctx;
  const journal = readJournal(opts.out, date);
  const jw = await JournalWriter.open(opts.out, date);
  const done = (page: PageId) => journal.pages.has(page);

  // The date's three list pages first (the stock list decides which stocks to fetch).
  const lists = (["stocklist", "partlist", "southbound"] as const).filter((p) => !done(p));
  await Promise.all(lists.map((p) => ctx.queue.add(() => fetchOne(date, p, ctx, journal, jw), { priority: 1 })));

  const stockLine = journal.pages.get("stocklist");
  const listed = stockLine?.status === "ok" && stockLine.data?.kind === "stocklist" ? stockLine.data.stocks.map((s) => s.code) : null;
  if (listed === null && !(opts.stocks && opts.stocks.length > 0)) {
    // No stock list (HKEX alert for the date, or unavailable): nothing to plan until it comes.
    if (stockLine?.status === "alert") report.dates.skipped++;
    else report.dates.incomplete.push(date);
    emit({ type: "incomplete", date, pending: 1 });
    return;
  }
  const codes = selectStocks(listed ?? [], opts.universe ?? "equities", opts.stocks);
  const plan: JournalLine = { page: PLAN, status: "ok", codes };
  jw.append(plan);
  journal.pages.set(PLAN, plan);
  const todo = codes.filter((c) => !done(c));
  report.pages.alreadyDone += codes.length - todo.length;
  emit({ type: "plan", date, stocks: codes.length, stocksDone: codes.length - todo.length, listsDone: 3 - lists.length });
  await Promise.all(todo.map((code) => ctx.queue.add(() => fetchOne(date, code, ctx, journal, jw))));

  const pending = [...codes, "stocklist", "partlist", "southbound"].filter((p) => !done(p));
  if (pending.length > 0) {
    report.dates.incomplete.push(date);
    emit({ type: "incomplete", date, pending: pending.length });
    return;
  }
  const fresh = [...journal.pages.values()].filter((l) => l.status === "ok" && l.data !== undefined && !l.written);
  const holdings = fresh.map((l) => l.data).filter((d): d is HoldingsPage => d?.kind === "holdings");
  const pick = <K extends AnyPage["kind"]>(kind: K) =>
    fresh.find((l) => l.data?.kind === kind)?.data as Extract<AnyPage, { kind: K }> | undefined;
  const input: DayInput = {
    date,
    holdings,
    stockList: pick("stocklist") ?? null,
    participantList: pick("partlist") ?? null,
    southbound: pick("southbound") ?? null,
  };
  if (holdings.length === 0 && !input.stockList && !input.participantList && !input.southbound) {
    report.dates.skipped++;
    return;
  }
  const t = performance.now();
  const stats = await ctx.writer.writeDay(input);
  await markWritten(opts.out, journal);
  report.dates.written++;
  report.holdingsRows += stats.holdingsRows;
  report.timings.writeSeconds += (performance.now() - t) / 1000;
  report.timings.writeStageSeconds += stats.stageMs / 1000;
  report.timings.writeCopySeconds += stats.copyMs / 1000;
  emit({ type: "written", date, holdingsRows: stats.holdingsRows, stocks: holdings.length, ms: performance.now() - t });
}

/** Fetch (or read from the cache) one page, validate it, and journal its final outcome. */
async function fetchOne(date: string, page: PageId, ctx: DateContext, journal: DateJournal, jw: JournalWriter): Promise<void> {
  const { report, emit, cache } = ctx;
  let result: Fetched<AnyPage> | null = null;
  let cached = false;
  let cachedRaw: string | null = null;
  try {
    cachedRaw = cache?.get(date, page) ?? null;
  } catch (err) {
    // A damaged cache file is a miss: the page is fetched again and the file replaced.
    if (!(err instanceof CacheReadError)) throw err;
  }
  if (cachedRaw !== null) {
    const parsed = (PARSERS[page] ?? parseHoldingsPage)(cachedRaw);
    if (!("error" in parsed)) result = { status: "ok", page: parsed, raw: cachedRaw, attempts: 0 };
    else if (parsed.error === "alert") result = { status: "alert", message: parsed.message, raw: cachedRaw, attempts: 0 };
    cached = result !== null;
  }
  if (!result) {
    result =
      page === "stocklist"
        ? await ctx.client.stockList(date)
        : page === "partlist"
          ? await ctx.client.participantList(date)
          : page === "southbound"
            ? await ctx.client.southbound(date)
            : await ctx.client.holdings(date, page);
  }
  if (result.status === "ok") {
    const problem = pageProblem(result.page, date, page);
    if (problem) result = { status: "rejected", reason: problem, raw: result.raw, attempts: result.attempts };
  }
  let line: JournalLine | null = null;
  switch (result.status) {
    case "ok":
      line = { page, status: "ok", data: result.page };
      report.pages.ok++;
      if (cache && !cached) await cache.put(date, page, result.raw);
      break;
    case "alert":
      line = { page, status: "alert", detail: result.message };
      report.pages.alert++;
      report.alerts.push({ date, page, message: result.message });
      if (cache && !cached) await cache.put(date, page, result.raw);
      break;
    case "rejected": {
      const file = await saveReject(
        ctx.opts.out,
        { date, page, reason: result.reason, attempts: result.attempts, runId: ctx.runId, at: new Date().toISOString() },
        result.raw,
      );
      line = { page, status: "rejected", detail: result.reason };
      report.pages.rejected++;
      report.rejects.push({ date, page, reason: result.reason, file });
      break;
    }
    case "unavailable":
      report.pages.unavailable++;
      break;
  }
  if (cached) report.pages.fromCache++;
  if (line) {
    jw.append(line);
    journal.pages.set(page, line);
  }
  emit({
    type: "page",
    date,
    page,
    status: result.status,
    detail: result.status === "ok" ? undefined : "reason" in result ? result.reason : "message" in result ? result.message : undefined,
    attempts: result.attempts,
    cached,
  });
}

/** The invariants of ingest (invariants.ts) on top of what the parser checked. */
function pageProblem(data: AnyPage, date: string, page: PageId): string | null {
  switch (data.kind) {
    case "holdings":
      return holdingsPageProblem(data, { date, stockCode: page });
    case "stocklist":
      return page === "stocklist" ? stockListProblem(data) : "not a stock list";
    case "partlist":
      return page === "partlist" ? participantListProblem(data) : "not a participant list";
    case "southbound":
      return page === "southbound" ? southboundPageProblem(data, date) : "not a southbound page";
  }
}
