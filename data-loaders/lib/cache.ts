// The shared analytics cache. Framework runs every loader as its own process; rescanning 50+
// million holdings in each would multiply the cost, so the first loader to run materialises the
// intermediate tables (data-loaders/sql/cache/*.sql, plus the transfer pairs) into one DuckDB file
// keyed by a fingerprint of the Parquet files, under a lock; the others wait for it and open it
// read-only. Any change to the dataset (a file added, rewritten or touched) changes the key.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { sqlString } from "../../src/ingest/sql.ts";
import { writeFileAtomic } from "../../src/lib/atomic.ts";
import { breakStaleLock, isStale, parseOwner, readLock, releaseLock, tryLock } from "../../src/lib/lock-file.ts";
import type { DuckDBConnection } from "@duckdb/node-api";
import { openDb, rows, scalar, type Db } from "./duck.ts";
import { cacheDir, dataDir } from "./env.ts";
import { pairDay, type Mover } from "./pairing.ts";
import { dimSql, fingerprint, listDataset, SOURCE_TABLES, tableSql, tableSqlOnDates, type DatasetFiles } from "./source.ts";

/** Bump when the cache SQL or the pairing changes, so old caches are not reused. */
export const CACHE_VERSION = "analytics-20";
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
 * when not, a BIGINT.
 */
const SQL_DIR = path.join(import.meta.dirname, "..", "sql", "cache");

/** Every statement of the cache SQL, in order (comments kept: the directives live in them). */
export function cacheStatements(): string[] {
  return readdirSync(SQL_DIR)
    .filter((f) => /^\d+-[\w-]+\.sql$/.test(f))
    .sort()
    .flatMap((f) => readFileSync(path.join(SQL_DIR, f), "utf8").split(/^-- ;$/m))
    .filter((stmt) => stmt.replace(/--.*$/gm, "").trim());
}

/** Open the cache for `data` (default: CCASS_DATA), building it first when needed. */
export async function openAnalytics(data = dataDir(), options: { cache?: string; log?: (s: string) => void } = {}): Promise<Analytics> {
  const dir = options.cache ?? cacheDir();
  await mkdir(dir, { recursive: true });
  const ds = await listDataset(data);
  const fp = fingerprint(ds, CACHE_VERSION);
  const file = path.join(dir, `${fp}.duckdb`);
  let buildSeconds = 0;
  if (!existsSync(file)) {
    const lock = path.join(dir, `${fp}.lock`);
    await withLock(lock, async () => {
      if (existsSync(file)) return; // built by another loader while we waited
      const started = performance.now();
      await build(ds, file, dir, options.log);
      buildSeconds = (performance.now() - started) / 1000;
      await writeFileAtomic(path.join(dir, `${fp}.json`), JSON.stringify({ data: path.resolve(data), version: CACHE_VERSION }));
      await pruneOld(dir, fp, path.resolve(data));
    });
  }
  const db = await openDb(file, { access_mode: "READ_ONLY" });
  return { db, data, file, buildSeconds };
}

async function build(ds: DatasetFiles, file: string, dir: string, log?: (s: string) => void) {
  const tmp = `${file}.${process.pid}.tmp`;
  await rm(tmp, { force: true });
  await rm(`${tmp}.wal`, { force: true });
  const spill = path.join(dir, "spill");
  await mkdir(spill, { recursive: true });
  const db = await openDb(tmp, {
    // 4 GB: the full-market year builds in 38 s instead of 47 s at 3 GB (less spilling), with a
    // 4.4 GB peak, inside the 6 GiB budget (bench/loaders.bench.ts)
    memory_limit: process.env.CCASS_MEMORY_LIMIT ?? "4GB",
    temp_directory: spill,
    preserve_insertion_order: "false",
  });
  try {
    for (const t of SOURCE_TABLES) await db.conn.run(`CREATE TEMP VIEW src_${t} AS ${tableSql(ds.tables[t], t)}`);
    await db.conn.run(`CREATE TEMP VIEW src_dim AS ${dimSql(ds)}`);
    const statements = cacheStatements();
    const run = async (stmt: string) => {
      const t0 = performance.now();
      const what = await runStatement(db, ds, stmt);
      log?.(`${((performance.now() - t0) / 1000).toFixed(2)}s ${what}`);
    };
    // Everything up to `movers`; then the transfer pairing (fetching the movers on a second
    // connection, then JavaScript) runs while DuckDB works through the remaining statements, which
    // do not need it. The fetch is one ordered aggregate, mostly on one thread: on its own
    // connection it leaves the other core to those statements.
    const moversAt = statements.findIndex((stmt) => /CREATE TABLE movers AS/.test(stmt));
    for (const stmt of statements.slice(0, moversAt + 1)) await run(stmt);
    const t0 = performance.now();
    const moversConn = await db.instance.connect();
    let pairs: string[];
    try {
      pairs = await alongside(
        async () => {
          for (const stmt of statements.slice(moversAt + 1)) await run(stmt);
        },
        async () => {
          const movers = await fetchMovers(moversConn);
          const fetched = performance.now();
          const p = await pairMovers(movers);
          log?.(`${((performance.now() - t0) / 1000).toFixed(2)}s pairing (fetch ${((fetched - t0) / 1000).toFixed(2)}s, then JS, ${movers.length} movers)`);
          return p;
        },
      );
    } finally {
      moversConn.closeSync();
    }
    await insertPairs(db, pairs, spill);
    log?.(`${((performance.now() - t0) / 1000).toFixed(2)}s pairs (overlapping the statements after movers)`);
    const c0 = performance.now();
    await db.conn.run("CHECKPOINT");
    log?.(`${((performance.now() - c0) / 1000).toFixed(2)}s checkpoint`);
  } catch (err) {
    db.close();
    await rm(tmp, { force: true });
    await rm(`${tmp}.wal`, { force: true });
    throw err;
  }
  db.close();
  await rename(tmp, file);
}

