// The shared analytics cache. Framework runs every loader as its own process; rescanning 50+
// million holdings in each would multiply the cost, so the first loader to run materialises the
// intermediate tables (data-loaders/sql/cache/*.sql, over the month chunks of chunks.ts) into one
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
import { openDb, rows, type Db } from "./duck.ts";
import { cacheDir, dataDir } from "./env.ts";
import { CHUNK_TABLES, chunkCodeKey, chunkRead, ensureChunks, monthFiles, pruneChunks, type Chunk, type ChunkTable } from "./chunks.ts";
import { contentHash, saveContentHashes } from "./file-hashes.ts";
import { definePositionKey } from "./position-key.ts";
import { hashSqlFiles, sqlStatements } from "./sql-files.ts";
import { dimSql, fingerprint, listDataset, SOURCE_TABLES, tableSql, tableSqlOnDates, type DatasetFiles } from "./source.ts";

export { positionKeyMacros } from "./position-key.ts";

/** Bump when the cache SQL or the pairing changes, so old caches are not reused. */
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

/**
 * The cache's SQL: data-loaders/sql/cache/NN-name.sql, one group of tables per file, run in file-name
 * order. Input views (created here over the Parquet files): src_holdings, src_summary, src_stocks,
 * src_participants, src_southbound, src_dim. Statements are separated by lines holding only "-- ;"
 * so the builder can time each one. A statement that starts with "-- @holdings-on-dates NAME" is a
 * query for dates: the builder runs it and creates the view NAME over the holdings of those dates
 * only (reading a few days' files instead of scanning the year). A statement that starts with
 * "-- @position-key" asks whether every (sid, pid) fits in one INTEGER; the builder then defines
 * position_key(sid, pid), position_sid(k) and position_pid(k) on an INTEGER (16 bits for pid) or,
 * when not, a BIGINT. "-- @month-chunks" computes or reuses every month chunk and defines the
 * `chunk_*` views over them; "-- @window-chunks" defines `wchunk_*` views over the chunks of the
 * months its query returns.
 */
const SQL_DIR = path.join(import.meta.dirname, "..", "sql", "cache");

/** Every statement of the cache SQL, in order (comments kept: the directives live in them). */
export function cacheStatements(): string[] {
  return sqlStatements(SQL_DIR);
}

/** DuckDB's memory limit for the cache build and its readers: `CCASS_MEMORY_LIMIT`, default 4GB. */
function memoryLimit(): string {
  return process.env.CCASS_MEMORY_LIMIT ?? "4GB";
}

/** CACHE_VERSION plus the code that shapes the cache, so a code change is never served a stale cache. */
function assemblyVersion(): string {
  const h = createHash("sha256");
  h.update(chunkCodeKey(CACHE_VERSION));
  hashSqlFiles(h, SQL_DIR);
  h.update(readFileSync(import.meta.filename));
  return h.digest("hex");
}

