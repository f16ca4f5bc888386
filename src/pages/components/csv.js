// CSV export from the browser. Scraped names are untrusted: a cell starting with = + - @ tab or CR
// would run as a formula in a spreadsheet, so such cells are prefixed with an apostrophe.
import {html} from "./vendor/htl.js"; // bundled from node_modules by scripts/build-site.ts

const FORMULA_PREFIX = /^[=+\-@\t\r]/;

export function neutraliseCell(value) {
  if (value == null) return "";
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  const s = String(value);
  return FORMULA_PREFIX.test(s) ? `'${s}` : s;
}

function quote(cell) {
  return /[",\n\r]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell;
}

/** rows: objects; columns: [{key, label}] in output order. */
export function toCsv(rows, columns) {
  const lines = [columns.map((c) => quote(neutraliseCell(c.label ?? c.key))).join(",")];
  for (const row of rows) lines.push(columns.map((c) => quote(neutraliseCell(row[c.key]))).join(","));
  return lines.join("\r\n") + "\r\n";
}

/** A button that saves `rows()` as CSV (rows is a function so it exports what is shown now). */
export function csvButton(rows, columns, filename, label = "Download CSV", testid = null) {
  const button = html`<button type="button" class="cc-csv" data-testid=${testid}>${label}</button>`;
  button.onclick = () => {
    const blob = new Blob([toCsv(rows(), columns)], {type: "text/csv;charset=utf-8"});
    const url = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = url;
    a.download = filename;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  return button;
}