/**
 * Run one statement of the cache SQL and say what it made. The two directives of its header run their
 * query and act on the answer: `@holdings-on-dates NAME` creates the view NAME over the holdings of
 * the dates returned, `@position-key` defines the position-key macros for the ids' range.
 */
async function runStatement(db: Db, ds: DatasetFiles, stmt: string): Promise<string> {
  const query = stmt.replace(/;\s*$/, "");
  const onDates = /^-- @holdings-on-dates (\w+)/m.exec(stmt);
  if (onDates) {
    const found = await rows<{ d: string }>(db.conn, `SELECT DISTINCT strftime(date, '%Y-%m-%d') AS d FROM (${query}) t(date) WHERE date IS NOT NULL`);
    const dates = found.map((r) => r.d);
    await db.conn.run(`CREATE TEMP VIEW ${onDates[1]} AS ${tableSqlOnDates(ds.tables.holdings, "holdings", dates)}`);
    return `view ${onDates[1]} (${dates.length} dates)`;
  }
  if (/^-- @position-key/m.test(stmt)) {
    const fits = Boolean(await scalar(db.conn, query));
    for (const macro of positionKeyMacros(fits)) await db.conn.run(macro);
    return `position key (${fits ? "INTEGER" : "BIGINT"})`;
  }
  await db.conn.run(stmt);
  return /CREATE (?:TEMP )?(?:TABLE|VIEW) (\w+)|^\s*(\w+ \w+)/m.exec(stmt.replace(/^--.*$/gm, "").trim())?.slice(1).find(Boolean) ?? "statement";
}

/**
 * position_key(sid, pid) packs a position into one sortable number, position_sid/position_pid
 * unpack it: an INTEGER when the ids fit (a 4-byte sort key instead of 8 makes the window over every
 * holding about a fifth faster), else a BIGINT.
 */
export function positionKeyMacros(fitsInteger: boolean): string[] {
  return fitsInteger
    ? [
        "CREATE TEMP MACRO position_key(sid, pid) AS ((sid::INTEGER << 16) | pid)::INTEGER",
        "CREATE TEMP MACRO position_sid(k) AS (k >> 16)::INTEGER",
        "CREATE TEMP MACRO position_pid(k) AS (k & 65535)::INTEGER",
      ]
    : [
        "CREATE TEMP MACRO position_key(sid, pid) AS (sid::BIGINT << 32) | pid",
        "CREATE TEMP MACRO position_sid(k) AS (k >> 32)::INTEGER",
        "CREATE TEMP MACRO position_pid(k) AS (k & 4294967295)::INTEGER",
      ];
}

/**
 * Run `background` while `foreground` runs and settle both before returning (so no statement is
 * left running on the connection); a foreground error wins over a background one. The background
 * promise gets its handler
 * at once: it may fail while the foreground is still yielding (pairMovers does), and an unhandled
 * rejection would kill the process before the build's cleanup (temp file, lock) could run.
 */
export async function alongside<T>(background: () => Promise<void>, foreground: () => Promise<T>): Promise<T> {
  const bg = background().then(
    () => null,
    (err: unknown) => ({ err }),
  );
  let result: T;
  try {
    result = await foreground();
  } catch (err) {
    await bg;
    throw err;
  }
  const failed = await bg;
  if (failed) throw failed.err;
  return result;
}

/**
 * Transfer pairing per stock-day, skipping corporate-action days (and each stock's first day, which
 * has no changes) and days that move on one side only. Movers travel as one text block and pairs go
 * back as a CSV file: converting hundreds of thousands of values one by one through the client API
 * costs far more.
 */
