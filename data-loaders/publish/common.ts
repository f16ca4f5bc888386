// Small pieces shared by the dataset modules.
import { existsSync } from "node:fs";
import path from "node:path";
import type { Analytics } from "../compute/cache.ts";
import { scalar } from "../compute/duck.ts";
import { LIKELY_MIN_CONFIDENCE } from "./likely.ts";

export const SCHEMA_VERSION = 7;

export async function hasData(a: Analytics): Promise<boolean> {
  return Number(await scalar(a.db.conn, "SELECT count(*) FROM stock_days_window")) > 0;
}

export async function latestDate(a: Analytics): Promise<string | null> {
  return scalar<string | null>(a.db.conn, "SELECT max(date) FROM dates");
}

/** Synthetic when the replica's ground truth sits beside the data, or a stock name says so. */
export async function isSynthetic(a: Analytics): Promise<boolean> {
  if (existsSync(path.join(a.data, "_truth"))) return true;
  return Boolean(await scalar(a.db.conn, "SELECT count(*) > 0 FROM stock_names WHERE stock_name ILIKE '%SYNTHETIC%'"));
}

/**
 * The recent window, in stored days: the stock and participant JSON and the single-file downloads
 * of concentration, attention and trends cover it; older dates are served by yearly parts.
 */
export const RECENT_WINDOW_DAYS = 250;

/** SQL for the first date of the recent window of `days` stored days (the cache's `dates`). */
export const windowStart = (days: number = RECENT_WINDOW_DAYS) =>
  `(SELECT min(date) FROM (SELECT date FROM dates ORDER BY date DESC LIMIT ${days}))`;

/**
 * SQL for "this pair is a likely transfer" (docs/DATASETS.md "Likely transfers"): its confidence is
 * at least LIKELY_MIN_CONFIDENCE. Every count, list and download that says "likely" uses it; the
 * pairs below are "possible matches".
 */
export const likelySql = (confidence = "confidence") => `(${confidence} >= ${LIKELY_MIN_CONFIDENCE})`;

/** Percent figures are published with 4 decimals. */
export const pct = (expr: string) => `round(${expr}, 4)`;

/**
 * A position on the latest date (the `latest_holdings` table as `l`) with its changes over 1, 5 and 20
 * stored days, in shares and in percentage points of issued: the holdings table of a stock page
 * and the portfolio of a participant page show the same columns.
 */
export const LATEST_POSITION_COLUMNS: [name: string, expr: string][] = [
  ["shares", "l.shares"],
  ["pct", pct("l.pct")],
  ["chg_1d", "l.chg_1d"],
  ["chg_5d", "l.chg_5d"],
  ["chg_20d", "l.chg_20d"],
  ["chg_1d_pp", pct("l.chg_1d * 100.0 / l.issued_adj")],
  ["chg_5d_pp", pct("l.chg_5d * 100.0 / l.issued_adj")],
  ["chg_20d_pp", pct("l.chg_20d * 100.0 / l.issued_adj")],
];
