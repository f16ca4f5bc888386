// Big changes (docs/DATASETS.md "big-changes.json.gz"): every participant's change of at least a
// threshold of issued shares over 1, 5 or 20 stored days ending on the latest date, market-wide.
// The big-changes page, the stock page and the participant page filter the same rows.
import {fetchJson} from "./api.js";
import {toRows} from "./columns.js";
import {isStockCode} from "./validate.js";

/** The published file, or an empty one when the site has none (an older export, no data). */
export async function fetchBigChanges() {
  try {
    return await fetchJson("big-changes.json.gz");
  } catch {
    return {has_data: false, spans: [], changes: {}, names: {}, stock_names: {}, floor_pct: 0.05, default: {days: 5, min_pct: 0.25}};
  }
}

/** Rows of one span with names and the link to the stock's two-date view. */
export function bigChangeRows(doc, days) {
  const span = (doc.spans ?? []).find((s) => s.days === days);
  if (!span) return [];
  return toRows(doc.changes).filter((r) => r.days === days).map((r) => ({
    ...r, from: span.from, to: span.to,
    stock_name: doc.stock_names?.[r.stock_code] ?? "", name: doc.names?.[r.key] ?? r.key,
    view: isStockCode(r.stock_code) ? `./stock?code=${r.stock_code}&date=${span.to}&compare=${span.from}` : null
  }));
}

/** Keep rows whose |change| is at least `minPct` of issued; direction "up", "down" or "all". */
export function filterBigChanges(rows, {minPct, direction = "all"}) {
  return rows.filter((r) => Math.abs(r.change_pp) >= minPct && (direction === "all" || (direction === "up" ? r.change > 0 : r.change < 0)));
}

/** The CSV columns of a big-changes table. */
export const BIG_CHANGE_CSV = [
  {key: "from"}, {key: "to"}, {key: "stock_code"}, {key: "stock_name"}, {key: "key", label: "participant_key"}, {key: "name", label: "participant_name"},
  {key: "shares_before"}, {key: "shares_after"}, {key: "change"}, {key: "change_pp"}
];
