// Per-stock history in calendar-year parts (docs/DATASETS.md "history/", schema 4): a closed year's
// files depend only on that year's data and the split basis fixed before it, so appending days
// never changes them and an incremental export can keep them (docs/ARCHITECTURE.md "History files").
//
//   Every row carries `security_id`, its date's security (docs/ARCHITECTURE.md "Securities and codes"):
//   parts stay addressed by code; where a recycled code passes to another security inside a year,
//   the old security's open positions get a 0 row on the new one's first day.
//   history/<code>/<YYYY>.parquet       participant_key, date, shares (as HKEX listed them): first a
//                                       snapshot of every position held on the stock's first stored
//                                       date of YYYY (dated that day), then the change points after it
//                                       inside YYYY (shares 0 on the first stored date a position is
//                                       gone). Sorted by participant_key, date: one part alone
//                                       rebuilds any date of its year.
//   history/<code>/<YYYY>.days.parquet  one row per stored date of the stock in YYYY (DAY_COLUMNS).
//   history/held/<file>.json            per participant: the years in which it held each stock.
//   history/by-participant/<file>/<YYYY>.parquet  the same rows as the stock parts, in each
//                                       participant's own order (a participant that held at least
//                                       OWN_PART_MIN_STOCKS stocks that year): stock_code, date, shares of that
//                                       participant only (its snapshot rows and change points in
//                                       YYYY), sorted by stock_code, date. The participant page on a
//                                       date reads this one file instead of a part per stock held.
//   history/market/<YYYY>.parquet       every stock's stored-day state over the year's market dates,
//                                       as change points: stock_code, date, stored, issued_shares,
//                                       basis (a row where any of them differs from the previous
//                                       market date; stored false on the market dates the stock has
//                                       no stored day). With it a participant part alone gives the
//                                       % of issued, the split basis and "not stored on that date".
//   history/market/<YYYY>.json          {"dates": [...]}: the year's market dates (any stock stored).
//
// The writer reads relations of the analytics cache (views over its month chunks, cache SQL 90, and
// `history_days`, made by createHistorySources):
//   history_points(stock_code, participant_key, date, shares)  every change point of the full history
//   history_held(stock_code, participant_key, year)  the positions held on some stored date of a year
//   history_days(stock_code, date, issued_shares, ca_kind, ca_ratio, basis, …)  every stored date
// A year of the site older than the newest CCASS_SITE_FULL_YEARS is written at a coarse resolution
// (`resolution`: month-end, or quarter-end for the oldest): the same rows sampled on each month's or
// quarter's last market date (month-end.ts).
// One year at a time: writing a year reads that year's chunks and the holdings of its first dates,
// never the whole history, so a nightly that rewrites the open year does the same work at ten years
// as at one.
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { sqlString } from "../../src/lib/sql.ts";
import { isStockCode } from "../../src/lib/validate.ts";
import { participantFile } from "./ids.ts";
import { writeFileAtomic } from "../../src/lib/atomic.ts";
import { listDataset, tableSqlOnDates } from "../compute/source.ts";
import { timed, timing } from "../compute/timings.ts";
import { keepPeriodEnds, periodEndDatesSql, periodOf, type Resolution } from "./month-end.ts";

export interface HistoryPartsOptions {
  /** The calendar years whose parts are written; other years' files are left as they are. */
  years: readonly number[];
  /** zstd level of a year's files (19 for closed years; the open year is rewritten every night). */
  level: (year: number) => number;
  /** Each year's resolution (month-end.ts: the site's older years are coarse); default full. */
  resolution?: (year: number) => Resolution;
}

/**
 * The columns of a days part, in the order written. The day's summary is not repeated (the stock
 * JSON has it for the recent window): on the full-market 1-year data, 70 stocks' days parts are
 * 64 KB slim, 108 KB with nonconsenting_shares and 260 KB with the whole summary, i.e. 2.6, 4.3
 * and 10.4 MB a year for 2,800 stocks (docs/ARCHITECTURE.md "History files"). A date view shows the
 * listed holdings' total, which it rebuilds.
 */
