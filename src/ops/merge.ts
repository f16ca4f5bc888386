// Merging backfill shards: each shard uploads the dataset files it added or changed (relative to
// the dataset root); the final job copies them into the repository's dataset. Shards cover whole
// months (src/ops/plan.ts), so two shards never hold the same partition file; a path seen twice
// is refused rather than silently picking one. Copies are atomic, so re-running the merge (or a
// shard, then the merge) just copies the same files again. A shard's daily file for a month the
// repository has compacted meanwhile is folded into that month file at once.
import { copyFile, readdir } from "node:fs/promises";
import path from "node:path";
import { produceFileAtomic } from "../lib/atomic.ts";
import { settleMonth } from "../ingest/compact.ts";
import { dataFileKind, monthOf, monthOfFolder, TABLES, type TableName } from "../dataset/layout.ts";

export class MergeError extends Error {
  override readonly name = "MergeError";
}

const TABLE_SET = new Set<string>(TABLES);
const RUN_REPORT = /^[A-Za-z0-9._-]+\.json$/;

/** Which shard files belong in the committed dataset: partition files and run reports, nothing else. */
export function isMergeable(rel: string): boolean {
  const parts = rel.split(/[\\/]/);
  if (parts.length === 2) return parts[0] === "_runs" && RUN_REPORT.test(parts[1]!) && !parts[1]!.startsWith(".");
  if (parts.length !== 3 || !TABLE_SET.has(parts[0]!) || parts[2]!.startsWith(".")) return false;
  const month = monthOfFolder(parts[1]!);
  const file = dataFileKind(parts[2]!);
  if (!month || !file) return false;
  return "date" in file ? monthOf(file.date) === month : file.month === month;
}

async function walk(root: string, rel = ""): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(path.join(root, rel), { withFileTypes: true })) {
    const child = rel ? path.join(rel, entry.name) : entry.name;
    if (entry.isDirectory()) out.push(...(await walk(root, child)));
    else if (entry.isFile()) out.push(child);
  }
  return out;
}

export interface MergeReport {
  copied: string[];
  /** files in shard outputs that are not dataset files (state, rejects, temp files): left out */
  skipped: string[];
}

export async function mergeShards(shardRoots: readonly string[], into: string): Promise<MergeReport> {
  const source = new Map<string, string>();
  const skipped: string[] = [];
  for (const root of shardRoots) {
    for (const rel of await walk(root)) {
      if (!isMergeable(rel)) {
        skipped.push(path.join(root, rel));
        continue;
      }
      const seen = source.get(rel);
      if (seen) throw new MergeError(`${rel} is in two shard outputs (${seen} and ${root}); shards must cover disjoint months`);
      source.set(rel, root);
    }
  }
  const copied: string[] = [];
  for (const [rel, root] of [...source].sort(([a], [b]) => a.localeCompare(b))) {
    await produceFileAtomic(path.join(into, rel), (tmp) => copyFile(path.join(root, rel), tmp));
    copied.push(rel);
  }
  // A shard's daily file landing in a month the repository compacted meanwhile: fold it in now, so
  // no date is left in two files (compact.ts: the daily file wins).
  const months = new Set(copied.map((rel) => rel.split(/[\\/]/)).filter((p) => p.length === 3).map(([t, folder]) => `${t}/${folder}`));
  for (const tm of [...months].sort()) {
    const [table, folder] = tm.split("/") as [TableName, string];
    await settleMonth(into, table, monthOfFolder(folder)!);
  }
  return { copied, skipped };
}
