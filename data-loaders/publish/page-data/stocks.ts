// stocks.json: the stock index for search, as of each stock's own last day.
import type { Analytics } from "../../compute/cache.ts";
import { columns } from "../../compute/duck.ts";
import { stockKind } from "../ids.ts";
import { hasData, latestDate, pct, SCHEMA_VERSION } from "../common.ts";

export const STOCKS_SQL = `
SELECT l.stock_code AS code, n.stock_name AS name, strftime(l.last_date, '%Y-%m-%d') AS latest_date,
  s.issued_shares, ${pct("c.ccass_pct")} AS ccass_pct, s.total_count AS participants,
  ${pct("c.top10_pct")} AS top10_pct, ${pct("b.pct")} AS southbound_pct, l.security_id
FROM stock_last l
JOIN stock_names n USING (stock_code)
JOIN stock_days_window s ON s.stock_code = l.stock_code AND s.seq = l.last_seq
JOIN concentration c ON c.stock_code = l.stock_code AND c.seq = l.last_seq
LEFT JOIN southbound_holdings b ON b.stock_code = l.stock_code AND b.seq = l.last_seq
ORDER BY l.stock_code`;

export async function stockIndexColumns(a: Analytics) {
  const t = await columns(a.db.conn, STOCKS_SQL);
  const codes = (t.code ?? []) as string[];
  const names = (t.name ?? []) as (string | null)[];
  const kind = codes.map((c, i) => stockKind(c, names[i] ?? null));
  const { code, name, ...rest } = t;
  return { code: code ?? [], name: name ?? [], kind, ...rest };
}

export async function stocks(a: Analytics) {
  return {
    schema_version: SCHEMA_VERSION,
    has_data: await hasData(a),
    latest_date: await latestDate(a),
    stocks: await stockIndexColumns(a),
  };
}
