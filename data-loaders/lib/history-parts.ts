// Per-stock history in calendar-year parts (docs/DATASETS.md "history/", schema 4): a closed year's
// files depend only on that year's data and the split basis fixed before it, so appending days
// never changes them and an incremental export can keep them (docs/ARCHITECTURE.md "History files").
//
//   history/<code>/<YYYY>.parquet       participant_key, date, shares (as HKEX listed them): first a
//                                       snapshot of every position held on the stock's first stored
//                                       date of YYYY (dated that day), then the change points after it
//                                       inside YYYY (shares 0 on the first stored date a position is
//                                       gone). Sorted by participant_key, date: one part alone
//                                       rebuilds any date of its year.
//   history/<code>/<YYYY>.days.parquet  one row per stored date of the stock in YYYY (DAY_COLUMNS).
//   history/held/<file>.json            per participant: the years in which it held each stock.
//
// The writer reads two relations on the connection (createHistorySources makes them today):
//   history_points(stock_code, participant_key, date, shares)  every change point of the full history
//   history_days(stock_code, date, issued_shares, ca_kind, ca_ratio, basis, …)  every stored date
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { sqlString } from "../../src/ingest/sql.ts";
import { isStockCode } from "../../src/lib/validate.ts";
import { changePointsSql } from "./history.ts";
import { participantFile } from "./ids.ts";
import { listDataset, tableSql } from "./source.ts";

export interface HistoryPartsOptions {
  /** The calendar years whose parts are written; other years' files are left as they are. */
  years: readonly number[];
  /** zstd level of a year's files (19 for closed years; the open year is rewritten every night). */
  level: (year: number) => number;
}

/**
 * The columns of a days part, in the order written. The day's summary is not repeated (the stock
 * JSON has it for the recent window): on the full-market 1-year data, 70 stocks' days parts are
 * 64 KB slim, 108 KB with nonconsenting_shares and 260 KB with the whole summary, i.e. 2.6, 4.3
 * and 10.4 MB a year for 2,800 stocks (docs/ARCHITECTURE.md "History files"). A date view shows the
 * listed holdings' total, which it rebuilds.
 */
export const DAY_COLUMNS = ["date", "issued_shares", "ca_kind", "ca_ratio", "basis"] as const;

/**
 * Parquet page versions, the smaller of the two at level 19 on 70 full-market stocks' 2026 parts:
 * change points v1 (1.51 MB against 1.59 MB with v2's delta-packed shares), days v2 (64 KB against
 * 77 KB). hyparquet reads both.
 */
const parquetOptions = (level: number, version: "v1" | "v2") =>
  `FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL ${level}, PARQUET_VERSION ${version}`;

/**
 * THE SOURCES OF THE WRITER, from today's analytics cache (`summ`, `pk`, `stock_last`) and the raw
 * holdings of the Parquet dataset. The only place that knows where they come from: the incremental
 * export replaces this body with views over its month-chunked state.
 *
 * `basis` is the product of the split/consolidation ratios from the stock's first stored date up to
 * and including the day, multiplied in date order over the list of those ratios (list_reduce), not a
 * window sum of logarithms: the same days give the same bits however many later days exist.
 */
export async function createHistorySources(conn: DuckDBConnection, data: string): Promise<void> {
  const ds = await listDataset(data);
  await conn.run(changePointsSql(tableSql(ds.tables.holdings, "holdings"), "history_points"));
  await conn.run(`CREATE OR REPLACE TEMP TABLE history_days AS
WITH ratios AS (
  SELECT stock_code, seq, issued_shares::DOUBLE / issued_prev AS r FROM summ WHERE ca_kind IN ('split', 'consolidation')
), b AS (
  SELECT s.stock_code, s.seq, list_reduce(list(x.r ORDER BY x.seq), (p, q) -> p * q) AS basis
  FROM summ s JOIN ratios x ON x.stock_code = s.stock_code AND x.seq <= s.seq
  GROUP BY s.stock_code, s.seq
)
SELECT s.stock_code, s.date, s.issued_shares, s.total_shares AS ccass_shares, s.total_count AS participants,
  s.intermediaries_shares, s.consenting_shares, s.nonconsenting_shares, s.ca_kind, s.ca_ratio, coalesce(b.basis, 1.0) AS basis
FROM summ s LEFT JOIN b USING (stock_code, seq)`);
}

/** Temp tables of the writer: each stock's first stored date per year, positions' spans, the parts' rows. */
const YEARS = "hist_years";
const SPANS = "hist_spans";
const PARTS = "hist_parts";
const DAYS = "hist_days";

/** Every change point with the date of the participant's next one (until: null for the last). */
const spansSql = () => `CREATE OR REPLACE TEMP TABLE ${SPANS} AS
SELECT stock_code, participant_key, date, shares, lead(date) OVER (PARTITION BY stock_code, participant_key ORDER BY date) AS until
FROM history_points`;

/**
 * The positions held on each year's first stored date (stock_code, year, participant_key, shares):
 * the last change point on or before that date, when it holds shares.
 */
const snapshotSql = (yearFilter: string) => `SELECT y.stock_code, y.year, s.participant_key, y.first_date AS date, s.shares
FROM ${SPANS} s JOIN ${YEARS} y ON y.stock_code = s.stock_code AND s.date <= y.first_date AND (s.until IS NULL OR s.until > y.first_date)
WHERE s.shares > 0 AND ${yearFilter}`;

/**
 * The rows of the parts of `years` (stock_code, year, participant_key, date, shares), sorted as
 * written: the snapshot, then the change points after the year's first stored date.
 */