export const DAY_COLUMNS = ["date", "issued_shares", "ca_kind", "ca_ratio", "basis", "security_id"] as const;

/**
 * Parquet page versions, the smaller of the two at level 19 on 70 full-market stocks' 2026 parts:
 * change points v1 (1.51 MB against 1.59 MB with v2's delta-packed shares), days v2 (64 KB against
 * 77 KB). hyparquet reads both.
 */
const parquetOptions = (level: number, version: "v1" | "v2") =>
  `FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL ${level}, PARQUET_VERSION ${version}`;

/**
 * `history_days` from the cache's whole-history stock-days (`stock_days_history`). `basis` is computed there on
 * exact integers (the product of the split and consolidation fractions up to the day), so the same
 * days give the same bits however many later days exist.
 */
export async function createHistorySources(conn: DuckDBConnection): Promise<void> {
  await conn.run(`CREATE OR REPLACE TEMP VIEW history_days AS
SELECT stock_code, date, issued_shares, total_shares AS ccass_shares, total_count AS participants,
  intermediaries_shares, consenting_shares, nonconsenting_shares, ca_kind, ca_ratio, basis, security_id
FROM stock_days_history`);
}

/**
 * Temp tables of the writer: each stock's first stored date per year, one year's parts' rows and
 * days. Each is made in the order its files are written, and the COPYs read it in that order.
 */
const YEARS = "hist_years";
const PARTS = "hist_parts";
const DAYS = "hist_days";
/** The year's part rows again, sorted by participant: each participant's COPY reads its row groups only. */
const BY_PARTICIPANT = "hist_by_participant";

/**
 * The rows of one year's parts (stock_code, participant_key, date, shares), sorted as written: a
 * snapshot row for every position held on the stock's first stored date of the year (the holdings
 * of that date, `snapshot`), then the change points after that date inside the year.
 */
