// health.json: coverage (dates × stocks stored), rejects, run reports, freshness. Rejects and run
// reports sit beside the dataset (ARCHITECTURE.md), so they are read from the folder directly.
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { settlementDayOnOrBefore, settlementDaysBetween, addDays } from "../../../src/lib/calendar.ts";
import { listRejects } from "../../../src/ingest/evidence.ts";
import { isStockCode } from "../../../src/lib/validate.ts";
import type { Analytics } from "../../compute/cache.ts";
import { rows, type Plain } from "../../compute/duck.ts";
import { todayIso } from "../../compute/env.ts";
import { hasData, latestDate, SCHEMA_VERSION } from "../common.ts";

export type Status = "fresh" | "stale" | "late" | "empty";

export interface Reject {
  date: string;
  stock_code: string;
  reason: string;
}

const clip = (s: string, n = 300) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** Rejected holdings pages (src/ingest/evidence.ts reads them), newest date first. */
export async function readRejects(data: string): Promise<Reject[]> {
  return listRejects(data)
    .filter((r) => isStockCode(r.page))
    .map((r) => ({ date: r.date, stock_code: r.page, reason: clip(r.reason) }))
    .sort((x, y) => (x.date === y.date ? (x.stock_code < y.stock_code ? -1 : 1) : x.date < y.date ? 1 : -1));
}

/**
 * Run reports, newest first (by a started/startedAt/started_at field, else the file name): scalar
 * fields and a summary. `id` and `file` always come from the file name, never from the report.
 */
export async function readRuns(data: string, limit = 30): Promise<Record<string, Plain>[]> {
  const dir = path.join(data, "_runs");
  if (!existsSync(dir)) return [];
  const files = (await readdir(dir)).filter((f) => f.endsWith(".json") && !f.startsWith("."));
  const runs: Record<string, Plain>[] = [];
  for (const f of files) {
    const base: Record<string, Plain> = { id: f.replace(/\.json$/, ""), file: `_runs/${f}` };
    try {
      const j = JSON.parse(await readFile(path.join(dir, f), "utf8")) as Record<string, unknown>;
      for (const [k, v] of Object.entries(j)) {
        if (k === "id" || k === "file") continue;
        if (typeof v === "number" || typeof v === "boolean") base[k] = v;
        else if (typeof v === "string") base[k] = clip(v);
        else if ((k === "summary" || k === "counts" || k === "totals") && v && typeof v === "object" && !Array.isArray(v))
          base[k] = Object.fromEntries(Object.entries(v).filter(([, x]) => typeof x === "number" || typeof x === "string" || typeof x === "boolean")) as Plain;
      }
    } catch {
      base.ok = false;
      base.error = "unreadable";
    }
    runs.push(base);
  }
  const key = (r: Record<string, Plain>) => String(r.started ?? r.startedAt ?? r.started_at ?? r.id);
  return runs.sort((x, y) => (key(x) < key(y) ? 1 : key(x) > key(y) ? -1 : 0)).slice(0, limit);
}

export function freshness(latest: string | null, today = todayIso()) {
  const expected = settlementDayOnOrBefore(addDays(today, -1));
  if (!latest) return { status: "empty" as Status, expected_date: expected, lag_days: null, today };
  const lag = latest >= expected ? 0 : settlementDaysBetween(addDays(latest, 1), expected).length;
  const status: Status = lag <= 1 ? "fresh" : lag <= 3 ? "stale" : "late";
  return { status, expected_date: expected, lag_days: lag, today };
}

const COVERAGE_SQL = `SELECT strftime(date, '%Y-%m-%d') AS date, stocks, listed, holdings_rows, southbound FROM coverage ORDER BY date`;

export async function health(a: Analytics) {
  const has = await hasData(a);
  const latest = await latestDate(a);
  const cov = await rows<{ date: string; stocks: number; listed: number; holdings_rows: number; southbound: number }>(a.db.conn, COVERAGE_SQL);
  const rejects = await readRejects(a.data);
  const perDate = new Map<string, number>();
  for (const r of rejects) perDate.set(r.date, (perDate.get(r.date) ?? 0) + 1);
  const dates = [...new Set([...cov.map((c) => c.date), ...perDate.keys()])].sort();
  const byDate = new Map(cov.map((c) => [c.date, c]));
  const f = freshness(has ? latest : null);
  return {
    schema_version: SCHEMA_VERSION,
    has_data: has,
    status: f.status,
    latest_date: latest,
    expected_date: f.expected_date,
    lag_days: f.lag_days,
    today: f.today,
    coverage: {
      date: dates,
      stocks: dates.map((d) => byDate.get(d)?.stocks ?? 0),
      listed: dates.map((d) => byDate.get(d)?.listed ?? 0),
      holdings_rows: dates.map((d) => byDate.get(d)?.holdings_rows ?? 0),
      rejects: dates.map((d) => perDate.get(d) ?? 0),
      southbound: dates.map((d) => byDate.get(d)?.southbound ?? 0),
    },
    rejects: rejects.slice(0, 200),
    runs: await readRuns(a.data),
  };
}

/** The small static health file and the shields.io endpoint badge. */
export async function healthSmall(a: Analytics) {
  const h = await health(a);
  const stocksLatest = h.latest_date ? (h.coverage.stocks[h.coverage.date.indexOf(h.latest_date)] ?? 0) : 0;
  const rejectsLatest = h.latest_date ? (h.coverage.rejects[h.coverage.date.indexOf(h.latest_date)] ?? 0) : 0;
  const small = {
    schema_version: SCHEMA_VERSION,
    status: h.status,
    latest_date: h.latest_date,
    expected_date: h.expected_date,
    lag_days: h.lag_days,
    stocks_latest: stocksLatest,
    rejects_latest: rejectsLatest,
    last_run: h.runs[0] ?? null,
  };
  const color = { fresh: "green", stale: "yellow", late: "red", empty: "lightgrey" }[h.status];
  const badge = { schemaVersion: 1, label: "data", message: h.status === "empty" ? "no data" : h.latest_date, color };
  return { small, badge };
}
