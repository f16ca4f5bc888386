// The per-stock JSON of the static API (docs/DATASETS.md "stocks/<code>.json"). DuckDB builds
// each part of each page as JSON text and JS only splices the parts: converting millions of values
// to JS values one by one through the client API would cost far more (expanding the trend series
// to one value per date in JS cost 4 of the export's 18 s, so the pages get change points).
// Stocks go in batches, so memory stays bounded.
import type { DuckDBConnection } from "@duckdb/node-api";
import type { Analytics } from "../compute/cache.ts";
import { rows } from "../compute/duck.ts";
import { stockKind } from "./ids.ts";
import { holderCategoriesPart } from "./holder-categories.ts";
import { columnar, descending, newestFirst } from "./columnar-sql.ts";
import { LATEST_POSITION_COLUMNS, likelySql, pct, SCHEMA_VERSION, windowStart } from "./common.ts";
import { siteKeepsDateSql } from "./month-end.ts";

/** What a part's SQL needs besides the batch. */
interface PartContext {
  /** A condition on `date`: the site's history parts hold that date (month-end.ts siteKeepsDateSql). */
  keptDate: string;
}

const inBatch = (codes: string[], col = "stock_code") => `${col} IN (${codes.map((c) => `'${c}'`).join(", ")})`;

const SERIES = columnar(
  [
    ["date", "strftime(s.date, '%Y-%m-%d')"],
    ["issued_shares", "s.issued_shares"],
    ["issued_adj", "s.issued_adj"],
    ["ccass_shares", "s.total_shares"],
    ["ccass_pct", pct("c.ccass_pct")],
    ["participants", "s.total_count"],
    ["intermediaries_shares", "s.intermediaries_shares"],
    ["consenting_shares", "s.consenting_shares"],
    ["nonconsenting_shares", "s.nonconsenting_shares"],
    ["top1_pct", pct("c.top1_pct")],
    ["top5_pct", pct("c.top5_pct")],
    ["top10_pct", pct("c.top10_pct")],
    ["attention_pct", pct("t.attention_pct")],
    ["sb_shares", "sb.shares"],
    ["sb_pct", pct("sb.pct")],
    ["clearing_shares", "c.clearing_shares"],
    ["clearing_pct", pct("c.clearing_pct")],
  ],
  ["s.seq"],
);
const col = (k: string) => `list_transform(r, x -> x.${k})`;

// Names are in the page's `names` (once per key), and a CCASS ID is the key itself (investor
// participants have none): repeating both here cost 11 MB of the full-market year's stock files.
const HOLDINGS = columnar([["key", "l.pkey"], ...LATEST_POSITION_COLUMNS], ["l.rank"]);

const TRANSFERS = columnar(
  [
    ["date", "strftime(date, '%Y-%m-%d')"],
    ["seller_id", "seller"],
    ["buyer_id", "buyer"],
    ["shares", "shares"],
    ["pct_of_issued", pct("pct_of_issued")],
    ["match", "match"],
    ["group", "set_id"],
    ["confidence", "confidence"],
    ["likely", likelySql()],
  ],
  [newestFirst("date"), descending("pct_of_issued"), "set_id", "buyer"],
);

