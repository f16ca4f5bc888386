// The built site's pages (the .html files outside Framework's `_file/`, `_observablehq/`, `_npm/`…
// folders), rewritten in place by the build's post-processing steps: the template fixes, the pinned
// lastModified values and the Content-Security-Policy each pass every page through this one walk.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { writeFileAtomic } from "../../src/lib/atomic.ts";

/** Every page of a built site, in a stable order. */
export async function sitePages(dist: string): Promise<string[]> {
  const entries = await readdir(dist, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(".html"))
    .map((e) => path.join(e.parentPath, e.name))
    .filter((file) => !path.relative(dist, file).split(path.sep).some((part) => part.startsWith("_")))
    .sort();
}

/** Rewrites every page with `rewrite` (atomically, only where it changes something); returns the pages seen and changed. */
export async function rewriteSitePages(dist: string, rewrite: (html: string, file: string) => string): Promise<{ pages: number; changed: number }> {
  const pages = await sitePages(dist);
  let changed = 0;
  for (const file of pages) {
    const html = await readFile(file, "utf8");
    const next = rewrite(html, file);
    if (next !== html) {
      await writeFileAtomic(file, next);
      changed++;
    }
  }
  return { pages: pages.length, changed };
}
