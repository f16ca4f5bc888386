// Charts that every reader can use: a Plot chart with a short text alternative (what it shows, its
// range and its largest value) and, under it, a "Show the numbers as a table" disclosure with the
// chart's data. Pages call chart(plotOptions, {alt, table}) instead of Plot.plot(plotOptions).
import * as Plot from "./vendor/plot.js"; // bundled from node_modules by scripts/build-site.ts
import * as Inputs from "./vendor/inputs.js";
import {html} from "./vendor/htl.js";
import {isoOf} from "./columns.js";

/**
 * Plot.plot(options) with `alt` as its accessible name (Plot's ariaLabel option) and a disclosure
 * holding `table.rows` as an Inputs table (`table` takes Inputs.table's columns, header, format…).
 * The table is built only when the reader opens the disclosure: the page costs nothing more until then.
 */
export function chart(options, {alt, table}) {
  const plot = Plot.plot({...options, ariaLabel: alt});
  // Plot returns an <svg>, or a <figure> holding legends and the chart's <svg> last.
  const svg = plot.tagName.toLowerCase() === "svg" ? plot : [...plot.querySelectorAll(":scope > svg")].at(-1);
  if (svg) {
    // One image with one name: Plot labels each mark group (aria-label="bar", "tip") without a
    // role, which ARIA prohibits; the text alternative and the table carry what the marks show.
    for (const child of svg.children) child.setAttribute("aria-hidden", "true");
    // Plot's href marks are shortcuts for the mouse: the table holds the same links for a keyboard.
    const links = svg.querySelectorAll("a");
    for (const a of links) a.setAttribute("tabindex", "-1");
    // An image may hold nothing focusable, not even a link out of the tab order: a chart with
    // links is a (labelled) figure instead.
    svg.setAttribute("role", links.length ? "figure" : "img");
  }
  return html`<div class="cc-chart">${plot}${table ? dataTable(alt, table) : ""}</div>`;
}

/** The disclosure under a chart; its Inputs table is made on first opening. */
function dataTable(alt, {rows, ...options}) {
  const details = html`<details class="cc-chart-data"><summary>Show the numbers as a table</summary></details>`;
  details.addEventListener("toggle", () => {
    if (!details.open || details.querySelector("form")) return;
    const form = Inputs.table(rows, {select: false, rows: 12, ...options});
    // the site's head script (observablehq.config.ts) makes the table's scroll box focusable
    form.setAttribute("aria-label", `Numbers of the chart: ${alt}`);
    details.append(form);
  });
  return details;
}

/** describe(row) of the row of `rows` with the largest `value`, for a text alternative; "none" when no row has a value. */
export function largest(rows, value, describe) {
  let best = null;
  for (const r of rows) if (value(r) != null && (best == null || value(r) > value(best))) best = r;
  return best == null ? "none" : describe(best);
}

/** "2025-11-21 to 2026-11-20": the first and last of `rows[key]` (Dates or ISO strings), for a text alternative. */
export function dateSpan(rows, key = "date") {
  let lo = null;
  let hi = null;
  for (const r of rows) {
    const d = typeof r[key] === "string" ? r[key] : isoOf(r[key]);
    if (d == null) continue;
    if (lo == null || d < lo) lo = d;
    if (hi == null || d > hi) hi = d;
  }
  return lo == null ? "no dates" : lo === hi ? lo : `${lo} to ${hi}`;
}
