// The shared analytics cache. Framework runs every loader as its own process; rescanning 50+
// million holdings in each would multiply the cost, so the first loader to run materialises the
// intermediate tables (the steps of cache-steps.ts, in their order: SQL files over the month chunks) into one
// DuckDB file keyed by a fingerprint of the Parquet files, under a lock; the others wait for it
// and open it read-only. Any change to the dataset (a file added, rewritten or touched) changes the
// key; the month chunks it is built from are kept while their own inputs are unchanged, so a new
// key after a nightly recomputes one month, not the history.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";
import { writeFileAtomic } from "../../src/lib/atomic.ts";
import { withLock } from "../../src/lib/lock-file.ts";
import { CACHE_SQL_DIR, CACHE_STEPS, type BuildContext, type Timer } from "./cache-steps.ts";
import { chunkCodeKey, pruneChunks } from "./chunks.ts";
import { openDb, type Db } from "./duck.ts";
import { cacheDir, dataDir } from "./env.ts";
import { saveContentHashes } from "./file-hashes.ts";
import { hashSqlFiles, sqlFileStatements } from "./sql-files.ts";
import { timing } from "./timings.ts";
import { dimSql, fingerprint, listDataset, SOURCE_TABLES, tableSql, type DatasetFiles } from "./source.ts";

export { positionKeyMacros } from "./position-key.ts";

/**
 * Part of the cache key. The SQL, the steps, the chunk code and the pairing are hashed into the key
 * by themselves (assemblyVersion, chunkCodeKey): bump this only for a change they do not show (a
 * DuckDB upgrade that changes results, say).
 */
export const CACHE_VERSION = "analytics-22";
/** Movers below this share of issued (percent) are ignored by the transfer finder. */
export const FLOOR_PCT = 0.05;

export class CacheLockTimeoutError extends Error {
  override readonly name = "CacheLockTimeoutError";
}

export interface Analytics {
  /** Read-only connection to the cache file. */
  db: Db;
  data: string;
  file: string;
  /** Seconds spent building (0 when an existing cache was reused). */
  buildSeconds: number;
}

/** Every statement of the cache SQL, in the order the build runs it (tests pick a table's statement from it). */
export function cacheStatements(): string[] {
  return CACHE_STEPS.flatMap((s) => (s.name.endsWith(".sql") ? sqlFileStatements(CACHE_SQL_DIR, s.name) : []));
}

/** DuckDB's memory limit for the cache build and its readers: `CCASS_MEMORY_LIMIT`, default 4GB. */
function memoryLimit(): string {
  return process.env.CCASS_MEMORY_LIMIT ?? "4GB";
}

/** CACHE_VERSION plus the code that shapes the cache, so a code change is never served a stale cache. */
function assemblyVersion(): string {
  const h = createHash("sha256");
  h.update(chunkCodeKey(CACHE_VERSION));
  hashSqlFiles(h, CACHE_SQL_DIR);
  h.update(readFileSync(import.meta.filename));
  h.update(readFileSync(path.join(import.meta.dirname, "cache-steps.ts")));
  return h.digest("hex");
}

/** Open the cache for `data` (default: CCASS_DATA), building it first when needed. */
export async function openAnalytics(data = dataDir(), options: { cache?: string; log?: (s: string) => void } = {}): Promise<Analytics> {
  const dir = options.cache ?? cacheDir();
  await mkdir(dir, { recursive: true });
  const k0 = performance.now();
  const ds = await listDataset(data);
  const fp = fingerprint(ds, assemblyVersion());
  timing("cache.key", (performance.now() - k0) / 1000);
  const file = path.join(dir, `${fp}.duckdb`);
  let buildSeconds = 0;
  if (!existsSync(file)) {
    const lock = path.join(dir, `${fp}.lock`);
    await withLock(lock, (ms) => new CacheLockTimeoutError(`analytics cache lock still held after ${ms / 1000}s: ${lock}`), async () => {
      if (existsSync(file)) return; // built by another loader while we waited
      const started = performance.now();
      await build(ds, file, dir, options.log);
      buildSeconds = (performance.now() - started) / 1000;
      timing("cache.build", buildSeconds);
      await writeFileAtomic(path.join(dir, `${fp}.json`), JSON.stringify({ data: path.resolve(data), version: CACHE_VERSION }));
      await pruneOld(dir, fp, path.resolve(data));
    });
  }
  // the readers (loaders, the export) under the same limit as the build, spilling to the same
  // folder: the knob bounds every step
  await mkdir(path.join(dir, "spill"), { recursive: true });
  const db = await openDb(file, { access_mode: "READ_ONLY", memory_limit: memoryLimit(), temp_directory: path.join(dir, "spill") });
  return { db, data, file, buildSeconds };
}

async function build(ds: DatasetFiles, file: string, dir: string, log?: (s: string) => void) {
  const tmp = `${file}.${process.pid}.tmp`;
  await rm(tmp, { force: true });
  await rm(`${tmp}.wal`, { force: true });
  const spill = path.join(dir, "spill");
  await mkdir(spill, { recursive: true });
  const db = await openDb(tmp, {
    // the month chunks bound what one step holds (a month of holdings); the limit is the knob for
    // smaller machines (docs/DATASETS.md "Memory")
    memory_limit: memoryLimit(),
    temp_directory: spill,
    preserve_insertion_order: "false",
  });
  try {
    for (const t of SOURCE_TABLES) await db.conn.run(`CREATE TEMP VIEW src_${t} AS ${tableSql(ds.tables[t], t)}`);
    await db.conn.run(`CREATE TEMP VIEW src_dim AS ${dimSql(ds)}`);
    const ctx: BuildContext = { db, ds, dir, chunkCodeKey: chunkCodeKey(CACHE_VERSION), chunks: [], log };
    const time: Timer = async (what, work) => {
      const t0 = performance.now();
      const suffix = await work();
      const seconds = (performance.now() - t0) / 1000;
      timing(`cache.${what}`, seconds);
      log?.(`${seconds.toFixed(2)}s ${what}${suffix ?? ""}`);
    };
    for (const step of CACHE_STEPS) await step.run(ctx, time);
    await saveContentHashes(dir);
    const c0 = performance.now();
    await db.conn.run("CHECKPOINT");
    timing("cache.checkpoint", (performance.now() - c0) / 1000);
    log?.(`${((performance.now() - c0) / 1000).toFixed(2)}s checkpoint`);
    db.close();
    await rename(tmp, file);
    await pruneChunks(dir, ds.root, ctx.chunks);
  } catch (err) {
    db.close();
    await rm(tmp, { force: true });
    await rm(`${tmp}.wal`, { force: true });
    throw err;
  }
}

/** Remove older caches of the same data folder (other folders' caches are left alone). */
async function pruneOld(dir: string, keep: string, data: string) {
  for (const f of await readdir(dir)) {
    const m = /^([0-9a-f]{24})\.json$/.exec(f);
    if (!m || m[1] === keep) continue;
    try {
      const info = JSON.parse(await readFile(path.join(dir, f), "utf8")) as { data?: string };
      if (info.data !== data) continue;
    } catch {
      continue;
    }
    await rm(path.join(dir, `${m[1]}.duckdb`), { force: true });
    await rm(path.join(dir, f), { force: true });
  }
}

