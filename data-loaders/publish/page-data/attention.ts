// attention.json: the most-moved stocks, market-wide daily totals, each stock's own bands.
import type { Analytics } from "../../compute/cache.ts";
import { columns, rows } from "../../compute/duck.ts";
import { hasData, latestDate, likelySql, pct, SCHEMA_VERSION } from "../common.ts";

// Market-wide totals per date, over the stocks that have a day before it (seq > 0): the first
// stored date has none and is left out, rather than plotted as a day on which nothing changed.
const DAILY_SQL = `
WITH a AS (
  SELECT date, ${pct("coalesce(sum(attention_pct), 0)")} AS attention_sum,
    count(*) FILTER (WHERE positions_changed > 0) AS stocks_moved, sum(positions_changed) AS positions_changed
  FROM attention WHERE seq > 0 GROUP BY date
), p AS (SELECT date, count(*) AS likely_transfers FROM window_pairs WHERE ${likelySql()} GROUP BY date)
SELECT strftime(a.date, '%Y-%m-%d') AS date, a.attention_sum, a.stocks_moved, a.positions_changed,
  coalesce(p.likely_transfers, 0) AS likely_transfers
FROM a LEFT JOIN p USING (date) ORDER BY a.date`;

const LEVEL = `CASE WHEN a.attention_pct < b.p25 THEN 'quiet' WHEN a.attention_pct <= b.p75 THEN 'normal'
  WHEN a.attention_pct <= b.p95 THEN 'high' ELSE 'extreme' END`;

const BOARD_SQL = `
SELECT a.stock_code, n.stock_name AS name, ${pct("a.attention_pct")} AS attention_pct,
  ${pct("b.p25")} AS p25, ${pct("b.p75")} AS p75, ${pct("b.p95")} AS p95, ${LEVEL} AS level, ${pct("c.ccass_pct")} AS ccass_pct
FROM attention a JOIN stock_names n USING (stock_code) LEFT JOIN attention_bands b USING (stock_code)
JOIN concentration c ON c.stock_code = a.stock_code AND c.seq = a.seq
WHERE a.date = (SELECT max(date) FROM dates) AND a.attention_pct > 0
ORDER BY a.attention_pct DESC, a.stock_code LIMIT 50`;

const TOP_BY_DATE_SQL = `
WITH recent AS (SELECT date FROM dates ORDER BY date DESC LIMIT 60),
r AS (
  SELECT a.date, a.stock_code, a.attention_pct,
    row_number() OVER (PARTITION BY a.date ORDER BY a.attention_pct DESC, a.stock_code) AS rank
  FROM attention a SEMI JOIN recent USING (date) WHERE a.attention_pct > 0
  QUALIFY rank <= 20
)
SELECT strftime(r.date, '%Y-%m-%d') AS date, r.rank, r.stock_code, ${pct("r.attention_pct")} AS attention_pct, ${pct("b.p95")} AS p95
FROM r LEFT JOIN attention_bands b USING (stock_code) ORDER BY r.date, r.rank`;

export async function attention(a: Analytics) {
  const empty = { date: [], rank: [], stock_code: [], attention_pct: [], p95: [] };
  const top = await columns(a.db.conn, TOP_BY_DATE_SQL);
  return {
    schema_version: SCHEMA_VERSION,
    has_data: await hasData(a),
    latest_date: await latestDate(a),
    daily: await columns(a.db.conn, DAILY_SQL),
    board: await rows(a.db.conn, BOARD_SQL),
    top_by_date: Object.keys(top).length ? top : empty,
  };
}
