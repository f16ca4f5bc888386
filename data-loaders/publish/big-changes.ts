// Big changes (Webb-site's "big changes", used to spot probable share pledges): every participant
// whose holding of a stock moved by at least BIG_CHANGE_FLOOR_PCT of its issued shares between an
// earlier stored date and the latest one, market-wide (docs/DATASETS.md "big-changes.json.gz").
// Published for three fixed spans ending on the dataset's latest date (1, 5 and 20 stored days, the
// spans of the stock pages' changes); the page filters them by threshold. Any other pair of dates is
// the stock page's two-date view (history parts), which has the same threshold filter.
//
// Computed from the source holdings of four dates only (not the cache's window tables, which keep
// no exits): a participant that sold out is a change to 0. Shares of the earlier date are put on the
// latest date's share basis (stock_days_history.basis), so a split is never a change.
import type { DuckDBConnection } from "@duckdb/node-api";
import { rows } from "../compute/duck.ts";
import { pct, SCHEMA_VERSION } from "./common.ts";
import { LIKELY_MIN_CONFIDENCE } from "./likely.ts";
import { listDataset, tableSqlOnDates } from "../compute/source.ts";

/** Spans offered, in stored days before the latest date; the page's default is 5. */
export const BIG_CHANGE_SPANS = [1, 5, 20] as const;
/** Changes smaller than this (percent of issued) are not published; the page's default threshold is 0.25. */
export const BIG_CHANGE_FLOOR_PCT = 0.1;
export const BIG_CHANGE_DEFAULT = { days: 5, min_pct: 0.25 } as const;

export interface BigChangeRow {
  days: number;
  from: string;
  to: string;
  stock_code: string;
  key: string;
  shares_before: number;
  shares_after: number;
  change: number;
  change_pp: number;
}

export interface BigChangeSpan {
  days: number;
  from: string;
  to: string;
}

/** The spans the dataset has dates for: from the stored date `days` before the latest one to it. */
export async function bigChangeSpans(conn: DuckDBConnection): Promise<BigChangeSpan[]> {
  const recent = (await rows<{ d: string }>(conn, `SELECT strftime(date, '%Y-%m-%d') AS d FROM dates ORDER BY date DESC LIMIT ${Math.max(...BIG_CHANGE_SPANS) + 1}`)).map(
    (r) => r.d,
  );
  return BIG_CHANGE_SPANS.filter((n) => recent.length > n).map((n) => ({ days: n, from: recent[n]!, to: recent[0]! }));
}

/**
 * Every change ≥ the floor over each span, sorted by span, |change_pp| desc, stock, key (a total
 * order: deterministic). A stock counts when it is stored on both dates of the span, as one security.
 */
export async function bigChangeRows(conn: DuckDBConnection, data: string, spans: readonly BigChangeSpan[]): Promise<BigChangeRow[]> {
  if (spans.length === 0) return [];
  const ds = await listDataset(data);
  const wanted = [spans[0]!.to, ...spans.map((s) => s.from)];
  const spanValues = spans.map((s) => `(${s.days}, DATE '${s.from}', DATE '${s.to}')`).join(", ");
  return rows<BigChangeRow>(
    conn,
    `WITH h AS (SELECT stock_code, date, participant_key, shares FROM (${tableSqlOnDates(ds.tables.holdings, "holdings", wanted)}) WHERE shares > 0),
    span(days, d0, d1) AS (VALUES ${spanValues}),
    pos AS (
      SELECT sp.days, sp.d0, sp.d1, h.stock_code, h.participant_key,
        coalesce(sum(h.shares) FILTER (WHERE h.date = sp.d0), 0) AS raw_before,
        coalesce(sum(h.shares) FILTER (WHERE h.date = sp.d1), 0) AS shares_after
      FROM span sp JOIN h ON h.date IN (sp.d0, sp.d1) GROUP BY ALL
    ), c AS (
      SELECT p.*, round(p.raw_before * s1.basis / s0.basis)::BIGINT AS shares_before, s1.issued_shares AS issued
      FROM pos p JOIN stock_days_history s0 ON s0.stock_code = p.stock_code AND s0.date = p.d0
      JOIN stock_days_history s1 ON s1.stock_code = p.stock_code AND s1.date = p.d1
      -- one security on both dates: a recycled code's two securities are never compared
      WHERE s0.security_id = s1.security_id
    )
    SELECT days::INTEGER AS days, strftime(d0, '%Y-%m-%d') AS "from", strftime(d1, '%Y-%m-%d') AS "to", stock_code, participant_key AS key,
      shares_before, shares_after, shares_after - shares_before AS change, ${pct("(shares_after - shares_before) * 100.0 / issued")} AS change_pp
    FROM c WHERE abs(shares_after - shares_before) * 100.0 / issued >= ${BIG_CHANGE_FLOOR_PCT}
    ORDER BY days, abs(change_pp) DESC, stock_code, key`,
  );
}

/** Names of the stocks and participants of `changes` (as of the latest date they were listed). */
async function namesOf(conn: DuckDBConnection, changes: readonly BigChangeRow[]) {
  const codes = [...new Set(changes.map((c) => c.stock_code))].sort();
  const keys = [...new Set(changes.map((c) => c.key))].sort();
  const stock_names: Record<string, string | null> = {};
  const names: Record<string, string | null> = {};
  if (codes.length) {
    for (const r of await rows<{ k: string; n: string | null }>(conn, `SELECT stock_code AS k, stock_name AS n FROM stock_names ORDER BY k`)) if (codes.includes(r.k)) stock_names[r.k] = r.n;
    const keySet = new Set(keys);
    for (const r of await rows<{ k: string; n: string | null }>(conn, `SELECT pkey AS k, name AS n FROM participant_names ORDER BY k`)) if (keySet.has(r.k)) names[r.k] = r.n;
  }
  return { stock_names, names };
}

/**
 * `big-changes.json` text: {schema_version, has_data, latest_date, floor_pct, default, likely_min_confidence, spans: [{days, from, to}],
 * changes: columnar {days, stock_code, key, shares_before, shares_after, change, change_pp}, stock_names, names}.
 */
export async function bigChangesJson(conn: DuckDBConnection, spans: readonly BigChangeSpan[], changes: readonly BigChangeRow[]): Promise<string> {
  const latest = (await rows<{ d: string | null }>(conn, `SELECT strftime(max(date), '%Y-%m-%d') AS d FROM dates`))[0]?.d ?? null;
  const cols = ["days", "stock_code", "key", "shares_before", "shares_after", "change", "change_pp"] as const;
  const { stock_names, names } = await namesOf(conn, changes);
  return JSON.stringify({
    schema_version: SCHEMA_VERSION,
    has_data: latest !== null,
    latest_date: latest,
    floor_pct: BIG_CHANGE_FLOOR_PCT,
    default: BIG_CHANGE_DEFAULT,
    // the watchlist page picks the likely transfers out of transfers.json with the site's one rule
    likely_min_confidence: LIKELY_MIN_CONFIDENCE,
    spans,
    changes: Object.fromEntries(cols.map((k) => [k, changes.map((c) => c[k])])),
    stock_names,
    names,
  });
}
