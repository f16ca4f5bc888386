// The SQL files of the analytics (data-loaders/compute/sql/cache/, data-loaders/compute/sql/chunk/): NN-name.sql,
// statements separated by lines holding only "-- ;" so a builder can time each one. Which file runs
// when is stated in code (cache-steps.ts CACHE_STEPS, chunks.ts CHUNK_STEPS), never in the SQL.
import type { Hash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

const SQL_FILE = /^\d+-[\w-]+\.sql$/;

/** The SQL files of `dir` (NN-name.sql), in name order. */
export function sqlFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => SQL_FILE.test(f))
    .sort();
}

/** The statements of one SQL file, in order (empty or comment-only pieces left out). */
export function sqlFileStatements(dir: string, file: string): string[] {
  return readFileSync(path.join(dir, file), "utf8")
    .split(/^-- ;$/m)
    .filter((stmt) => stmt.replace(/--.*$/gm, "").trim());
}

/** Feed `h` every file of `dir` (or those `only` keeps), in name order: a code key that changes with any edit. */
export function hashSqlFiles(h: Hash, dir: string, only: (file: string) => boolean = () => true): void {
  for (const f of readdirSync(dir).sort()) if (only(f)) h.update(readFileSync(path.join(dir, f)));
}
