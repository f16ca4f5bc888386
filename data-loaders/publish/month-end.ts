// Coarse history parts for the older years of the site (issue #22, "Site: bounded dist/" in
// docs/ARCHITECTURE.md): dist/ holds the newest CCASS_SITE_FULL_YEARS calendar years at full
// (daily) resolution, the next CCASS_SITE_MONTH_END_YEARS calendar years at month-end resolution and
// every older year at quarter-end resolution, so its size grows with the length of history at a
// fraction of the daily rate. The dataset itself keeps every date (fetch-dataset).
//
// A coarse year's kept dates: for each calendar month (month-end) or quarter (quarter-end) of the
// year, the last date of that period on which any stock is stored (the market's period end). A
// stock's kept dates are the kept dates on which it is stored (a stock not stored on a period's last
// market date has no date that period). Its part holds the same shape as a full part over those
// dates only: a snapshot of every position held on the stock's first kept date of the year, then a
// row where a position's state on a kept date differs from its state on the stock's previous kept
// date (shares 0 when it ended in between); each row carries its kept date's security. The days
// part, the market file and the by-participant parts hold the kept dates only;
// history/market/<YYYY>.json says `"resolution": "month-end"` or `"quarter-end"` and how many market
// dates the year had (`stored_dates`), so the pages can say what a reader of that year does not see.
//
// The rows are derived from the full-resolution rows the writer has already made for the year (the
// same temp tables, rewritten in place), so a coarse part is exactly the daily part sampled on the
// kept dates (tested: tests/month-end.test.ts).
import type { DuckDBConnection } from "@duckdb/node-api";

/** The newest calendar years published at full resolution when CCASS_SITE_FULL_YEARS is unset: the open year and the last closed one. */
export const DEFAULT_FULL_YEARS = 2;

/**
 * The calendar years after the full ones published at month-end when CCASS_SITE_MONTH_END_YEARS is
 * unset; older years are quarter-end. Measured (`npm run bench -- site-years`, docs/ARCHITECTURE.md
 * "Site: bounded dist/"): no setting fits twenty full-market years in GitHub Pages' 1 GB without a
 * data host (1,295 MB even with every older year quarter-end), so the default is the largest that
 * fits ten: 2 full years and 6 month-end years, then quarter-end (986 MB at ten years); the build's
 * size guard (scripts/lib/site-size.ts) refuses a larger site and names CCASS_DATA_HOST.
 */
export const DEFAULT_MONTH_END_YEARS = 6;

/** CCASS_SITE_FULL_YEARS is not an integer of at least 1. */
export class SiteFullYearsError extends Error {
  override readonly name = "SiteFullYearsError";
  constructor(value: string) {
    super(`CCASS_SITE_FULL_YEARS must be an integer of at least 1 (the newest calendar years published at full resolution), got ${JSON.stringify(value)}`);
  }
}

/** CCASS_SITE_MONTH_END_YEARS is not an integer of at least 0. */
export class SiteMonthEndYearsError extends Error {
  override readonly name = "SiteMonthEndYearsError";
  constructor(value: string) {
    super(`CCASS_SITE_MONTH_END_YEARS must be an integer of at least 0 (the calendar years after the full ones published at month-end; older years are quarter-end), got ${JSON.stringify(value)}`);
  }
}

/** A count of years from the environment: `fallback` when unset or empty, else digits only, at least `min`. */
function yearsSetting(value: string | undefined, fallback: number, min: number, error: (value: string) => Error): number {
  if (value === undefined || value === "") return fallback;
  if (!/^\s*\d+\s*$/.test(value) || Number(value) < min || !Number.isSafeInteger(Number(value))) throw error(value);
  return Number(value);
}

/** How many of the newest calendar years the site publishes at full resolution (CCASS_SITE_FULL_YEARS, default 2). */
export function siteFullYears(value: string | undefined = process.env.CCASS_SITE_FULL_YEARS): number {
  return yearsSetting(value, DEFAULT_FULL_YEARS, 1, (v) => new SiteFullYearsError(v));
}

/** How many calendar years after the full ones the site publishes at month-end (CCASS_SITE_MONTH_END_YEARS, default DEFAULT_MONTH_END_YEARS). */
export function siteMonthEndYears(value: string | undefined = process.env.CCASS_SITE_MONTH_END_YEARS): number {
  return yearsSetting(value, DEFAULT_MONTH_END_YEARS, 0, (v) => new SiteMonthEndYearsError(v));
}

/**
 * The data host that serves the older years' history at full resolution (CCASS_DATA_HOST, an origin
 * the site build has checked: scripts/lib/site-csp.ts), or null. With one, no year is coarse: the
 * site build moves the older years' history files out of dist/ into the folder synced to the host.
 */
export function historyDataHost(value: string | undefined = process.env.CCASS_DATA_HOST): string | null {
  if (value === undefined || value.trim() === "") return null;
  return new URL(value.trim()).origin;
}

/** The first calendar year kept in dist/ at full resolution: older years are coarse, or on the data host. */
export function fullFromYear(latestYear: number, fullYears: number = siteFullYears()): number {
  return latestYear - fullYears + 1;
}

/** The first calendar year published at month-end (the full years' first when there are none): older years are quarter-end. */
export function monthEndFromYear(latestYear: number, fullYears: number = siteFullYears(), monthEndYears: number = siteMonthEndYears()): number {
  return fullFromYear(latestYear, fullYears) - monthEndYears;
}

