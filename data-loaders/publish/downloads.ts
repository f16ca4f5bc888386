// The Parquet and CSV downloads of the static API (docs/DATASETS.md "downloads/").
// Two kinds, written by two functions:
// - whole-history tables as **yearly hive parts**, `downloads/<name>/year=YYYY/<name>-YYYY.parquet`
//   (`writeDownloadParts`): a part holds only that calendar year's rows and every value in it
//   depends only on that day's data (shares in that day's basis, names as listed that day, groups
//   numbered within the stock-day), so a closed year's part never changes when days are appended
//   and an incremental build can keep it;
// - single files (`writeWindowDownloads`): the recent window (the last RECENT_WINDOW_DAYS stored
//   days) of concentration, attention and the top-10 trends, which the history parts can recompute
//   for any older date (docs/DATASETS.md gives the query), plus the latest holdings, the corporate
//   actions (tiny, whole history) and the CSVs.
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { sqlString } from "../../src/lib/sql.ts";
import type { Analytics } from "../compute/cache.ts";
import { sqlSafeText, toCsv } from "./csv.ts";
import { columns } from "../compute/duck.ts";
import { createHolderCategorySource } from "./holder-categories.ts";
import { likelySql, pct, windowStart } from "./common.ts";
import { RANKING_SQL } from "./page-data/concentration.ts";
import { participantIndexColumns } from "./page-data/participants.ts";
import { stockIndexColumns } from "./page-data/stocks.ts";
import { listDataset, tableSql } from "../compute/source.ts";

/** Whole-history downloads published as yearly parts: name → relation and the order of its rows (its key). */
export const DOWNLOAD_PARTS = {
  transfers: { relation: "dl_transfers", order: `date, stock_code, "group", buyer_id, seller_id` },
  southbound: { relation: "dl_southbound", order: "date, stock_code" },
  "holder-categories": { relation: "dl_holder_categories", order: "date, stock_code" },
} as const;
export type DownloadPartName = keyof typeof DOWNLOAD_PARTS;

/** `transfers/year=2026/transfers-2026.parquet`: a part's path under `downloads/`. */
export const downloadPartPath = (name: DownloadPartName, year: number) => `${name}/year=${year}/${name}-${year}.parquet`;

/** transfers.csv is written only up to this many pairs (the Parquet parts always have them all). */
export const MAX_CSV_ROWS = 100_000;

/** `writeDownloadParts` options: which years to write and the zstd level of each. */
export interface PartOptions {
  years: readonly number[];
  level: (year: number) => number;
}

/**
 * The relations the parts are written from, each with a `date` column and the whole history:
 * `dl_transfers`, `dl_southbound`, views over the analytics cache's whole-history relations (cache
 * SQL 90, over its month chunks) and the dataset's daily participant names. Every column is a
 * same-day figure: transfers' shares in that day's basis, `group` numbering the matched sets within
 * the stock-day, names as listed on that date (a later rename changes nothing).
 */
export async function createDownloadSources(conn: DuckDBConnection, data: string): Promise<void> {
  const ds = await listDataset(data);
  await conn.run(`CREATE OR REPLACE TEMP VIEW dl_day_names AS
    SELECT date, participant_key AS pkey, any_value(name) AS name FROM (${tableSql(ds.tables.participants, "participants")}) GROUP BY ALL`);
  await conn.run(`CREATE OR REPLACE TEMP VIEW dl_transfers AS
    SELECT p.date, p.stock_code, p.seller AS seller_id, sn.name AS seller_name, p.buyer AS buyer_id, bn.name AS buyer_name,
      p.shares, ${pct("p.pct_of_issued")} AS pct_of_issued, p.match, p.set_id AS "group", p.confidence,
      ${likelySql("p.confidence")} AS likely, s.security_id
    FROM history_pairs p
    LEFT JOIN stock_days_history s USING (stock_code, date)
    LEFT JOIN dl_day_names sn ON sn.date = p.date AND sn.pkey = p.seller
    LEFT JOIN dl_day_names bn ON bn.date = p.date AND bn.pkey = p.buyer`);
  await conn.run(`CREATE OR REPLACE TEMP VIEW dl_southbound AS
    SELECT c.date, c.stock_code, b.shares, ${pct("b.pct")} AS pct, c.clearing_shares, ${pct("c.clearing_pct")} AS clearing_pct, c.security_id
    FROM clearing_history c LEFT JOIN southbound_history b USING (stock_code, date) WHERE b.shares IS NOT NULL OR c.clearing_shares > 0`);
  await createHolderCategorySource(conn);
}

