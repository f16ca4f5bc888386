// The site's one rule for "likely" transfers, as pages show it (docs/DATASETS.md "Likely transfers").
// The published files mark each pair (`likely`: its confidence is at least the rule, which meta.json
// carries as `likely_min_confidence`); pages list likely pairs only, and the pairs below the rule
// ("possible matches") on request, each with its confidence in plain words.
import * as Inputs from "./vendor/inputs.js"; // bundled from node_modules by scripts/build-site.ts
import {html} from "./vendor/htl.js";

/** The rule's level from meta.json (null on a site built before it was published). */
export function likelyRule(meta) {
  return typeof meta?.likely_min_confidence === "number" ? meta.likely_min_confidence : null;
}

/** The "Show possible matches" checkbox (off by default): a view of true/false. */
export function possibleMatchesInput() {
  return Inputs.toggle({label: "Show possible matches", value: false});
}

/** What a confidence means, in words: how many pairs like it were real transfers in testing. */
export function confidenceWords(c) {
  if (c == null || !Number.isFinite(c)) return "—";
  const per100 = Math.round(c * 100);
  if (per100 >= 99) return "almost all pairs like it were real";
  if (per100 >= 10) return `about ${Math.round(c * 10)} in 10 pairs like it were real`;
  if (per100 >= 1) return `about ${per100} in 100 pairs like it were real`;
  return "fewer than 1 in 100 pairs like it were real";
}

/** A pair's label: "likely" or "possible match". */
export function verdict(row) {
  return row.likely ? "likely" : "possible match";
}

/**
 * The sentence under a list of transfers: the rule, and how many possible matches are hidden or
 * shown. `likely`, `possible`: counts of the list's pairs of each kind.
 */
export function likelyNote(meta, {likely, possible, shown, testid = "likely-note"}) {
  const rule = likelyRule(meta);
  const level = rule == null ? "the site's level" : rule.toFixed(2);
  const rest = possible === 0 ? "" : shown
    ? ` ${possible.toLocaleString("en-US")} possible match${possible === 1 ? "" : "es"} (confidence under ${level}) are listed too, marked as such.`
    : ` ${possible.toLocaleString("en-US")} possible match${possible === 1 ? "" : "es"} (confidence under ${level}) are hidden: tick "Show possible matches" to list them.`;
  return html`<p class="cc-muted" data-testid=${testid}>${likely.toLocaleString("en-US")} likely transfer${likely === 1 ? "" : "s"}: pairs whose confidence is at least ${level} (<a href="./about#likely-transfers">what that means</a>).${rest}</p>`;
}
