// Is there a dataset at all? The site build and the static API export check this before anything is
// written: a mistyped `--data` (or CCASS_DATA) used to build a site with 0 stocks and swap it in place
// of the last good one. A missing or unreadable folder is always an error; a folder that holds no data
// file (a first deploy, the no-data site of the tests) only when the caller did not ask for it.
import { readdirSync } from "node:fs";
import path from "node:path";
import { dataFileKind, TABLES } from "./layout.ts";

export class DatasetMissingError extends Error {
  override readonly name = "DatasetMissingError";
}

function entries(dir: string): string[] | null {
  try {
    return readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

/** How many data files (`<table>/month=M/<date or month>.parquet`) the dataset at `root` holds, up to `limit`. */
export function countDataFiles(root: string, limit = Infinity): number {
  let n = 0;
  for (const table of TABLES) {
    for (const folder of entries(path.join(root, table)) ?? []) {
      if (!folder.startsWith("month=")) continue;
      for (const name of entries(path.join(root, table, folder)) ?? []) {
        if (dataFileKind(name) && ++n >= limit) return n;
      }
    }
  }
  return n;
}

/**
 * Throws DatasetMissingError (one line, naming the folder) unless `root` is a readable folder holding
 * at least one data file; with `allowEmpty`, a readable folder without any is accepted.
 * Returns whether it holds data.
 */
export function assertDataset(root: string, options: { allowEmpty?: boolean } = {}): "data" | "empty" {
  const where = `no dataset at ${root}`;
  let n: number;
  try {
    if (entries(root) === null) throw new DatasetMissingError(`${where}: the folder does not exist (--data or CCASS_DATA names it; npm run scrape or npm run synth-dataset writes one)`);
    n = countDataFiles(root, 1);
  } catch (err) {
    if (err instanceof DatasetMissingError) throw err;
    const e = err as NodeJS.ErrnoException;
    throw new DatasetMissingError(`${where}: cannot read the folder (${e.code ?? e.message})`);
  }
  if (n > 0) return "data";
  if (options.allowEmpty) return "empty";
  throw new DatasetMissingError(`${where}: the folder holds no data file (<table>/month=YYYY-MM/*.parquet); --allow-empty builds the no-data site from it`);
}