/** Open the cache for `data` (default: CCASS_DATA), building it first when needed. */
export async function openAnalytics(data = dataDir(), options: { cache?: string; log?: (s: string) => void } = {}): Promise<Analytics> {
  const dir = options.cache ?? cacheDir();
  await mkdir(dir, { recursive: true });
  const ds = await listDataset(data);
  const fp = fingerprint(ds, assemblyVersion());
  const file = path.join(dir, `${fp}.duckdb`);
  let buildSeconds = 0;
  if (!existsSync(file)) {
    const lock = path.join(dir, `${fp}.lock`);
    await withLock(lock, (ms) => new CacheLockTimeoutError(`analytics cache lock still held after ${ms / 1000}s: ${lock}`), async () => {
      if (existsSync(file)) return; // built by another loader while we waited
      const started = performance.now();
      await build(ds, file, dir, options.log);
      buildSeconds = (performance.now() - started) / 1000;
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
    const state: BuildState = { chunks: [] };
    for (const stmt of cacheStatements()) {
      const t0 = performance.now();
      const what = await runStatement(db, ds, dir, stmt, state, log);
      log?.(`${((performance.now() - t0) / 1000).toFixed(2)}s ${what}`);
    }
    await saveContentHashes(dir);
    const c0 = performance.now();
    await db.conn.run("CHECKPOINT");
    log?.(`${((performance.now() - c0) / 1000).toFixed(2)}s checkpoint`);
    db.close();
    await rename(tmp, file);
    await pruneChunks(dir, ds.root, state.chunks);
  } catch (err) {
    db.close();
    await rm(tmp, { force: true });
    await rm(`${tmp}.wal`, { force: true });
    throw err;
  }
}

interface BuildState {
  chunks: Chunk[];
}

/**
 * `month_keys`: per month, its chunk's key and a hash of every file of the month (all tables): what a
 * per-year file of the export depends on, so the export can keep a closed year's files when its
 * months' keys are unchanged (data-loaders/lib/year-parts.ts).
 */
async function writeMonthKeys(db: Db, ds: DatasetFiles, dir: string, chunks: readonly Chunk[]) {
  await db.conn.run("CREATE TABLE month_keys (month VARCHAR, chunk_key VARCHAR, files_key VARCHAR)");
  for (const c of chunks) {
    const h = createHash("sha256");
    for (const f of monthFiles(ds, c.month, SOURCE_TABLES)) h.update(`${path.relative(ds.root, f)}\t${await contentHash(dir, f)}\n`);
    await db.conn.run(`INSERT INTO month_keys VALUES ('${c.month}', '${c.key}', '${h.digest("hex")}')`);
  }
}

async function chunkViews(db: Db, prefix: string, chunks: readonly Chunk[], tables: readonly ChunkTable[]) {
  for (const t of tables) await db.conn.run(`CREATE OR REPLACE VIEW ${prefix}${t} AS ${chunkRead(chunks, t)}`);
}

/**
 * Run one statement of the cache SQL and say what it made. The directives of its header run their
 * query and act on the answer: `@holdings-on-dates NAME` creates the view NAME over the holdings of
 * the dates returned, `@position-key` defines the position-key macros for the ids' range,
 * `@month-chunks` computes or reuses every month chunk and creates the `chunk_*` views over them,
 * `@window-chunks` creates `wchunk_*` views over the chunks of the months returned.
 */
async function runStatement(db: Db, ds: DatasetFiles, dir: string, stmt: string, state: BuildState, log?: (s: string) => void): Promise<string> {
  const query = stmt.replace(/;\s*$/, "");
  const onDates = /^-- @holdings-on-dates (\w+)/m.exec(stmt);
  if (onDates) {
    const found = await rows<{ d: string }>(db.conn, `SELECT DISTINCT strftime(date, '%Y-%m-%d') AS d FROM (${query}) t(date) WHERE date IS NOT NULL`);
    const dates = found.map((r) => r.d);
    await db.conn.run(`CREATE TEMP VIEW ${onDates[1]} AS ${tableSqlOnDates(ds.tables.holdings, "holdings", dates)}`);
    return `view ${onDates[1]} (${dates.length} dates)`;
  }
  if (/^-- @position-key/m.test(stmt)) {
    const fits = await definePositionKey(db.conn, query);
    return `position key (${fits ? "INTEGER" : "BIGINT"})`;
  }
  if (/^-- @month-chunks/m.test(stmt)) {
    state.chunks = await ensureChunks(db, ds, dir, chunkCodeKey(CACHE_VERSION), log);
    await chunkViews(db, "chunk_", state.chunks, Object.keys(CHUNK_TABLES) as ChunkTable[]);
    await writeMonthKeys(db, ds, dir, state.chunks);
    return `month chunks (${state.chunks.length})`;
  }
  if (/^-- @window-chunks/m.test(stmt)) {
    const months = new Set((await db.conn.runAndReadAll(query)).getRowsJS().map((r) => String(r[0])));
    const chunks = state.chunks.filter((c) => months.has(c.month));
    await chunkViews(db, "wchunk_", chunks, ["points", "conc", "pairs"]);
    return `window chunks (${chunks.length})`;
  }
  await db.conn.run(stmt);
  return /CREATE (?:TEMP )?(?:TABLE|VIEW) (\w+)|^\s*(\w+ \w+)/m.exec(stmt.replace(/^--.*$/gm, "").trim())?.slice(1).find(Boolean) ?? "statement";
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