/** Each query returns (stock_code, j) with j the JSON text of one part of the page. */
const PARTS = {
  series: (w: string) => `
    WITH g AS (
      SELECT s.stock_code, ${SERIES.agg}, any_value(${pct("b.p25")}) AS p25, any_value(${pct("b.p75")}) AS p75, any_value(${pct("b.p95")}) AS p95,
        bool_or(sb.shares IS NOT NULL OR c.clearing_shares > 0) AS has_southbound
      FROM stock_days_window s JOIN concentration c USING (stock_code, seq) JOIN attention t USING (stock_code, seq)
      LEFT JOIN southbound_holdings sb USING (stock_code, seq) LEFT JOIN attention_bands b ON b.stock_code = s.stock_code
      WHERE s.${w} GROUP BY s.stock_code
    )
    SELECT stock_code, to_json({
      dates: ${col("date")},
      summary: {issued_shares: ${col("issued_shares")}, issued_adj: ${col("issued_adj")}, ccass_shares: ${col("ccass_shares")},
        ccass_pct: ${col("ccass_pct")}, participants: ${col("participants")}, intermediaries_shares: ${col("intermediaries_shares")},
        consenting_shares: ${col("consenting_shares")}, nonconsenting_shares: ${col("nonconsenting_shares")}},
      concentration: {top1_pct: ${col("top1_pct")}, top5_pct: ${col("top5_pct")}, top10_pct: ${col("top10_pct")}},
      attention: {attention_pct: ${col("attention_pct")}, p25: p25, p75: p75, p95: p95},
      -- null for a stock neither in the southbound table nor held by a clearing participant (most
      -- stocks): four arrays of nulls and zeros otherwise
      southbound: CASE WHEN has_southbound THEN {shares: ${col("sb_shares")}, pct: ${col("sb_pct")}, clearing_shares: ${col("clearing_shares")}, clearing_pct: ${col("clearing_pct")}} END
    })::VARCHAR AS j FROM g`,
  corporate_actions: (w: string) => `
    SELECT stock_code, to_json(list({date: strftime(date, '%Y-%m-%d'), kind: ca_kind, ratio: round(ca_ratio, 6),
      issued_before: issued_prev, issued_after: issued_shares} ORDER BY seq))::VARCHAR AS j
    FROM stock_days_window WHERE ca_kind IS NOT NULL AND ${w} GROUP BY stock_code`,
  holdings: (w: string) => `
    WITH g AS (SELECT l.stock_code, ${HOLDINGS.agg} FROM latest_holdings l WHERE l.${w} GROUP BY l.stock_code)
    SELECT stock_code, ${HOLDINGS.json} AS j FROM g`,
  transfers: (w: string) => `
    WITH g AS (SELECT stock_code, ${TRANSFERS.agg} FROM window_pairs WHERE ${w} AND date >= ${windowStart()} GROUP BY stock_code)
    SELECT stock_code, ${TRANSFERS.json} AS j FROM g`,
  // change points only (docs/DATASETS.md): a holding lasts until the series' next point
  trends: (w: string) => `
    WITH p AS (SELECT stock_code, pkey, list_sort(list({seq: seq, shares: shares})) AS r FROM series_points WHERE ${w} GROUP BY ALL),
    g AS (
      SELECT k.stock_code,
        coalesce(list(k.pkey ORDER BY k.ord) FILTER (WHERE k.latest_rank <= 10), []) AS default_keys,
        list({key: k.pkey, seq: coalesce(list_transform(p.r, x -> x.seq), []), shares: coalesce(list_transform(p.r, x -> x.shares), [])} ORDER BY k.ord) AS series
      FROM series_holders k LEFT JOIN p USING (stock_code, pkey) WHERE k.${w} GROUP BY k.stock_code
    )
    SELECT stock_code, to_json({default_keys: default_keys, series: series})::VARCHAR AS j FROM g`,
  // the years of history/<code>/<YYYY>.parquet (history-parts.ts): every stored day, not the window;
  // a coarse year of the site (month-end.ts) only when the stock is stored on one of its kept dates
  history_years: (w: string, c: PartContext) => `
    SELECT stock_code, to_json(list(DISTINCT year(date)::INTEGER ORDER BY year(date)::INTEGER))::VARCHAR AS j FROM stock_days_history
    WHERE ${w} AND ${c.keptDate} GROUP BY stock_code`,
  holder_categories: holderCategoriesPart,
  names: (w: string) => `
    WITH k AS (
      SELECT stock_code, pkey FROM series_holders WHERE ${w}
      UNION SELECT stock_code, pkey FROM latest_holdings WHERE ${w}
      UNION SELECT stock_code, seller FROM window_pairs WHERE ${w} AND date >= ${windowStart()}
      UNION SELECT stock_code, buyer FROM window_pairs WHERE ${w} AND date >= ${windowStart()}
    )
    SELECT k.stock_code, to_json(map_from_entries(list({k: k.pkey, v: n.name} ORDER BY k.pkey)))::VARCHAR AS j
    FROM k JOIN participant_names n USING (pkey) WHERE n.name IS NOT NULL GROUP BY k.stock_code`,
} as const;

