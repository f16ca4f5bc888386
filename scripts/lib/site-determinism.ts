// Same data, same bytes, for the built pages too. Observable Framework 1.13 writes into every page
// that uses a FileAttachment the file's `lastModified`: its mtime when the build read it. A loader's
// output is written during the build, so two builds of the same data gave pages that differed in
// that number only (found by tests/incremental-site.test.ts comparing an incremental and a cold
// `dist/`). No page reads `lastModified`, and Framework's build CLI has no option to fix it
// (only its test hook `setCurrentDate`), so every page's values are pinned to 0 (the epoch).
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { writeFileAtomic } from "../../src/lib/atomic.ts";

/** `registerFile(…, {…,"lastModified":1796653367203,…})` as Framework 1.13 writes it in a page. */
const LAST_MODIFIED = /("lastModified":)\d+(?:\.\d+)?/g;

/** The page with every FileAttachment's lastModified set to 0. */
export function pinPageLastModified(html: string): string {
  return html.replace(LAST_MODIFIED, "$10");
}

/** Every page of a built site (not _file/, _observablehq/…), pinned in place; returns the pages changed. */
export async function pinLastModified(dist: string): Promise<number> {
  const entries = await readdir(dist, { recursive: true, withFileTypes: true });
  let changed = 0;
  for (const e of entries) {
    if (!e.isFile() || !e.name.endsWith(".html")) continue;
    const file = path.join(e.parentPath, e.name);
    if (path.relative(dist, file).split(path.sep).some((part) => part.startsWith("_"))) continue;
    const html = await readFile(file, "utf8");
    const pinned = pinPageLastModified(html);
    if (pinned !== html) {
      await writeFileAtomic(file, pinned);
      changed++;
    }
  }
  return changed;
}
