// The loaders publish large tables as objects of equal-length arrays (docs/DATASETS.md,
// "Columnar tables"); pages turn them into row objects for Inputs.table and Plot.

/** {a: [1, 2], b: ["x", "y"]} → [{a: 1, b: "x"}, {a: 2, b: "y"}]; null or {} → []. */
export function toRows(columns) {
  if (!columns || typeof columns !== "object") return [];
  const keys = Object.keys(columns);
  if (keys.length === 0) return [];
  const n = columns[keys[0]]?.length ?? 0;
  const rows = new Array(n);
  for (let i = 0; i < n; i++) {
    const row = {};
    for (const k of keys) row[k] = columns[k][i];
    rows[i] = row;
  }
  return rows;
}

/** Rows aligned with a stock's `dates` array: [{date, ...}] from several aligned arrays. */
export function alignedRows(dates, arrays) {
  return dates.map((date, i) => {
    const row = {date};
    for (const [k, v] of Object.entries(arrays)) row[k] = v?.[i] ?? null;
    return row;
  });
}

/**
 * A trend series from its change points: `seq` indexes the stock's `dates`, each value holds until
 * the next point, 0 before the first. → one value per date (n of them).
 */
export function stepValues(seq, values, n) {
  const out = new Array(n).fill(0);
  (seq ?? []).forEach((from, i) => out.fill(values[i], from, seq[i + 1] ?? n));
  return out;
}

/** ISO date string of a Date (Inputs.date gives Dates at UTC midnight). */
export function isoOf(d) {
  return d instanceof Date && !Number.isNaN(+d) ? d.toISOString().slice(0, 10) : null;
}