/** The calendar years that hold rows of any part relation, ascending. */
export async function downloadYears(conn: DuckDBConnection): Promise<number[]> {
  const union = Object.values(DOWNLOAD_PARTS)
    .map((p) => `SELECT DISTINCT year(date) AS y FROM ${p.relation}`)
    .join(" UNION ");
  const r = await conn.runAndReadAll(`SELECT y FROM (${union}) ORDER BY y`);
  return r.getRowsJS().map((row) => Number(row[0]));
}

const yearFilter = (year: number) => `date >= DATE '${year}-01-01' AND date < DATE '${year + 1}-01-01'`;

/**
 * Write the parts of the given years (and only those: other years' files are never touched) under
 * `dir` (the tree's `downloads/`). A year with no rows for a table gets no part. Each part is
 * written to a temp file and renamed. Returns the rows of each part written, by path under `dir`.
 */
export async function writeDownloadParts(conn: DuckDBConnection, dir: string, options: PartOptions): Promise<Map<string, number>> {
  const rowsOf = new Map<string, number>();
  for (const year of options.years) {
    if (!Number.isInteger(year) || year < 1900 || year > 9999) throw new RangeError(`not a calendar year: ${year}`);
    const level = options.level(year);
    if (!Number.isInteger(level) || level < 1 || level > 22) throw new RangeError(`zstd level for ${year} must be an integer from 1 to 22: ${level}`);
    for (const [name, part] of Object.entries(DOWNLOAD_PARTS) as [DownloadPartName, (typeof DOWNLOAD_PARTS)[DownloadPartName]][]) {
      const select = `SELECT * FROM ${part.relation} WHERE ${yearFilter(year)}`;
      const n = Number((await conn.runAndReadAll(`SELECT count(*) FROM (${select})`)).getRowsJS()[0]![0]);
      if (n === 0) continue;
      const rel = downloadPartPath(name, year);
      const file = path.join(dir, rel);
      const tmp = `${file}.${process.pid}.tmp`;
      await mkdir(path.dirname(file), { recursive: true });
      try {
        await conn.run(`COPY (${select} ORDER BY ${part.order}) TO ${sqlString(tmp)} (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL ${level})`);
        await rename(tmp, file);
      } catch (err) {
        await rm(tmp, { force: true });
        throw err;
      }
      rowsOf.set(rel, n);
    }
  }
  return rowsOf;
}

/** Single-file Parquet downloads: file name → query over the cache. */
const singleFiles = (WINDOW_START: string): Record<string, string> => ({
  "holdings-latest.parquet": `SELECT l.date, l.stock_code, l.pkey AS participant_key, n.participant_id, n.name, l.shares,
      ${pct("l.pct")} AS pct_of_issued
    FROM latest_holdings l LEFT JOIN participant_names n USING (pkey) WHERE l.date = (SELECT max(date) FROM dates) ORDER BY l.stock_code, l.rank`,
  "concentration.parquet": `SELECT c.date, c.stock_code, ${pct("c.top1_pct")} AS top1_pct, ${pct("c.top5_pct")} AS top5_pct,
      ${pct("c.top10_pct")} AS top10_pct, ${pct("c.ccass_pct")} AS ccass_pct, c.participants, s.issued_shares
    FROM concentration c JOIN stock_days_window s USING (stock_code, seq) WHERE c.date >= ${WINDOW_START} ORDER BY c.date, c.stock_code`,
  "attention.parquet": `SELECT date, stock_code, ${pct("attention_pct")} AS attention_pct, positions_changed FROM attention
    WHERE date >= ${WINDOW_START} ORDER BY date, stock_code`,
  // change points only: each row's holding lasts until the participant's next row for that stock;
  // a holder's last point before the window comes too, so the holding on the window's first day is known
  "trends-top10.parquet": `SELECT date, stock_code, pkey AS participant_key, shares AS shares_adj, change AS change_adj,
      ${pct("shares * 100.0 / issued_adj")} AS pct_of_issued
    FROM series_points WHERE latest_rank <= 10
    QUALIFY date >= ${WINDOW_START}
      OR date = max(date) FILTER (WHERE date < ${WINDOW_START}) OVER (PARTITION BY stock_code, pkey)
    ORDER BY stock_code, participant_key, date`,
  "corporate-actions.parquet": `SELECT date, stock_code, ca_kind AS kind, round(ca_ratio, 6) AS ratio, issued_prev AS issued_before,
      issued_shares AS issued_after, security_id FROM stock_days_history WHERE ca_kind IS NOT NULL ORDER BY date, stock_code`,
});