function partsSql(year: number, snapshot: string): string {
  const inYear = `date >= DATE '${year}-01-01' AND date < DATE '${year + 1}-01-01'`;
  return `CREATE OR REPLACE TEMP TABLE ${PARTS} AS
WITH y AS (
  SELECT y.stock_code, y.first_date, d.security_id FROM ${YEARS} y JOIN history_days d ON d.stock_code = y.stock_code AND d.date = y.first_date
  WHERE y.year = ${year}
), rows AS (
  SELECT y.stock_code, x.participant_key, y.first_date AS date, x.shares, y.security_id
  FROM (${snapshot}) x JOIN y ON y.stock_code = x.stock_code AND y.first_date = x.date
  WHERE x.shares > 0
  UNION ALL
  SELECT p.stock_code, p.participant_key, p.date, p.shares, p.security_id
  FROM history_points p JOIN y ON y.stock_code = p.stock_code
  WHERE p.date > y.first_date AND p.${inYear}
), seam AS (
  -- a recycled code: a stored day whose security is not the previous stored day's
  SELECT stock_code, date, prev_date, security_id FROM (
    SELECT stock_code, date, security_id, lag(date) OVER w AS prev_date, lag(security_id) OVER w AS prev_security
    FROM history_days WHERE ${inYear} WINDOW w AS (PARTITION BY stock_code ORDER BY date)
  ) WHERE prev_security <> security_id
), closed AS (
  -- the old security's positions still open on its last day end on the new one's first day (shares
  -- 0), so that rebuilding a date of the new security never shows the old one's holders
  SELECT m.stock_code, r.participant_key, m.date, 0::BIGINT AS shares, m.security_id
  FROM seam m JOIN rows r ON r.stock_code = m.stock_code AND r.date <= m.prev_date
  GROUP BY m.stock_code, r.participant_key, m.date, m.security_id
  HAVING arg_max(r.shares, r.date) > 0
), rows_closed AS (
  SELECT * FROM rows UNION ALL (SELECT * FROM closed ANTI JOIN rows USING (stock_code, participant_key, date))
)
SELECT * FROM rows_closed ORDER BY stock_code, participant_key, date`;
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

/** preserve_insertion_order is off: the writer's COPYs would not keep the sorted tables' order. */
export class InsertionOrderError extends Error {
  override readonly name = "InsertionOrderError";
}

/**
 * The per-file COPYs read their rows from temp tables made with ORDER BY, without sorting them
 * again: DuckDB keeps a table's insertion order through a scan with a WHERE and through COPY as
 * long as `preserve_insertion_order` is on (its "Order preservation" documentation), and a
 * CREATE TABLE AS … ORDER BY inserts in that order. The second sort was a quarter to a third of
 * each small COPY's CPU (docs/BENCHMARKS.md "History writer"). The setting is DuckDB's default; a
 * connection that turned it off (as the cache build does) must not write parts.
 */
async function assertInsertionOrder(conn: DuckDBConnection): Promise<void> {
  const r = await conn.runAndReadAll("SELECT current_setting('preserve_insertion_order')");
  const on = r.getRowsJS()[0]?.[0];
  if (on !== true) throw new InsertionOrderError(`history parts need preserve_insertion_order on (the parts' row order depends on it), got ${JSON.stringify(on)}`);
}

/** Write `years`' parts of every stock of `data` and every participant's held/ file under `dir`. */
export async function writeHistoryParts(
  conn: DuckDBConnection,
  data: string,
  dir: string,
  opts: HistoryPartsOptions,
): Promise<{ files: number; years: number[] }> {
  // every argument checked before anything is written
  for (const y of opts.years) {
    if (!Number.isInteger(y) || y < 1900 || y > 9999) throw new Error(`not a calendar year: ${JSON.stringify(y)}`);
    const level = opts.level(y);
    if (!Number.isInteger(level) || level < 1 || level > 22) throw new Error(`zstd level for ${y} must be an integer from 1 to 22, not ${level}`);
  }
  await assertInsertionOrder(conn);
  const ds = await listDataset(data);
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${YEARS} AS
    SELECT stock_code, year(date)::INTEGER AS year, min(date) AS first_date FROM history_days GROUP BY 1, 2`);
  const wanted = [...new Set(opts.years)].sort((a, b) => a - b);
  let files = 0;
  for (const year of wanted) {
    const firstDates = (await conn.runAndReadAll(`SELECT DISTINCT strftime(first_date, '%Y-%m-%d') FROM ${YEARS} WHERE year = ${year} ORDER BY 1`))
      .getRowsJS()
      .map((r) => String(r[0]));
    await timed(`history.${year}.rows`, () => conn.run(partsSql(year, tableSqlOnDates(ds.tables.holdings, "holdings", firstDates))));
    // sorted by stock, as the parts are: each COPY below reads only its stock's row groups (zone
    // maps) instead of scanning every stock's days
    await conn.run(`CREATE OR REPLACE TEMP TABLE ${DAYS} AS
      SELECT stock_code, ${DAY_COLUMNS.map((x) => (x === "ca_ratio" ? "round(ca_ratio, 6) AS ca_ratio" : x)).join(", ")}
      FROM history_days WHERE date >= DATE '${year}-01-01' AND date < DATE '${year + 1}-01-01' ORDER BY stock_code, date`);
    const resolution = opts.resolution?.(year) ?? "full";
    // an older year of the site: the same rows sampled on each month's (quarter's) last market date (month-end.ts)
    if (resolution !== "full") await keepPeriodEnds(conn, year, periodOf(resolution), { years: YEARS, parts: PARTS, days: DAYS });
    const codes = (await conn.runAndReadAll(`SELECT stock_code FROM ${YEARS} WHERE year = ${year} ORDER BY 1`)).getRowsJS().map((r) => String(r[0]));
    const level = opts.level(year);
    const s0 = performance.now();
    for (const code of codes) {
      if (!isStockCode(code)) throw new Error(`not a stock code in history_days: ${JSON.stringify(code)}`);
      const c = sqlString(code);
      const stockDir = path.join(dir, code);
      await mkdir(stockDir, { recursive: true });
      // no ORDER BY: the rows come in the table's order, already the file's (writeHistoryParts)
      await copyAtomic(conn, `SELECT participant_key, date, shares, security_id FROM ${PARTS} WHERE stock_code = ${c}`,
        path.join(stockDir, `${year}.parquet`), parquetOptions(level, "v1"));
      await copyAtomic(conn, `SELECT ${DAY_COLUMNS.join(", ")} FROM ${DAYS} WHERE stock_code = ${c}`,
        path.join(stockDir, `${year}.days.parquet`), parquetOptions(level, "v2"));
      files += 2;
    }
    timing(`history.${year}.stock_files`, (performance.now() - s0) / 1000);
    files += await timed(`history.${year}.by_participant`, () => writeByParticipant(conn, dir, year, level));
    files += await timed(`history.${year}.market`, () => writeMarket(conn, dir, year, level, resolution));
    await conn.run(`DROP TABLE ${PARTS}`);
    await conn.run(`DROP TABLE ${DAYS}`);
  }
  files += await timed("history.held", () => writeHeld(conn, path.join(dir, "held")));
  await conn.run(`DROP TABLE ${YEARS}`);
  return { files, years: wanted };
}

/**
 * A participant gets its own part of a year when it held at least this many stocks in it: below
 * that the page reads that many stock parts at most (a few hundred KiB), and a file per small
 * participant and year would multiply the export's COPYs (1,397 participants against 2,800 stocks
 * on the full-market synthetic year; most hold a handful). history/held/ says which years have one.
 */
export const OWN_PART_MIN_STOCKS = 10;

/** The folder name of a participant's parts: its held/ file's name without `.json`. */
export function participantFolder(key: string): string {
  return participantFile(key).replace(/\.json$/, "");
}

/**
 * history/by-participant/<file>/<year>.parquet for every participant with rows of at least
 * OWN_PART_MIN_STOCKS stocks in the year's parts (${PARTS}): the widest holder's page on a date reads its own rows, not every row of every stock
 * it held (docs/ARCHITECTURE.md "Each participant's own order").
 */
async function writeByParticipant(conn: DuckDBConnection, dir: string, year: number, level: number): Promise<number> {
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${BY_PARTICIPANT} AS
    SELECT participant_key, stock_code, date, shares, security_id FROM ${PARTS} ORDER BY participant_key, stock_code, date`);
  // the participants held/ lists with an own part this year (writeHeld: history_held), so a month-end
  // year, whose parts may lose a stock held only between month-ends, still has the file held/ names
  const keys = (await conn.runAndReadAll(`SELECT participant_key FROM history_held WHERE year = ${year} GROUP BY 1 HAVING count(DISTINCT stock_code) >= ${OWN_PART_MIN_STOCKS} ORDER BY 1`))
    .getRowsJS()
    .map((r) => String(r[0]));
  for (const key of keys) {
    const folder = path.join(dir, "by-participant", participantFolder(key));
    await mkdir(folder, { recursive: true });
    await copyAtomic(conn, `SELECT stock_code, date, shares, security_id FROM ${BY_PARTICIPANT} WHERE participant_key = ${sqlString(key)}`,
      path.join(folder, `${year}.parquet`), parquetOptions(level, "v1"));
  }
  await conn.run(`DROP TABLE ${BY_PARTICIPANT}`);
  return keys.length;
}

