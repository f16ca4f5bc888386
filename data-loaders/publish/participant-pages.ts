// The per-participant JSON of the static API (docs/DATASETS.md "participants/<file>.json"):
// portfolio on the latest date, biggest moves, transfers on either side. As for stock pages,
// DuckDB writes each part as JSON text (one query per part for every participant) and JS splices.
// Counterparties' names are not repeated here (schema 1 did: 29 MB and 1.4 s of the full-market
// export); they are in the participant index, participants.json, which the page loads.
import type { Analytics } from "../compute/cache.ts";
import { rows } from "../compute/duck.ts";
import { participantFile, participantKind } from "./ids.ts";
import { columnar, descending, newestFirst } from "./columnar-sql.ts";
import { LATEST_POSITION_COLUMNS, likelySql, pct, SCHEMA_VERSION, windowStart } from "./common.ts";

const PORTFOLIO = columnar(
  [
    ["stock_code", "l.stock_code"],
    ["name", "n.stock_name"],
    ...LATEST_POSITION_COLUMNS,
  ],
  [descending("l.pct"), "l.stock_code"],
);
/** Largest change first, then newest, then stock: both for picking the 50 and for listing them. */
const MOVES_ORDER = [descending("abs(change_pct)"), newestFirst("date"), "stock_code"];
const MOVES = columnar(
  [
    ["date", "strftime(date, '%Y-%m-%d')"],
    ["stock_code", "stock_code"],
    ["change", "change"],
    ["change_pp", pct("change_pct")],
    ["shares_after", "shares"],
  ],
  MOVES_ORDER,
);
const TRANSFERS = columnar(
  [
    ["date", "strftime(date, '%Y-%m-%d')"],
    ["stock_code", "stock_code"],
    ["side", "side"],
    ["counterparty", "counterparty"],
    ["shares", "shares"],
    ["pct_of_issued", pct("pct_of_issued")],
    ["confidence", "confidence"],
    ["likely", likelySql()],
  ],
  [newestFirst("date"), descending("pct_of_issued"), "stock_code", "counterparty"],
);

const PARTS = {
  portfolio: `
    WITH g AS (
      SELECT l.pkey, ${PORTFOLIO.agg} FROM latest_holdings l JOIN stock_names n USING (stock_code)
      WHERE l.date = (SELECT max(date) FROM dates) GROUP BY l.pkey
    )
    SELECT pkey, ${PORTFOLIO.json} AS j FROM g`,
  moves: `
    WITH m AS (SELECT * FROM movers WHERE date >= ${windowStart()} QUALIFY row_number() OVER (PARTITION BY pkey ORDER BY ${MOVES_ORDER.join(", ")}) <= 50),
      g AS (SELECT pkey, ${MOVES.agg} FROM m GROUP BY pkey)
    SELECT pkey, ${MOVES.json} AS j FROM g`,
  transfers: `
    WITH t AS (
      SELECT seller AS pkey, date, stock_code, 'sell' AS side, buyer AS counterparty, shares, pct_of_issued, confidence FROM window_pairs WHERE date >= ${windowStart()}
      UNION ALL
      SELECT buyer, date, stock_code, 'buy', seller, shares, pct_of_issued, confidence FROM window_pairs WHERE date >= ${windowStart()}
    ), g AS (SELECT pkey, ${TRANSFERS.agg} FROM t GROUP BY pkey)
    SELECT pkey, ${TRANSFERS.json} AS j FROM g`,
} as const;

const EMPTY: Record<keyof typeof PARTS, string> = {
  portfolio:
    '{"stock_code":[],"name":[],"shares":[],"pct":[],"chg_1d":[],"chg_5d":[],"chg_20d":[],"chg_1d_pp":[],"chg_5d_pp":[],"chg_20d_pp":[]}',
  moves: '{"date":[],"stock_code":[],"change":[],"change_pp":[],"shares_after":[]}',
  transfers: '{"date":[],"stock_code":[],"side":[],"counterparty":[],"shares":[],"pct_of_issued":[],"confidence":[],"likely":[]}',
};

export async function* participantPages(a: Analytics): AsyncGenerator<{ file: string; text: string }> {
  const latest = (await rows<{ d: string | null }>(a.db.conn, "SELECT strftime(max(date), '%Y-%m-%d') AS d FROM dates"))[0]?.d ?? null;
  const people = await rows<{ pkey: string; id: string | null; name: string | null; address: string | null; first_seen: string | null; last_seen: string | null }>(
    a.db.conn,
    `SELECT p.pkey, n.participant_id AS id, n.name, n.address, strftime(n.first_seen, '%Y-%m-%d') AS first_seen,
       strftime(n.last_seen, '%Y-%m-%d') AS last_seen
     FROM participant_stats p LEFT JOIN participant_names n USING (pkey) ORDER BY p.pkey`,
  );
  const parts = {} as Record<keyof typeof PARTS, Map<string, string>>;
  for (const [name, sql] of Object.entries(PARTS) as [keyof typeof PARTS, string][]) {
    const t0 = performance.now();
    const reader = await a.db.conn.runAndReadAll(sql);
    parts[name] = new Map(reader.getRowsJS().map((r) => [r[0] as string, r[1] as string]));
    if (process.env.CCASS_PROFILE) console.error(`  participants ${name} ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  }
  for (const p of people) {
    const head = JSON.stringify({
      schema_version: SCHEMA_VERSION,
      key: p.pkey,
      id: p.id,
      name: p.name,
      address: p.address,
      kind: participantKind(p.pkey),
      first_seen: p.first_seen,
      last_seen: p.last_seen,
      latest_date: latest,
    });
    const part = (n: keyof typeof PARTS) => parts[n].get(p.pkey) ?? EMPTY[n];
    yield {
      file: participantFile(p.pkey),
      text: `${head.slice(0, -1)},"portfolio":${part("portfolio")},"moves":${part("moves")},"transfers":${part("transfers")}}`,
    };
  }
}
