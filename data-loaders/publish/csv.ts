// CSV for the downloads: RFC 4180 quoting, and text cells that a spreadsheet would run as a
// formula (leading = + - @, tab or CR) prefixed with a quote. Scraped names are untrusted.
import type { Plain } from "../compute/duck.ts";

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(v: Plain): string {
  if (v === null) return "";
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  let s = typeof v === "string" ? v : JSON.stringify(v);
  if (FORMULA_START.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** A columnar table (equal-length arrays) as CSV text with a header row. */
export function toCsv(table: Record<string, Plain[]>): string {
  const names = Object.keys(table);
  const n = names.length ? table[names[0]!]!.length : 0;
  const lines = [names.map(csvCell).join(",")];
  for (let i = 0; i < n; i++) lines.push(names.map((k) => csvCell(table[k]![i] ?? null)).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

/** The same neutralisation as a SQL expression, for CSV files DuckDB writes itself (COPY … TO). */
export function sqlSafeText(expr: string): string {
  return `CASE WHEN regexp_matches(${expr}, '^[=+\\-@\\t\\r]') THEN '''' || ${expr} ELSE ${expr} END`;
}
