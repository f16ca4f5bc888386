// concentration.json: per stock on the latest date, top 1/5/10 share of issued, CCASS %, count,
// their changes over 1, 5 and 20 stored days, a market-wide ranking and the movers.
import type { Analytics } from "../../compute/cache.ts";
import { columns } from "../../compute/duck.ts";
import { hasData, latestDate, pct, SCHEMA_VERSION } from "../common.ts";

const diff = (col: string, n: number, round = true) => {
  const e = `c.${col} - c${n}.${col}`;
  return `${round ? pct(e) : e} AS ${col.replace(/_pct$/, "")}_chg_${n}d`;
};

export const RANKING_SQL = `
SELECT c.stock_code, n.stock_name AS name, ${pct("c.top1_pct")} AS top1_pct, ${pct("c.top5_pct")} AS top5_pct,
  ${pct("c.top10_pct")} AS top10_pct, ${pct("c.ccass_pct")} AS ccass_pct, c.participants,
  ${diff("top10_pct", 1)}, ${diff("top10_pct", 5)}, ${diff("top10_pct", 20)},
  ${diff("ccass_pct", 1)}, ${diff("ccass_pct", 5)}, ${diff("ccass_pct", 20)},
  ${diff("participants", 1, false)}, ${diff("participants", 5, false)}, ${diff("participants", 20, false)}
FROM concentration c
JOIN stock_last l ON l.stock_code = c.stock_code AND l.last_seq = c.seq
JOIN stock_names n ON n.stock_code = c.stock_code
LEFT JOIN concentration c1 ON c1.stock_code = c.stock_code AND c1.seq = c.seq - 1
LEFT JOIN concentration c5 ON c5.stock_code = c.stock_code AND c5.seq = c.seq - 5
LEFT JOIN concentration c20 ON c20.stock_code = c.stock_code AND c20.seq = c.seq - 20
WHERE l.last_date = (SELECT max(date) FROM dates)
ORDER BY c.top10_pct DESC, c.stock_code`;

/** The 20 largest rises (or falls) of a change column, from the ranking already in memory. */
function movers(ranking: Record<string, unknown[]>, col: string, dir: 1 | -1): string[] {
  const codes = (ranking.stock_code ?? []) as string[];
  const values = (ranking[col] ?? []) as (number | null)[];
  return codes
    .map((code, i) => ({ code, v: values[i] }))
    .filter((x): x is { code: string; v: number } => typeof x.v === "number" && x.v * dir > 0)
    .sort((x, y) => (y.v - x.v) * dir || (x.code < y.code ? -1 : 1))
    .slice(0, 20)
    .map((x) => x.code);
}

export async function concentration(a: Analytics) {
  const ranking = await columns(a.db.conn, RANKING_SQL);
  return {
    schema_version: SCHEMA_VERSION,
    has_data: await hasData(a),
    latest_date: await latestDate(a),
    ranking,
    movers: {
      up_5d: movers(ranking, "top10_chg_5d", 1),
      down_5d: movers(ranking, "top10_chg_5d", -1),
      up_20d: movers(ranking, "top10_chg_20d", 1),
      down_20d: movers(ranking, "top10_chg_20d", -1),
    },
  };
}