/**
 * history/market/<year>.parquet and .json: each stock's state on the year's market dates as change
 * points (stored, issued_shares, basis; the two numbers null where not stored), and the market dates.
 * Made from history_days alone, so it is the same for every participant and fetched once a page.
 */
async function writeMarket(conn: DuckDBConnection, dir: string, year: number, level: number, resolution: Resolution): Promise<number> {
  // a coarse year: the market dates are the period ends alone (month-end.ts)
  const inYear = `date >= DATE '${year}-01-01' AND date < DATE '${year + 1}-01-01'` + (resolution !== "full" ? ` AND date IN (${periodEndDatesSql(year, periodOf(resolution))})` : "");
  const folder = path.join(dir, "market");
  await mkdir(folder, { recursive: true });
  await copyAtomic(conn, `WITH m AS (SELECT DISTINCT date FROM history_days WHERE ${inYear}),
  s AS (SELECT DISTINCT stock_code FROM history_days WHERE ${inYear}),
  g AS (
    SELECT s.stock_code, m.date, d.date IS NOT NULL AS stored, d.issued_shares, d.basis, d.security_id
    FROM s CROSS JOIN m LEFT JOIN history_days d ON d.stock_code = s.stock_code AND d.date = m.date
  ),
  c AS (
    SELECT *, row_number() OVER w AS rn, lag(stored) OVER w AS p_stored, lag(issued_shares) OVER w AS p_issued, lag(basis) OVER w AS p_basis,
      lag(security_id) OVER w AS p_security
    FROM g WINDOW w AS (PARTITION BY stock_code ORDER BY date)
  )
  SELECT stock_code, date, stored, issued_shares, basis, security_id FROM c
  WHERE rn = 1 OR stored IS DISTINCT FROM p_stored OR issued_shares IS DISTINCT FROM p_issued OR basis IS DISTINCT FROM p_basis
    OR security_id IS DISTINCT FROM p_security
  ORDER BY stock_code, date`, path.join(folder, `${year}.parquet`), parquetOptions(level, "v2"));
  const dates = (await conn.runAndReadAll(`SELECT DISTINCT strftime(date, '%Y-%m-%d') FROM history_days WHERE ${inYear} ORDER BY 1`)).getRowsJS().map((r) => String(r[0]));
  // a coarse year says so, and how many market dates the year really had (docs/DATASETS.md "history/")
  const stored = resolution !== "full"
    ? Number((await conn.runAndReadAll(`SELECT count(DISTINCT date) FROM history_days WHERE date >= DATE '${year}-01-01' AND date < DATE '${year + 1}-01-01'`)).getRowsJS()[0]![0])
    : 0;
  await writeFileAtomic(path.join(folder, `${year}.json`), JSON.stringify(resolution !== "full" ? { year, dates, resolution, stored_dates: stored } : { year, dates }));
  return 2;
}

