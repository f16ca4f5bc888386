// southbound.json: Stock Connect holdings from the mutual-market table and from the clearing
// agencies' (A…) CCASS positions.
import type { Analytics } from "../../compute/cache.ts";
import { columns } from "../../compute/duck.ts";
import { hasData, latestDate, pct, SCHEMA_VERSION } from "../common.ts";

const chg = (n: number) => `${pct(`b.pct - b${n}.pct`)} AS chg_${n}d_pp`;

export const LATEST_SQL = `
SELECT b.stock_code, coalesce(n.stock_name, b.stock_name) AS name, b.shares, ${pct("b.pct")} AS pct, ${chg(1)}, ${chg(5)}, ${chg(20)},
  c.clearing_shares, ${pct("c.clearing_pct")} AS clearing_pct
FROM southbound_holdings b
-- outer joins: a stock with no summary that day stays listed, its CCASS figures NULL
LEFT JOIN stock_names n USING (stock_code)
LEFT JOIN concentration c ON c.stock_code = b.stock_code AND c.seq = b.seq
LEFT JOIN southbound_holdings b1 ON b1.stock_code = b.stock_code AND b1.seq = b.seq - 1
LEFT JOIN southbound_holdings b5 ON b5.stock_code = b.stock_code AND b5.seq = b.seq - 5
LEFT JOIN southbound_holdings b20 ON b20.stock_code = b.stock_code AND b20.seq = b.seq - 20
WHERE b.date = (SELECT max(date) FROM dates)
ORDER BY b.pct DESC NULLS LAST, b.stock_code`;

export const DAILY_SQL = `
WITH p AS (SELECT date, avg(pct) AS pct_mean FROM southbound_holdings GROUP BY date),
  c AS (SELECT date, count(*) FILTER (WHERE clearing_shares > 0) AS clearing_stocks FROM concentration GROUP BY date)
SELECT strftime(d.date, '%Y-%m-%d') AS date, coalesce(s.stocks, 0) AS stocks, ${pct("p.pct_mean")} AS pct_mean,
  coalesce(c.clearing_stocks, 0) AS clearing_stocks
FROM dates d LEFT JOIN southbound_daily s USING (date) LEFT JOIN p USING (date) LEFT JOIN c USING (date)
ORDER BY d.date`;

export async function southbound(a: Analytics) {
  return {
    schema_version: SCHEMA_VERSION,
    has_data: await hasData(a),
    latest_date: await latestDate(a),
    latest: await columns(a.db.conn, LATEST_SQL),
    daily: await columns(a.db.conn, DAILY_SQL),
  };
}