async function fetchMovers(conn: DuckDBConnection): Promise<string[]> {
  const text = await scalar<string | null>(
    conn,
    `WITH both_sides AS (
       SELECT stock_code, seq FROM movers WHERE ca_kind IS NULL GROUP BY ALL HAVING min(change) < 0 AND max(change) > 0
     )
     SELECT string_agg(concat_ws(',', stock_code, strftime(date, '%Y-%m-%d'), seq, issued_adj, coalesce(n.noise_pct, 0), pkey, change), chr(10)
       ORDER BY stock_code, seq, pkey)
     FROM movers SEMI JOIN both_sides USING (stock_code, seq) LEFT JOIN stock_noise n USING (stock_code) WHERE ca_kind IS NULL`,
  );
  return text ? text.split("\n") : [];
}

/**
 * CSV lines of the pairs table. Lines are cut with indexOf rather than split (1.6 million of them
 * for the full-market year: 3.3–3.8 s instead of 4.5–5.7 s with pairing). Yields to the event loop
 * now and then so DuckDB work can continue.
 */
async function pairMovers(lines: string[]): Promise<string[]> {
  const out: string[] = [];
  let group = 0;
  let sinceYield = 0;
  for (let i = 0; i < lines.length; ) {
    // a line: code,date,seq,issued,noise,key,change; one day's lines share "code,date,seq,issued,noise,"
    const first = lines[i]!;
    const afterIssued = nthComma(first, 4);
    const afterNoise = first.indexOf(",", afterIssued + 1);
    const head = first.slice(0, afterNoise + 1);
    const day: Mover[] = [];
    let j = i;
    for (; j < lines.length && lines[j]!.startsWith(head); j++) {
      const line = lines[j]!;
      const lastComma = line.lastIndexOf(",");
      day.push({ key: line.slice(afterNoise + 1, lastComma), change: Number(line.slice(lastComma + 1)) });
    }
    const afterSeq = first.lastIndexOf(",", afterIssued - 1);
    const issued = Number(first.slice(afterSeq + 1, afterIssued));
    const pairs = pairDay(day, { issued, noisePct: Number(first.slice(afterIssued + 1, afterNoise)) });
    if (pairs.length > 0) {
      const prefix = first.slice(0, afterSeq + 1); // code,date,seq,
      let used = 0;
      for (const p of pairs) {
        out.push(`${prefix}${group + p.set},${p.seller},${p.buyer},${p.shares},${(p.shares * 100) / issued},${p.match},${p.confidence}\n`);
        if (p.set + 1 > used) used = p.set + 1;
      }
      group += used;
    }
    sinceYield += j - i;
    i = j;
    if (sinceYield > 20_000) {
      sinceYield = 0;
      await new Promise((r) => setImmediate(r));
    }
  }
  return out;
}

/** Index of the n-th comma of `s` (1-based). */
function nthComma(s: string, n: number): number {
  let at = -1;
  for (let k = 0; k < n; k++) at = s.indexOf(",", at + 1);
  return at;
}

async function insertPairs(db: Db, lines: string[], scratch: string) {
  await db.conn.run(`CREATE TABLE pairs (stock_code VARCHAR, date DATE, seq INTEGER, set_id INTEGER, seller VARCHAR, buyer VARCHAR,
    shares BIGINT, pct_of_issued DOUBLE, match VARCHAR, confidence DOUBLE)`);
  if (lines.length === 0) return;
  const file = path.join(scratch, `pairs-${process.pid}.csv`);
  await writeFile(file, lines.join(""));
  try {
    await db.conn.run(`INSERT INTO pairs SELECT * FROM read_csv(${sqlString(file)}, header = false, quote = '', escape = '', columns = {
      'stock_code': 'VARCHAR', 'date': 'DATE', 'seq': 'INTEGER', 'set_id': 'INTEGER', 'seller': 'VARCHAR', 'buyer': 'VARCHAR',
      'shares': 'BIGINT', 'pct_of_issued': 'DOUBLE', 'match': 'VARCHAR', 'confidence': 'DOUBLE'}) ORDER BY stock_code, seq, set_id, buyer`);
  } finally {
    await rm(file, { force: true });
  }
}

/** Run `fn` holding `lock` (src/lib/lock-file.ts); waits while a live process holds it. */
async function withLock(lock: string, fn: () => Promise<void>, timeoutMs = 15 * 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!tryLock(lock)) {
    const text = readLock(lock);
    if (text !== null && isStale(parseOwner(text))) {
      breakStaleLock(lock, text);
      continue;
    }
    if (Date.now() > deadline) throw new CacheLockTimeoutError(`analytics cache lock still held after ${timeoutMs / 1000}s: ${lock}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  try {
    await fn();
  } finally {
    releaseLock(lock);
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

