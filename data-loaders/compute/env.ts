// Where the loaders read from and keep their cache. Framework runs each loader from the project
// root, tests and the export script from anywhere: paths are resolved against the repository,
// not the working directory, unless the environment names them.
import path from "node:path";
import { assertIsoDate } from "../../src/lib/validate.ts";

export const REPO_ROOT = path.resolve(import.meta.dirname, "..", "..");

/** The Parquet dataset: `CCASS_DATA`, else `data/parquet` of the repository. */
export function dataDir(): string {
  const env = process.env.CCASS_DATA;
  return env ? path.resolve(env) : path.join(REPO_ROOT, "data", "parquet");
}

/** The folder of the shared analytics cache: `CCASS_CACHE`, else `.cache/analytics` (git-ignored). */
export function cacheDir(): string {
  const env = process.env.CCASS_CACHE;
  return env ? path.resolve(env) : path.join(REPO_ROOT, ".cache", "analytics");
}

/** Today's date (UTC) for freshness, or `CCASS_TODAY` so a test or a replay can fix it. */
export function todayIso(): string {
  const env = process.env.CCASS_TODAY;
  return env ? assertIsoDate(env) : new Date().toISOString().slice(0, 10);
}