function partsSql(years: readonly number[]): string {
  const inYears = `y.year IN (${years.join(", ")})`;
  return `CREATE OR REPLACE TEMP TABLE ${PARTS} AS
WITH rows AS (
  ${snapshotSql(inYears)}
  UNION ALL
  SELECT p.stock_code, y.year, p.participant_key, p.date, p.shares
  FROM history_points p JOIN ${YEARS} y ON y.stock_code = p.stock_code AND y.year = year(p.date)
  WHERE p.date > y.first_date AND ${inYears}
)
SELECT * FROM rows ORDER BY stock_code, year, participant_key, date`;
}

/** COPY to a temp name, then rename: a reader (or a re-run after a crash) never sees half a file. */
async function copyAtomic(conn: DuckDBConnection, select: string, target: string, options: string): Promise<void> {
  const tmp = `${target}.${process.pid}.tmp`;
  try {
    await conn.run(`COPY (${select}) TO ${sqlString(tmp)} (${options})`);
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Write `years`' parts of every stock and every participant's held/ file under `dir`. */
export async function writeHistoryParts(conn: DuckDBConnection, dir: string, opts: HistoryPartsOptions): Promise<{ files: number; years: number[] }> {
  // every argument checked before anything is written
  for (const y of opts.years) {
    if (!Number.isInteger(y) || y < 1900 || y > 9999) throw new Error(`not a calendar year: ${JSON.stringify(y)}`);
    const level = opts.level(y);
    if (!Number.isInteger(level) || level < 1 || level > 22) throw new Error(`zstd level for ${y} must be an integer from 1 to 22, not ${level}`);
  }
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${YEARS} AS
    SELECT stock_code, year(date)::INTEGER AS year, min(date) AS first_date FROM history_days GROUP BY 1, 2`);
  const wanted = [...new Set(opts.years)].sort((a, b) => a - b);
  // Both tables sorted by stock: each COPY below reads only its stock's row groups (zone maps)
  // instead of scanning every stock's rows.
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${DAYS} AS
    SELECT stock_code, year(date)::INTEGER AS year, ${DAY_COLUMNS.map((x) => (x === "ca_ratio" ? "round(ca_ratio, 6) AS ca_ratio" : x)).join(", ")}
    FROM history_days WHERE year(date) IN (${wanted.length ? wanted.join(", ") : 0}) ORDER BY stock_code, date`);
  await conn.run(spansSql());
  await conn.run(partsSql(wanted.length ? wanted : [0]));
  const todo = wanted.length
    ? (await conn.runAndReadAll(`SELECT stock_code, year FROM ${YEARS} WHERE year IN (${wanted.join(", ")}) ORDER BY 1, 2`)).getRowsJS()
    : [];
  let files = 0;
  for (const [code, year] of todo as [string, number][]) {
    if (!isStockCode(code)) throw new Error(`not a stock code in history_days: ${JSON.stringify(code)}`);
    const level = opts.level(year);
    const c = sqlString(code);
    const stockDir = path.join(dir, code);
    await mkdir(stockDir, { recursive: true });
    await copyAtomic(conn, `SELECT participant_key, date, shares FROM ${PARTS} WHERE stock_code = ${c} AND year = ${year} ORDER BY participant_key, date`,
      path.join(stockDir, `${year}.parquet`), parquetOptions(level, "v1"));
    await copyAtomic(conn, `SELECT ${DAY_COLUMNS.join(", ")} FROM ${DAYS} WHERE stock_code = ${c} AND year = ${year} ORDER BY date`,
      path.join(stockDir, `${year}.days.parquet`), parquetOptions(level, "v2"));
    files += 2;
  }
  files += await writeHeld(conn, path.join(dir, "held"));
  for (const t of [PARTS, SPANS, YEARS, DAYS]) await conn.run(`DROP TABLE ${t}`);
  return { files, years: wanted };
}

/**
 * history/held/<file>.json for every participant: {participant_key, stocks: {code: [years]}}, the
 * years whose part has a row where it holds shares (codes and years ascending: same data, same bytes):
 * a change point with shares in that year, or a position held on the year's first stored date.
 * Over every year, whichever years' parts are written.
 */
async function writeHeld(conn: DuckDBConnection, dir: string): Promise<number> {
  const held = await conn.runAndReadAll(
    `SELECT participant_key, list(stock_code ORDER BY stock_code), list(years ORDER BY stock_code) FROM (
       SELECT participant_key, stock_code, list(DISTINCT year ORDER BY year) AS years FROM (
         SELECT participant_key, stock_code, year(date)::INTEGER AS year FROM history_points WHERE shares > 0
         UNION ALL SELECT participant_key, stock_code, year FROM (${snapshotSql("true")})
       ) GROUP BY 1, 2
     ) GROUP BY 1 ORDER BY 1`,
  );
  await mkdir(dir, { recursive: true });
  let n = 0;
  for (const [key, codes, years] of held.getRowsJS() as [string, string[], number[][]][]) {
    const stocks: Record<string, number[]> = {};
    codes.forEach((c, i) => (stocks[c] = years[i]!.map(Number)));
    const target = path.join(dir, participantFile(key));
    const tmp = `${target}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify({ participant_key: key, stocks }));
    await rename(tmp, target);
    n++;
  }
  return n;
}

/** Every calendar year that has a stored date in history_days, ascending. */
export async function historyYears(conn: DuckDBConnection): Promise<number[]> {
  const r = await conn.runAndReadAll("SELECT DISTINCT year(date)::INTEGER FROM history_days ORDER BY 1");
  return r.getRowsJS().map((x) => Number(x[0]));
}