/** Full: every stored date; month-end: each month's last market date; quarter-end: each quarter's. */
export type Resolution = "full" | "month-end" | "quarter-end";

/** The calendar period whose last market date a coarse year keeps. */
export type Period = "month" | "quarter";

/** The period of a coarse resolution. */
export function periodOf(resolution: Exclude<Resolution, "full">): Period {
  return resolution === "month-end" ? "month" : "quarter";
}

/**
 * A year's resolution: full for the latest date's year and the `fullYears` − 1 calendar years before
 * it, month-end for the `monthEndYears` years before those, quarter-end before that (counted by
 * calendar, so a year's resolution depends only on the latest year and the settings).
 */
export function yearResolution(year: number, latestYear: number, fullYears: number, monthEndYears: number): Resolution {
  if (year >= fullFromYear(latestYear, fullYears)) return "full";
  return year >= monthEndFromYear(latestYear, fullYears, monthEndYears) ? "month-end" : "quarter-end";
}

/**
 * A SQL condition on a column `date` of the cache's stored days: true where the site's history parts
 * hold the date (every date of a full year, a coarse year's period ends: the cache's `dates` hold the
 * market dates, as history_days does), so a stock's JSON lists only the years it has a part of
 * (stock-pages.ts `history_years`). Every date with a data host, or with no data. The settings are
 * read at the call, as yearParts reads them.
 */
export function siteKeepsDateSql(latestYear: number | null): string {
  if (latestYear === null || historyDataHost()) return "true";
  const full = fullFromYear(latestYear);
  const monthEnd = monthEndFromYear(latestYear);
  return `(date >= DATE '${full}-01-01' OR date IN (SELECT max(date) FROM dates WHERE date < DATE '${full}-01-01'
    GROUP BY CASE WHEN date >= DATE '${monthEnd}-01-01' THEN date_trunc('month', date) ELSE date_trunc('quarter', date) END))`;
}

/** Temp table of the kept (stock, date) pairs of the year being written. */
const KEPT = "hist_kept";

/**
 * The SQL of a year's market period ends: each month's (or quarter's) last date on which any stock
 * is stored (`source`: history_days, or the cache's `dates`, which holds the same dates).
 */
export function periodEndDatesSql(year: number, period: Period, source = "history_days"): string {
  return `SELECT max(date) AS date FROM ${source}
  WHERE date >= DATE '${year}-01-01' AND date < DATE '${year + 1}-01-01' GROUP BY date_trunc('${period}', date)`;
}

/** A temp table replaced by a query over it: made beside it, then put in its place. */
async function replaceTable(conn: DuckDBConnection, table: string, select: string): Promise<void> {
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${table}_coarse AS ${select}`);
  await conn.run(`DROP TABLE ${table}`);
  await conn.run(`ALTER TABLE ${table}_coarse RENAME TO ${table}`);
}

/**
 * The writer's temp tables of one year (history-parts.ts): stocks' first dates, the parts' rows, the
 * days rows. Made with ORDER BY: the writer's COPYs read them in that order without sorting again.
 */
export interface YearTables {
  /** stock_code, year, first_date: the stocks written for the year. */
  years: string;
  /** stock_code, participant_key, date, shares, security_id at full resolution, sorted. */
  parts: string;
  /** stock_code and the days part's columns, sorted by stock_code, date. */
  days: string;
}

/**
 * Rewrite one year's full-resolution temp tables in place at a coarse resolution (each `period`'s
 * last market date): the parts' rows
 * sampled on each stock's kept dates (a snapshot on its first, then the state changes between
 * consecutive ones), the days rows of the kept dates only, and the stocks without a kept date
 * dropped from the year's list (no part is written for them).
 */
export async function keepPeriodEnds(conn: DuckDBConnection, year: number, period: Period, t: YearTables): Promise<void> {
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${KEPT} AS
SELECT d.stock_code, d.date, d.security_id FROM history_days d JOIN (${periodEndDatesSql(year, period)}) e USING (date)
ORDER BY d.stock_code, d.date`);
  // each row of the daily part goes to the stock's first kept date on or after it (ASOF); per
  // participant and kept date the last such row is its state on that kept date, and with no row the
  // state is the previous kept date's. A state that differs from the previous kept date's state (0
  // before the first) is a row of the coarse part: on the first kept date that is the snapshot.
  await replaceTable(conn, t.parts, `WITH b AS (
  SELECT p.stock_code, p.participant_key, p.date AS row_date, p.shares, k.date, k.security_id
  FROM ${t.parts} p ASOF JOIN ${KEPT} k ON k.stock_code = p.stock_code AND p.date <= k.date
), s AS (
  SELECT stock_code, participant_key, date, any_value(security_id) AS security_id, arg_max(shares, row_date) AS shares
  FROM b GROUP BY stock_code, participant_key, date
), c AS (
  SELECT *, lag(shares) OVER (PARTITION BY stock_code, participant_key ORDER BY date) AS before FROM s
)
SELECT stock_code, participant_key, date, shares, security_id FROM c
WHERE shares IS DISTINCT FROM coalesce(before, 0)
ORDER BY stock_code, participant_key, date`);
  await replaceTable(conn, t.days, `SELECT * FROM ${t.days} SEMI JOIN ${KEPT} USING (stock_code, date) ORDER BY stock_code, date`);
  await conn.run(`DELETE FROM ${t.years} WHERE year = ${year} AND stock_code NOT IN (SELECT stock_code FROM ${KEPT})`);
  await conn.run(`DROP TABLE ${KEPT}`);
}
