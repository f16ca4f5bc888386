// Observable Framework configuration for the CCASS Observatory site.
// Offline by design: no Google font (globalStylesheets: []), a self-contained stylesheet, a local
// favicon, and a footer without third-party links, so no built page makes a request to another origin.
// scripts/build-site.ts builds from a private copy of src/pages (CCASS_SITE_ROOT) into a temporary
// output folder (CCASS_SITE_OUT) so concurrent builds never share a loader cache or an output tree.

const root = process.env.CCASS_SITE_ROOT ?? "src/pages";
const output = process.env.CCASS_SITE_OUT ?? "dist";

// The stock search is a plain GET form: it works before any script runs and on every page.
// stock.md resolves a five-digit code directly, and anything else (a name, "700") to a list of matches.
const header = `<div class="cc-header">
  <a class="cc-brand" href="./">CCASS Observatory</a>
  <form class="cc-search" action="./stock" method="get" role="search">
    <label for="cc-search-input" class="cc-visually-hidden">Find a stock by code or name</label>
    <input id="cc-search-input" name="code" type="search" placeholder="Stock code or name, e.g. 00700" autocomplete="off" required>
    <button type="submit">Go</button>
  </form>
</div>`;

// Keyboard and screen-reader access for what Inputs renders after load (docs/SITE.md "Accessibility"),
// on every page, including pages added later: an Inputs table scrolls inside its own box, so the box
// becomes a focusable region (arrow keys scroll it) named after its section's heading unless the page
// named it; Inputs.range labels only its number box, so its slider gets the same label.
const a11yScript = `<script>
new MutationObserver(function () {
  for (const form of document.querySelectorAll("form.inputs-3a86ea-table:not([tabindex])")) {
    form.tabIndex = 0;
    form.setAttribute("role", "region");
    if (!form.hasAttribute("aria-label")) form.setAttribute("aria-label", "Table: " + sectionHeading(form));
  }
  for (const range of document.querySelectorAll("form.inputs-3a86ea input[type=range]:not([aria-label])")) {
    const label = range.closest("form").querySelector("label");
    range.setAttribute("aria-label", label ? label.textContent : "Value");
  }
}).observe(document.documentElement, {childList: true, subtree: true});
// the nearest heading before the element: among its previous siblings, then its parent's…
function sectionHeading(el) {
  for (let n = el; n && n.id !== "observablehq-main"; n = n.parentElement)
    for (let h = n.previousElementSibling; h; h = h.previousElementSibling) if (/^H[1-6]$/.test(h.tagName)) return h.textContent.trim();
  return document.title;
}
</script>`;

/** Page path → its Atom feed under the static API's feeds/ (data-loaders/publish/feeds.ts). */
const PAGE_FEEDS: Record<string, { file: string; title: string }> = {
  "/transfers": { file: "transfers.xml", title: "Likely transfers (Atom)" },
  "/big-changes": { file: "big-changes.xml", title: "Big changes (Atom)" },
};

export default {
  title: "CCASS Observatory",
  root,
  output,
  pages: [
    { name: "Home", path: "/" },
    { name: "Stock", path: "/stock" },
    { name: "Transfers", path: "/transfers" },
    { name: "Big changes", path: "/big-changes" },
    { name: "Watchlist", path: "/watchlist" },
    { name: "Participants", path: "/participants" },
    { name: "Data", path: "/data" },
    { name: "SQL console", path: "/sql" },
    { name: "Health", path: "/health" },
    { name: "About and method", path: "/about" },
  ],
  // participant.md is reached from links (participant?id=…), not from the sidebar.
  dynamicPaths: ["/participant"],
  style: "style.css",
  globalStylesheets: [],
  // The market-wide pages announce their Atom feed (feed autodiscovery; the stock and participant
  // pages add theirs when they know their item: components/feeds.js). rel "external" keeps Framework
  // from taking the href for a file of the build (it is in the API tree, copied in by build-site.ts).
  head: ({ path }: { path: string }) =>
    `<link rel="icon" href="./favicon.svg" type="image/svg+xml"><meta name="referrer" content="no-referrer">${a11yScript}` +
    (PAGE_FEEDS[path] ? `<link rel="alternate external" type="application/atom+xml" title="${PAGE_FEEDS[path].title}" href="./_file/api/v1/feeds/${PAGE_FEEDS[path].file}">` : ""),
  header,
  // always present (not only when the dataset holds archive dates): the credit Webb-site's licence asks
  // for wherever its dates appear, and a site built without any says only where they would come from
  footer: `CCASS Observatory. Source: HKEXnews CCASS shareholding search; dates before the first scrape, where imported: Webb-site (David M. Webb), CC-BY 4.0. Holdings are custody records, not beneficial ownership.`,
  toc: false,
  pager: false,
  search: false,
};
