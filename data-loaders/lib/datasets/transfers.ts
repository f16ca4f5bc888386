// transfers.json: likely transfers (seller → buyer pairs) across the market, compact.
import { FLOOR_PCT, type Analytics } from "../cache.ts";
import { columns, rows } from "../duck.ts";
import { hasData, latestDate, pct, SCHEMA_VERSION } from "./common.ts";

/** The market-wide file keeps at most this many pairs (largest first); the Parquet has all. */
export const MAX_PAIRS = 20_000;

export const PAIRS_SQL = `
SELECT strftime(date, '%Y-%m-%d') AS date, stock_code, seller AS seller_id, buyer AS buyer_id, shares,
  ${pct("pct_of_issued")} AS pct_of_issued, match, set_id AS "group", confidence
FROM window_pairs`;

export async function transfers(a: Analytics) {
  const total = Number((await rows<{ n: number }>(a.db.conn, "SELECT count(*) AS n FROM window_pairs"))[0]?.n ?? 0);
  const cut =
    total > MAX_PAIRS
      ? Number((await rows<{ p: number }>(a.db.conn, `SELECT pct_of_issued AS p FROM window_pairs ORDER BY pct_of_issued DESC LIMIT 1 OFFSET ${MAX_PAIRS - 1}`))[0]?.p)
      : FLOOR_PCT;
  // Every ORDER BY ends on the pair's key (date, stock, seller, buyer): pairs equal on the other
  // terms (two stocks, the same buyer, one date) would otherwise come out, or be cut, in any order.
  const tie = "date, stock_code, seller_id, buyer_id";
  const kept = `SELECT * FROM (${PAIRS_SQL}) ${total > MAX_PAIRS ? `ORDER BY pct_of_issued DESC, ${tie} LIMIT ${MAX_PAIRS}` : ""}`;
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
    truncated: total > MAX_PAIRS,
    min_pct_kept: Math.round(cut * 10000) / 10000,
    pairs,
    names: Object.fromEntries(names.map((r) => [r.key, r.name])),
  };
}