const EMPTY: Record<keyof typeof PARTS, string> = {
  series: "", // every stock has a summary: never empty
  corporate_actions: "[]",
  holdings: '{"key":[],"shares":[],"pct":[],"chg_1d":[],"chg_5d":[],"chg_20d":[],"chg_1d_pp":[],"chg_5d_pp":[],"chg_20d_pp":[]}',
  transfers: '{"date":[],"seller_id":[],"buyer_id":[],"shares":[],"pct_of_issued":[],"match":[],"group":[],"confidence":[],"likely":[]}',
  trends: '{"default_keys":[],"series":[]}',
  history_years: "[]",
  holder_categories: "", // every stock has a summary: never empty
  names: "{}",
};

async function textPairs(conn: DuckDBConnection, sql: string): Promise<Map<string, string>> {
  const reader = await conn.runAndReadAll(sql);
  return new Map(reader.getRowsJS().map((r) => [r[0] as string, r[1] as string]));
}

/** A series of the cache's `securities` table: one security under one code, with its dates. */
interface SecurityRow {
  stock_code: string;
  security_id: string;
  stock_name: string | null;
  first_date: string;
  last_date: string;
}

/**
 * The page's `security` (the one its figures show: the code's current security) and `related`:
 * the other securities that used this code (a recycled code, `relation` "same_code") and this
 * security under its other codes (a code change, "same_security"), oldest first. Never merged into
 * one history (docs/ARCHITECTURE.md "Securities and codes").
 */
export function securityParts(code: string, current: string, all: readonly SecurityRow[]) {
  const own = all.filter((r) => r.stock_code === code);
  const shown = own.find((r) => r.security_id === current);
  const related = all
    .filter((r) => (r.stock_code === code && r.security_id !== current) || (r.stock_code !== code && r.security_id === current))
    .map((r) => ({
      relation: r.stock_code === code ? "same_code" : "same_security",
      security_id: r.security_id,
      stock_code: r.stock_code,
      name: r.stock_name,
      first_date: r.first_date,
      last_date: r.last_date,
    }))
    .sort((a, b) => (a.first_date < b.first_date ? -1 : a.first_date > b.first_date ? 1 : a.stock_code < b.stock_code ? -1 : 1));
  const security = shown ? { security_id: shown.security_id, name: shown.stock_name, first_date: shown.first_date, last_date: shown.last_date } : null;
  return { security, related };
}

export interface StockPage {
  code: string;
  /** The page as JSON text. */
  text: string;
}

