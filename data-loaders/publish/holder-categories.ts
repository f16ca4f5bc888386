// Who holds a stock, by kind of holder (Webb-site's split by holder type; docs/DATASETS.md
// "downloads/", `holder-categories/`): per stock and stored date, the issued shares cut into seven
// parts that always add up to `issued_shares`:
//   custodians (participant IDs C…), brokers (B…), clearing (A…: Stock Connect's clearing agencies),
//   other_participants (any other ID), from the listed holdings (the month chunks' `top_holdings`, summed by
//   the ID's first letter); consenting_investors and nonconsenting_investors, the page's own totals
//   (summary); not_in_ccass, issued minus everything in CCASS.
// Because the page's listed rows add up to its intermediaries + consenting totals (the ingest
// checks it: src/ingest/invariants.ts), not_in_ccass equals issued_shares − summary.total_shares.
// It is NEGATIVE when HKEX's issued figure lags a placing or a conversion that CCASS already
// holds: kept as it is (a reader can see the lag) rather than clipped, so the parts still add up.
import type { DuckDBConnection } from "@duckdb/node-api";

/** The columns of a row after (date, stock_code), in order: the seven parts, then their sum. */
export const HOLDER_CATEGORIES = [
  "custodians",
  "brokers",
  "clearing",
  "other_participants",
  "consenting_investors",
  "nonconsenting_investors",
  "not_in_ccass",
  "issued_shares",
] as const;

/** SELECT of the categories over `stock_days_history`-shaped rows `s` joined with chunk `top_holdings` rows `c` (may be NULL). */
function categoriesSelect(s: string, c: string): string {
  const listed = [`${c}.custodian_shares`, `${c}.broker_shares`, `${c}.clearing_shares`, `${c}.other_shares`].map((e) => `coalesce(${e}, 0)::BIGINT`);
  const inCcass = `(${listed.join(" + ")} + ${s}.consenting_shares + ${s}.nonconsenting_shares)`;
  return `${listed[0]} AS custodians, ${listed[1]} AS brokers, ${listed[2]} AS clearing, ${listed[3]} AS other_participants,
    ${s}.consenting_shares AS consenting_investors, ${s}.nonconsenting_shares AS nonconsenting_investors,
    (${s}.issued_shares - ${inCcass})::BIGINT AS not_in_ccass, ${s}.issued_shares`;
}

/**
 * `dl_holder_categories`: every stored stock-day of the whole history (the download's yearly parts,
 * downloads.ts). Same-day figures only (no split adjustment), so a closed year's part never changes.
 */
export async function createHolderCategorySource(conn: DuckDBConnection): Promise<void> {
  await conn.run(`CREATE OR REPLACE TEMP VIEW dl_holder_categories AS
    SELECT s.date, s.stock_code, ${categoriesSelect("s", "c")}, s.security_id
    FROM stock_days_history s LEFT JOIN chunk_top_holdings c USING (stock_code, date)`);
}

/**
 * The stock JSON's `holder_categories` (stock-pages.ts): query returning (stock_code, j), `j` the
 * columnar JSON of the four participant kinds and not_in_ccass over the stock's window dates,
 * aligned with its `dates` (the investor figures and issued shares are in its `summary` already).
 */
export const holderCategoriesPart = (w: string) => `
  WITH r AS (
    SELECT s.stock_code, s.seq, ${categoriesSelect("s", "c")}
    FROM stock_days_window s LEFT JOIN window_chunk_top_holdings c USING (stock_code, date) WHERE s.${w}
  )
  SELECT stock_code, to_json({custodians: list(custodians ORDER BY seq), brokers: list(brokers ORDER BY seq),
    clearing: list(clearing ORDER BY seq), other_participants: list(other_participants ORDER BY seq),
    not_in_ccass: list(not_in_ccass ORDER BY seq)})::VARCHAR AS j
  FROM r GROUP BY stock_code`;
