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

export default {
  title: "CCASS Observatory",
  root,
  output,
  pages: [
    { name: "Home", path: "/" },
    { name: "Stock", path: "/stock" },
    { name: "Transfers", path: "/transfers" },
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
  head: `<link rel="icon" href="./favicon.svg" type="image/svg+xml"><meta name="referrer" content="no-referrer">`,
  header,
  footer: `CCASS Observatory. Source: HKEXnews CCASS shareholding search. Holdings are custody records, not beneficial ownership.`,
  toc: false,
  pager: false,
  search: false,
};
