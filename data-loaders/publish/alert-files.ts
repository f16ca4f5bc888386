// The static API's files that tell a reader what moved (issue 23): `big-changes.json.gz` (the
// big-changes page, big-changes.ts) and the Atom feeds under `feeds/` (feeds.ts). One entry point
// for the export, run beside the export's other tasks, on a connection of their own.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import type { Analytics } from "../compute/cache.ts";
import { bigChangeRows, bigChangeSpans, bigChangesJson } from "./big-changes.ts";
import { createDownloadSources } from "./downloads.ts";
import { writeFeeds } from "./feeds.ts";
import { gzipJson } from "./gzip-json.ts";

/** Write both under `dir` (the tree being built). Returns the number of feeds written. */
export async function writeAlertFiles(a: Analytics, dir: string, log: (s: string) => void = () => {}): Promise<number> {
  const conn = a.db.conn;
  const spans = await bigChangeSpans(conn);
  const changes = await bigChangeRows(conn, a.data, spans);
  await writeFile(path.join(dir, "big-changes.json.gz"), await gzipJson(await bigChangesJson(conn, spans, changes)));
  log(`  big-changes.json.gz: ${changes.length} changes over ${spans.map((s) => `${s.days}`).join("/")} stored days`);
  await createDownloadSources(conn, a.data); // dl_transfers and dl_day_names on this connection
  const feeds = await writeFeeds(conn, path.join(dir, "feeds"));
  log(`  feeds: ${feeds.size} files, ${[...feeds.values()].reduce((s, n) => s + n, 0)} bytes`);
  return feeds.size;
}
