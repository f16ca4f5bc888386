// `scrape status`: coverage of a dataset folder, per date: stocks stored (from the Parquet
// itself), and from the journal the stocks planned, alerted, rejected and still pending.
import { existsSync } from "node:fs";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { listRejects } from "./evidence.ts";
import { journalDates, LIST_PAGES, PLAN, readJournal } from "./journal.ts";
import { runReportFiles, tableGlob } from "../dataset/layout.ts";
import { terminalText } from "../lib/terminal.ts";
import { sqlString } from "../lib/sql.ts";

export interface DateStatus {
  date: string;
  /** stocks with a summary row in the dataset */
  stored: number;
  planned: number;
  alerts: number;
  rejected: number;
  /** planned stocks (and list pages) with no outcome yet */
  pending: number;
  /** journaled pages not yet in Parquet */
  unwritten: number;
}

export interface StatusReport {
  out: string;
  dates: DateStatus[];
  totals: Omit<DateStatus, "date">;
  rejects: { date: string; page: string; reason: string }[];
  lastRun: string | null;
}

/** Stocks stored per date, read from the summary table (daily and compacted files alike). */
async function storedPerDate(out: string): Promise<Map<string, number>> {
  const result = new Map<string, number>();
  if (!existsSync(path.join(out, "summary"))) return result;
  const db = await DuckDBInstance.create(":memory:");
  const c = await db.connect();
  try {
    const glob = tableGlob(out, "summary");
    const any = await c.runAndReadAll(`SELECT count(*)::INTEGER FROM glob(${sqlString(glob)})`);
    if (Number(any.getRowsJS()[0]?.[0] ?? 0) === 0) return result;
    const r = await c.runAndReadAll(
      `SELECT strftime(date, '%Y-%m-%d') AS d, count(DISTINCT stock_code)::INTEGER AS n
       FROM read_parquet(${sqlString(glob)}, hive_partitioning = false) GROUP BY 1 ORDER BY 1`,
    );
    for (const [d, n] of r.getRowsJS()) result.set(String(d), Number(n));
  } finally {
    c.closeSync();
    db.closeSync();
  }
  return result;
}

export async function datasetStatus(out: string): Promise<StatusReport> {
  const stored = await storedPerDate(out);
  const dates = new Set([...stored.keys(), ...journalDates(out)]);
  const rows: DateStatus[] = [];
  for (const date of [...dates].sort()) {
    const j = readJournal(out, date);
    const planned = j.pages.get(PLAN)?.codes ?? [];
    const lines = [...j.pages.values()].filter((l) => l.page !== PLAN);
    const count = (status: string) => lines.filter((l) => l.status === status && !(LIST_PAGES as readonly string[]).includes(l.page)).length;
    const wanted = [...planned, ...(j.pages.size > 0 ? LIST_PAGES : [])];
    rows.push({
      date,
      stored: stored.get(date) ?? 0,
      planned: planned.length,
      alerts: count("alert"),
      rejected: count("rejected"),
      pending: wanted.filter((p) => !j.pages.has(p)).length,
      unwritten: lines.filter((l) => l.status === "ok" && !l.written).length,
    });
  }
  const totals = { stored: 0, planned: 0, alerts: 0, rejected: 0, pending: 0, unwritten: 0 };
  for (const r of rows) for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += r[k];
  const lastRun = runReportFiles(out).at(-1)?.replace(/\.json$/, "") ?? null;
  return {
    out,
    dates: rows,
    totals,
    rejects: listRejects(out).map((r) => ({ date: r.date, page: r.page, reason: r.reason })),
    lastRun,
  };
}

export function formatStatus(s: StatusReport): string {
  const head = ["date", "stored", "planned", "alerts", "rejected", "pending", "unwritten"];
  const lines = [head.join("\t")];
  for (const r of s.dates) lines.push([r.date, r.stored, r.planned, r.alerts, r.rejected, r.pending, r.unwritten].join("\t"));
  const t = s.totals;
  lines.push(["total", t.stored, t.planned, t.alerts, t.rejected, t.pending, t.unwritten].join("\t"));
  if (s.rejects.length > 0) {
    lines.push("", `rejected pages (raw page and reason under ${path.join(s.out, "_rejects")}):`);
    // The reason may quote the page: no control character from it reaches the terminal.
    for (const r of s.rejects) lines.push(`  ${r.date} ${r.page}: ${terminalText(r.reason)}`);
  }
  if (s.lastRun) lines.push("", `last run report: ${path.join(s.out, "_runs", s.lastRun + ".json")}`);
  return lines.join("\n");
}
