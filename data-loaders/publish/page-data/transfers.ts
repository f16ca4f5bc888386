// transfers.json: transfers (seller → buyer pairs) across the market, compact: the likely ones
// (confidence at least LIKELY_MIN_CONFIDENCE) and the possible matches below, each row saying which.
import { FLOOR_PCT, type Analytics } from "../../compute/cache.ts";
import { columns, rows } from "../../compute/duck.ts";
import { LIKELY_MIN_CONFIDENCE } from "../likely.ts";
import { hasData, latestDate, likelySql, pct, SCHEMA_VERSION } from "../common.ts";

/** The market-wide file keeps at most this many pairs (likely ones first, then largest first); the Parquet has all. */
export const MAX_PAIRS = 20_000;

export const PAIRS_SQL = `
SELECT strftime(date, '%Y-%m-%d') AS date, stock_code, seller AS seller_id, buyer AS buyer_id, shares,
  ${pct("pct_of_issued")} AS pct_of_issued, match, set_id AS "group", confidence, ${likelySql()} AS likely
FROM window_pairs`;

export async function transfers(a: Analytics) {
  const total = Number((await rows<{ n: number }>(a.db.conn, "SELECT count(*) AS n FROM window_pairs"))[0]?.n ?? 0);
  // Every ORDER BY ends on the pair's key (date, stock, seller, buyer): pairs equal on the other
  // terms (two stocks, the same buyer, one date) would otherwise come out, or be cut, in any order.
  const tie = "date, stock_code, seller_id, buyer_id";
  // When cut, likely pairs are kept before possible matches, each largest first: the cut never drops
  // a likely pair while it keeps a possible match.
  const keptOrder = `likely DESC, pct_of_issued DESC, ${tie}`;
  const likelyTotal = Number((await rows<{ n: number }>(a.db.conn, `SELECT count(*) AS n FROM window_pairs WHERE ${likelySql()}`))[0]?.n ?? 0);
  const kept = `SELECT * FROM (${PAIRS_SQL}) ${total > MAX_PAIRS ? `ORDER BY ${keptOrder} LIMIT ${MAX_PAIRS}` : ""}`;
  // where the cut fell among the likely pairs (the floor while every likely pair is kept)
  const cut =
    likelyTotal > MAX_PAIRS
      ? Number((await rows<{ p: number }>(a.db.conn, `SELECT min(pct_of_issued) AS p FROM (${kept})`))[0]?.p ?? FLOOR_PCT)
      : FLOOR_PCT;
  const pairs = await columns(a.db.conn, `SELECT * FROM (${kept}) ORDER BY date DESC, pct_of_issued DESC, "group", buyer_id, ${tie}`);
  const names = await rows<{ key: string; name: string }>(
    a.db.conn,
    `WITH k AS (SELECT seller AS key FROM window_pairs UNION SELECT buyer FROM window_pairs)
     SELECT k.key, n.name FROM k JOIN participant_names n ON n.pkey = k.key ORDER BY k.key`,
  );
  return {
    schema_version: SCHEMA_VERSION,
    has_data: await hasData(a),
    latest_date: await latestDate(a),
    floor_pct: FLOOR_PCT,
    likely_min_confidence: LIKELY_MIN_CONFIDENCE,
    likely_total: likelyTotal,
    truncated: total > MAX_PAIRS,
    min_pct_kept: Math.round(cut * 10000) / 10000,
    pairs,
    names: Object.fromEntries(names.map((r) => [r.key, r.name])),
  };
}
