// The SQL files of the analytics (data-loaders/sql/cache/, data-loaders/sql/chunk/): NN-name.sql,
// run in file-name order, statements separated by lines holding only "-- ;" so a builder can time
// each one and act on the directives in their leading comments.
import type { Hash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

const SQL_FILE = /^\d+-[\w-]+\.sql$/;

/** Every statement of the SQL files in `dir`, in order (comments kept: the directives live in them). */
export function sqlStatements(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => SQL_FILE.test(f))
    .sort()
    .flatMap((f) => readFileSync(path.join(dir, f), "utf8").split(/^-- ;$/m))
    .filter((stmt) => stmt.replace(/--.*$/gm, "").trim());
}

/** Feed `h` every file of `dir` (or those `only` keeps), in name order: a code key that changes with any edit. */
export function hashSqlFiles(h: Hash, dir: string, only: (file: string) => boolean = () => true): void {
  for (const f of readdirSync(dir).sort()) if (only(f)) h.update(readFileSync(path.join(dir, f)));
}