export async function* stockPages(
  a: Analytics,
  synthetic: boolean,
  options: { only?: string[]; batchSize?: number } = {},
): AsyncGenerator<StockPage> {
  const batchSize = options.batchSize ?? 700;
  const all = (
    await rows<{ stock_code: string; stock_name: string | null; last_date: string }>(
      a.db.conn,
      `SELECT l.stock_code, n.stock_name, strftime(l.last_date, '%Y-%m-%d') AS last_date
       FROM stock_last l JOIN stock_names n USING (stock_code) ORDER BY stock_code`,
    )
  ).filter((s) => /^\d{5}$/.test(s.stock_code) && (!options.only || options.only.includes(s.stock_code))); // codes become file names: never trusted
  type Row = (typeof all)[number];
  // every series of the history (small: one row per security and code); a code's related ones are picked per page
  const series = await rows<SecurityRow & { current: boolean }>(
    a.db.conn,
    `SELECT s.stock_code, s.security_id, s.stock_name, strftime(s.first_date, '%Y-%m-%d') AS first_date, strftime(s.last_date, '%Y-%m-%d') AS last_date,
       coalesce(l.security_id = s.security_id, false) AS current
     FROM securities s LEFT JOIN stock_last l USING (stock_code) ORDER BY s.stock_code, s.first_date, s.security_id`,
  );
  const [latest] = await rows<{ year: number | null }>(a.db.conn, "SELECT year(max(date))::INTEGER AS year FROM dates");
  const context: PartContext = { keptDate: siteKeepsDateSql(latest?.year ?? null) };
  const currentOf = new Map(series.filter((r) => r.current).map((r) => [r.stock_code, r.security_id]));
  const seriesOf = new Map<string, SecurityRow[]>();
  for (const r of series) {
    const list = seriesOf.get(r.security_id) ?? [];
    list.push(r);
    seriesOf.set(r.security_id, list);
  }
  const byCode = new Map<string, SecurityRow[]>();
  for (const r of series) {
    const list = byCode.get(r.stock_code) ?? [];
    list.push(r);
    byCode.set(r.stock_code, list);
  }
  /** The series that share this code or one of its securities. */
  const around = (code: string): SecurityRow[] => {
    const own = byCode.get(code) ?? [];
    const out = new Set<SecurityRow>(own);
    for (const r of own) for (const x of seriesOf.get(r.security_id) ?? []) out.add(x);
    return [...out];
  };
  const profile = process.env.CCASS_PROFILE ? (label: string, t0: number) => console.error(`  ${label} ${((performance.now() - t0) / 1000).toFixed(2)} s`) : null;
  const fetchBatch = async (batch: Row[]) => {
    const w = inBatch(batch.map((s) => s.stock_code));
    const parts = {} as Record<keyof typeof PARTS, Map<string, string>>;
    for (const [name, sql] of Object.entries(PARTS) as [keyof typeof PARTS, (w: string, c: PartContext) => string][]) {
      const t0 = performance.now();
      parts[name] = await textPairs(a.db.conn, sql(w, context));
      profile?.(name, t0);
    }
    return parts;
  };
  // The next batch's queries run in DuckDB's threads while this batch's pages are spliced and
  // written (the whole export of the full-market year: 20.2 s → 16.9 s); only this generator uses the connection
  // until it finishes, and a pending batch is always awaited, so no query outlives it.
  let next: ReturnType<typeof fetchBatch> | null = all.length > 0 ? fetchBatch(all.slice(0, batchSize)) : null;
  try {
    for (let b = 0; b < all.length; b += batchSize) {
      const batch = all.slice(b, b + batchSize);
      const parts = await next!;
      next = b + batchSize < all.length ? fetchBatch(all.slice(b + batchSize, b + 2 * batchSize)) : null;
      for (const s of batch) {
        const code = s.stock_code;
        const part = (name: keyof typeof PARTS) => parts[name].get(code) ?? EMPTY[name];
        const head = JSON.stringify({
          schema_version: SCHEMA_VERSION,
          stock_code: code,
          name: s.stock_name,
          kind: stockKind(code, s.stock_name),
          synthetic,
          latest_date: s.last_date,
          ...securityParts(code, currentOf.get(code) ?? "", around(code)),
        });
        const text =
          `${head.slice(0, -1)},${part("series").slice(1, -1)},"corporate_actions":${part("corporate_actions")},` +
          `"trends":${part("trends")},"holdings":${part("holdings")},` +
          `"transfers":${part("transfers")},"history_years":${part("history_years")},` +
          `"holder_categories":${part("holder_categories")},"names":${part("names")}}`;
        yield { code, text };
      }
    }
  } finally {
    await next?.catch(() => {}); // a consumer that stopped early leaves no query running
  }
}