/**
 * history/held/<file>.json for every participant: {participant_key, stocks: {code: [years]}, own?: [years]}, the
 * years whose part has a row where it holds shares (codes and years ascending: same data, same bytes):
 * a change point with shares in that year, or a position held on the year's first stored date.
 * Over every year, whichever years' parts are written.
 */
async function writeHeld(conn: DuckDBConnection, dir: string): Promise<number> {
  const held = await conn.runAndReadAll(
    `WITH own AS (
       SELECT participant_key, list(year ORDER BY year) AS own FROM (
         SELECT participant_key, year FROM history_held GROUP BY 1, 2 HAVING count(DISTINCT stock_code) >= ${OWN_PART_MIN_STOCKS}
       ) GROUP BY 1
     )
     SELECT h.participant_key, list(stock_code ORDER BY stock_code), list(years ORDER BY stock_code), any_value(own.own) FROM (
       SELECT participant_key, stock_code, list(DISTINCT year ORDER BY year) AS years FROM history_held GROUP BY 1, 2
     ) h LEFT JOIN own USING (participant_key) GROUP BY 1 ORDER BY 1`,
  );
  await mkdir(dir, { recursive: true });
  let n = 0;
  for (const [key, codes, years, own] of held.getRowsJS() as [string, string[], number[][], number[] | null][]) {
    const stocks: Record<string, number[]> = {};
    codes.forEach((c, i) => (stocks[c] = years[i]!.map(Number)));
    const target = path.join(dir, participantFile(key));
    const tmp = `${target}.${process.pid}.tmp`;
    // `own`: the years with a by-participant part (written only when it has one: older trees' shape)
    await writeFile(tmp, JSON.stringify(own?.length ? { participant_key: key, stocks, own: own.map(Number) } : { participant_key: key, stocks }));
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
