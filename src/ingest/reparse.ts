// `scrape reparse`: rebuild the Parquet dataset from the raw page cache, with no network. Every
// cached page goes through the same parser and invariants as a live run; a page that fails them
// is kept under `<out>/_rejects/` and the rest of its date is still written.
import { parseHoldingsPage, parsePartList, parseSouthboundPage, parseStockList } from "../hkex/parse.ts";
import type { HoldingsPage, ParticipantListPage, SouthboundPage, StockListPage } from "../hkex/types.ts";
import { assertIsoDate, isStockCode } from "../lib/validate.ts";
import { CacheReadError, PageCache, saveReject } from "./evidence.ts";
import { acquireRunLock } from "./lock.ts";
import { holdingsPageProblem, participantListProblem, southboundPageProblem, stockListProblem } from "./invariants.ts";
import { newRunId } from "./run.ts";
import { DatasetWriter } from "./writer.ts";

export interface ReparseOptions {
  cache: string;
  out: string;
  from?: string;
  to?: string;
  onDate?: (info: { date: string; pages: number; rejected: number; holdingsRows: number }) => void;
}

export interface ReparseReport {
  runId: string;
  dates: number;
  pages: number;
  alerts: number;
  rejected: { date: string; page: string; reason: string }[];
  holdingsRows: number;
}

export async function reparse(opts: ReparseOptions): Promise<ReparseReport> {
  const cache = new PageCache(opts.cache);
  const from = opts.from ? assertIsoDate(opts.from) : "0000-01-01";
  const to = opts.to ? assertIsoDate(opts.to) : "9999-12-31";
  const runId = newRunId();
  const report: ReparseReport = { runId, dates: 0, pages: 0, alerts: 0, rejected: [], holdingsRows: 0 };
  // The same lock as `run` and `compact`: all three rewrite the dataset's files (and the writer
  // may fold a date into a compacted month), so none may run beside another on one folder.
  const release = await acquireRunLock(opts.out);
  let writer: DatasetWriter;
  try {
    writer = await DatasetWriter.open(opts.out);
  } catch (err) {
    release();
    throw err;
  }
  try {
    for (const date of cache.dates().filter((d) => d >= from && d <= to)) {
      const holdings: HoldingsPage[] = [];
      let stockList: StockListPage | null = null;
      let participantList: ParticipantListPage | null = null;
      let southbound: SouthboundPage | null = null;
      let rejectedHere = 0;
      const reject = async (page: string, reason: string, raw: string) => {
        rejectedHere++;
        report.rejected.push({ date, page, reason });
        await saveReject(opts.out, { date, page, reason, attempts: 0, runId, at: new Date().toISOString() }, raw);
      };
      const pages = cache.pages(date);
      for (const page of pages) {
        report.pages++;
        let raw: string;
        try {
          raw = cache.get(date, page)!;
        } catch (err) {
          if (!(err instanceof CacheReadError)) throw err;
          // No page text to keep: the damaged cache file itself is the evidence; the report names it.
          rejectedHere++;
          report.rejected.push({ date, page, reason: err.message });
          continue;
        }
        const parsed =
          page === "stocklist"
            ? parseStockList(raw)
            : page === "partlist"
              ? parsePartList(raw)
              : page === "southbound"
                ? parseSouthboundPage(raw)
                : isStockCode(page)
                  ? parseHoldingsPage(raw)
                  : null;
        if (parsed === null) continue;
        if ("error" in parsed) {
          if (parsed.error === "alert") report.alerts++;
          else await reject(page, parsed.error + ("reason" in parsed && parsed.reason ? `: ${parsed.reason}` : ""), raw);
          continue;
        }
        let problem: string | null;
        switch (parsed.kind) {
          case "holdings":
            problem = holdingsPageProblem(parsed, { date, stockCode: page });
            if (!problem) holdings.push(parsed);
            break;
          case "stocklist":
            problem = stockListProblem(parsed);
            if (!problem) stockList = parsed;
            break;
          case "partlist":
            problem = participantListProblem(parsed);
            if (!problem) participantList = parsed;
            break;
          case "southbound":
            problem = southboundPageProblem(parsed, date);
            if (!problem) southbound = parsed;
            break;
        }
        if (problem) await reject(page, problem, raw);
      }
      if (holdings.length === 0 && !stockList && !participantList && !southbound) continue;
      const stats = await writer.writeDay({ date, holdings, stockList, participantList, southbound });
      report.dates++;
      report.holdingsRows += stats.holdingsRows;
      opts.onDate?.({ date, pages: pages.length, rejected: rejectedHere, holdingsRows: stats.holdingsRows });
    }
    if (report.dates > 0) await writer.rebuildParticipantsDim();
  } finally {
    try {
      writer.close();
    } finally {
      release();
    }
  }
  return report;
}
