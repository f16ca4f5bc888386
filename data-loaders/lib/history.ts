// Per-stock history files (docs/DATASETS.md "History files"): every position of a stock as change
// points, in the share basis HKEX showed on each date, so a page can rebuild the holdings of any
// stored date, the change between two dates and any participant's history without the whole
// dataset. Read from the Parquet dataset (source.ts), numbered by the stock's stored days of the
// analytics cache (`summ`, which also says which days were splits or consolidations).
//
//   history/<code>.parquet       participant_key, date, shares: a row where a position starts or
//                                changes; shares 0 on the first stored date it no longer holds.
//                                Sorted by participant_key, date.
//   history/<code>.days.parquet  one row per stored date of the stock: issued shares, the summary,
//                                the corporate action of that day and `factor` (multiply a day's
//                                shares by factor(day) / factor(later day) to put it in the later
//                                day's basis).
//   history/held/<file>.json      per participant (the file name of participants/<file>.json): the
//                                stocks it held on any stored date, so its page can fetch just those.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { sqlString } from "../../src/ingest/sql.ts";
import { isStockCode } from "../../src/lib/validate.ts";
import { participantFile } from "./ids.ts";
import { listDataset, tableSql } from "./source.ts";

/** Temp table of every stock's change points (stock_code, participant_key, date, shares). */
const CHANGE_POINTS = "hist_cp";

/**
 * One window over the holdings, on integer keys (the stock's day number and the participant id of
 * the cache's `pk`), as cache.sql does for the same reason: sorting strings is slower.
 * A row is a change point when the position was absent or different on the stock's previous stored
 * day; a position missing on the stock's next stored day gets a 0 row on that day.
 */
export function changePointsSql(holdings: string): string {
  return `CREATE OR REPLACE TEMP TABLE ${CHANGE_POINTS} AS
WITH h AS (
  SELECT s.sid, s.seq, k.pid, x.shares
  FROM (${holdings}) x
  JOIN summ s ON s.stock_code = x.stock_code AND s.date = x.date
  JOIN pk k ON k.pkey = x.participant_key
  WHERE x.shares > 0
), w AS (
  SELECT sid, seq, pid, shares,
    lag(seq) OVER p AS prev_seq, lag(shares) OVER p AS prev_shares, lead(seq) OVER p AS next_seq
  FROM h WINDOW p AS (PARTITION BY sid, pid ORDER BY seq)
), pts AS (
  SELECT sid, pid, seq, shares FROM w
  WHERE prev_seq IS NULL OR prev_seq <> seq - 1 OR prev_shares <> shares
  UNION ALL
  SELECT w.sid, w.pid, w.seq + 1, 0 FROM w JOIN stock_last l USING (sid)
  WHERE (w.next_seq IS NULL AND w.seq < l.last_seq) OR w.next_seq > w.seq + 1
)
SELECT s.stock_code, k.pkey AS participant_key, s.date, p.shares
FROM pts p JOIN summ s ON s.sid = p.sid AND s.seq = p.seq JOIN pk k ON k.pid = p.pid`;
}

/**
 * Parquet 2 pages: shares (and the days' figures) are written DELTA_BINARY_PACKED, each change point
 * against the participant's previous one; zstd level 19 on top. Against version 1 at the default
 * level: 7 % smaller on a sample of 70 full-market stocks (docs/ARCHITECTURE.md "History files").
 * hyparquet reads both.
 */
const PARQUET_OPTIONS = "FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 19, PARQUET_VERSION v2";

/** The columns of a stock's days file, in the order written. */
export const DAY_COLUMNS_SQL = `date, issued_shares, total_shares AS ccass_shares, total_count AS participants,
  intermediaries_shares, consenting_shares, nonconsenting_shares, ca_kind, round(ca_ratio, 6) AS ca_ratio, factor`;

/**
 * Write `history/<code>.parquet` and `history/<code>.days.parquet` for every stock of the cache.
 * The connection must be on the analytics cache (it reads `summ`, `pk`, `stock_last`).
 */
export async function writeHistoryFiles(conn: DuckDBConnection, data: string, dir: string): Promise<{ codes: string[] }> {
  await mkdir(dir, { recursive: true });
  const ds = await listDataset(data);
  await conn.run(changePointsSql(tableSql(ds.tables.holdings, "holdings")));
  // Sorted once by stock so each COPY below reads only its stock's row groups (zone maps).
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${CHANGE_POINTS}_s AS SELECT * FROM ${CHANGE_POINTS} ORDER BY stock_code, participant_key, date`);
  await conn.run(`DROP TABLE ${CHANGE_POINTS}`);
  const codes = (await conn.runAndReadAll("SELECT stock_code FROM stock_last ORDER BY stock_code")).getRowsJS().map((r) => String(r[0]));
  for (const code of codes) {
    if (!isStockCode(code)) throw new Error(`not a stock code in the cache: ${JSON.stringify(code)}`);
    const c = sqlString(code);
    await conn.run(
      `COPY (SELECT participant_key, date, shares FROM ${CHANGE_POINTS}_s WHERE stock_code = ${c} ORDER BY participant_key, date)
       TO ${sqlString(path.join(dir, `${code}.parquet`))} (${PARQUET_OPTIONS})`,
    );
    await conn.run(
      `COPY (SELECT ${DAY_COLUMNS_SQL} FROM summ WHERE stock_code = ${c} ORDER BY date)
       TO ${sqlString(path.join(dir, `${code}.days.parquet`))} (${PARQUET_OPTIONS})`,
    );
  }
  const held = await conn.runAndReadAll(
    `SELECT participant_key, list(DISTINCT stock_code ORDER BY stock_code) FROM ${CHANGE_POINTS}_s GROUP BY 1 ORDER BY 1`,
  );
  await mkdir(path.join(dir, "held"), { recursive: true });
  for (const [key, stocks] of held.getRowsJS() as [string, string[]][]) {
    await writeFile(path.join(dir, "held", participantFile(key)), JSON.stringify({ participant_key: key, stocks }));
  }
  await conn.run(`DROP TABLE ${CHANGE_POINTS}_s`);
  return { codes };
}