/** CSV downloads (small ones only): file name → columnar table. */
async function csvTables(a: Analytics, corporateActions: string): Promise<Record<string, Record<string, unknown[]>>> {
  return {
    "stocks.csv": await stockIndexColumns(a),
    "participants.csv": await participantIndexColumns(a),
    "concentration-latest.csv": await columns(a.db.conn, RANKING_SQL),
    "attention-bands.csv": await columns(
      a.db.conn,
      `SELECT stock_code, ${pct("p25")} AS p25, ${pct("p75")} AS p75, ${pct("p95")} AS p95, days FROM attention_bands ORDER BY stock_code`,
    ),
    "corporate-actions.csv": await columns(a.db.conn, `SELECT strftime(date, '%Y-%m-%d') AS date, * EXCLUDE (date) FROM (${corporateActions})`),
  };
}

/**
 * The single files under `dir` (the tree's `downloads/`), from the cache's window tables; and
 * transfers.csv, the recent window's pairs from `dl_transfers` (createDownloadSources first), only
 * while small enough to be useful as a spreadsheet. Returns the rows of each file, by name.
 */
export async function writeWindowDownloads(
  a: Analytics,
  dir: string,
  options: { windowDays?: number; log?: (s: string) => void } = {},
): Promise<Map<string, number>> {
  const conn = a.db.conn;
  const log = options.log ?? (() => {});
  const WINDOW_START = windowStart(options.windowDays);
  const files = singleFiles(WINDOW_START);
  const rowsOf = new Map<string, number>();
  for (const [file, sql] of Object.entries(files)) {
    const r = await conn.run(`COPY (${sql}) TO ${sqlString(path.join(dir, file))} (FORMAT parquet, COMPRESSION zstd)`);
    rowsOf.set(file, r.rowsChanged);
    log(`  ${file}`);
  }
  for (const [file, table] of Object.entries(await csvTables(a, files["corporate-actions.parquet"]!))) {
    await writeFile(path.join(dir, file), toCsv(table as Parameters<typeof toCsv>[0]));
    const first = Object.values(table)[0];
    rowsOf.set(file, first ? first.length : 0);
  }
  // DuckDB writes it (far faster than JS for big tables), names neutralised in SQL
  const recent = `SELECT * FROM dl_transfers WHERE date >= ${WINDOW_START}`;
  const pairCount = Number((await conn.runAndReadAll(`SELECT count(*) FROM (${recent})`)).getRowsJS()[0]![0]);
  if (pairCount <= MAX_CSV_ROWS) {
    const r = await conn.run(
      `COPY (SELECT strftime(date, '%Y-%m-%d') AS date, * EXCLUDE (date, seller_name, buyer_name),
         ${sqlSafeText("seller_name")} AS seller_name, ${sqlSafeText("buyer_name")} AS buyer_name
       FROM (${recent}) ORDER BY ${DOWNLOAD_PARTS.transfers.order}) TO ${sqlString(path.join(dir, "transfers.csv"))} (FORMAT csv, HEADER true)`,
    );
    rowsOf.set("transfers.csv", r.rowsChanged);
  }
  return rowsOf;
}
