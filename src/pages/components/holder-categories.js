// Who holds a stock, by kind of holder (docs/DATASETS.md "holder-categories/"): the stock JSON's
// holder_categories with its summary's investor figures, as the seven parts of the issued shares.

/** Category key → label, in stacking order (bottom first); the seven add up to issued shares. */
export const HOLDER_CATEGORY_LABELS = {
  custodians: "Custodians (C…)",
  brokers: "Brokers (B…)",
  clearing: "Clearing (A…, Stock Connect)",
  other_participants: "Other participants",
  consenting_investors: "Consenting investors",
  nonconsenting_investors: "Non-consenting investors",
  not_in_ccass: "Not in CCASS"
};

/**
 * One row per stored date of the stock JSON: {date (ISO), issued_shares, <category>: shares,
 * <category>_pct: percent of issued}. [] when the file has no holder_categories (an older export).
 */
export function holderCategoryRows(stock) {
  const c = stock?.holder_categories;
  const s = stock?.summary;
  if (!c || !s) return [];
  const columns = {...c, consenting_investors: s.consenting_shares, nonconsenting_investors: s.nonconsenting_shares};
  return (stock.dates ?? []).map((date, i) => {
    const issued = s.issued_shares[i];
    const row = {date, issued_shares: issued};
    for (const k of Object.keys(HOLDER_CATEGORY_LABELS)) {
      row[k] = columns[k]?.[i] ?? 0;
      row[`${k}_pct`] = issued > 0 ? Math.round((row[k] / issued) * 1e6) / 1e4 : null;
    }
    return row;
  });
}
