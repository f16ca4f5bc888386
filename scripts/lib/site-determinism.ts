// Same data, same bytes, for the built pages too. Observable Framework 1.13 writes into every page
// that uses a FileAttachment the file's `lastModified`: its mtime when the build read it. A loader's
// output is written during the build, so two builds of the same data gave pages that differed in
// that number only (found by tests/incremental-site.test.ts comparing an incremental and a cold
// `dist/`). No page reads `lastModified`, and Framework's build CLI has no option to fix it
// (only its test hook `setCurrentDate`), so every page's values are pinned to 0 (the epoch).
import { rewriteSitePages } from "./site-pages.ts";

/** `registerFile(…, {…,"lastModified":1796653367203,…})` as Framework 1.13 writes it in a page. */
const LAST_MODIFIED = /("lastModified":)\d+(?:\.\d+)?/g;

/** The page with every FileAttachment's lastModified set to 0. */
export function pinPageLastModified(html: string): string {
  return html.replace(LAST_MODIFIED, "$10");
}

/** Every page of a built site (not _file/, _observablehq/…), pinned in place; returns the pages changed. */
export async function pinLastModified(dist: string): Promise<number> {
  return (await rewriteSitePages(dist, pinPageLastModified)).changed;
}
