// Month chunks: the part of the analytics that reads every holding (change points, concentration,
// the day's moves, corporate actions, transfer pairs), computed one calendar month at a time and kept
// in the cache folder while the month's inputs do not change (docs/ARCHITECTURE.md "Incremental
// builds"). A nightly that appends a date recomputes only its month's chunk; a closed month is read
// back, never recomputed. The chunk of month M depends on M's holdings and summary files and, through
// the carry-in day and the noise of the 11 months before, on every earlier month: its key chains the
// previous chunk's key, so any change to an earlier month (a reparse, a backfill) recomputes from
// there on. Each chunk works on one month of rows, so a cold build of many years needs the memory of
// one month, not of the whole history.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { sqlString } from "../../src/lib/sql.ts";
import { scalar, rows, type Db } from "./duck.ts";
import { contentHash } from "./file-hashes.ts";
import { pairDay, type Mover } from "./pairing.ts";
import { definePositionKey } from "./position-key.ts";
import { hashSqlFiles, sqlFileStatements } from "./sql-files.ts";
import { timing } from "./timings.ts";
import { tableSqlOnDates, type DatasetFiles, type SourceTable } from "./source.ts";

export const CHUNK_SQL_DIR = path.join(import.meta.dirname, "sql", "chunk");
/** The cache SQL file that makes `stock_days_summary`, the stock-days every chunk reads. */
const SUMMARY_SQL = "05-stock-days.sql";

/** The files a chunk keeps, each the table of the same name of the chunk SQL, sorted as given. */
export const CHUNK_TABLES = {
  change_points: "stock_code, participant_key, date",
  top_holdings: "stock_code, date",
  day_figures: "stock_code, date",
  participant_moves: "participant_key",
  positions_held: "stock_code, participant_key",
  pairs: "stock_code, date, set_id, buyer, seller",
} as const;
export type ChunkTable = keyof typeof CHUNK_TABLES;

export interface Chunk {
  month: string;
  key: string;
  dir: string;
}

/**
 * What the chunks' content depends on besides the data: the chunk SQL, the summary SQL that feeds it,
 * the pairing, the position key and this file. A change to any of them recomputes every chunk (a full rebuild),
 * without anyone having to remember to bump a version.
 */
export function chunkCodeKey(extra: string): string {
  const h = createHash("sha256");
  h.update(extra);
  hashSqlFiles(h, CHUNK_SQL_DIR);
  hashSqlFiles(h, path.join(CHUNK_SQL_DIR, "..", "cache"), (f) => f === SUMMARY_SQL);
  for (const f of ["pairing.ts", "chunks.ts", "position-key.ts"]) h.update(readFileSync(path.join(import.meta.dirname, f)));
  return h.digest("hex");
}

/** The months of the dataset (from the summary's dates, which every stored stock-day has). */
export async function monthsOf(db: Db): Promise<{ month: string; dates: string[] }[]> {
  const found = await rows<{ m: string; d: string[] }>(
    db.conn,
    "SELECT strftime(date, '%Y-%m') AS m, list(DISTINCT strftime(date, '%Y-%m-%d') ORDER BY strftime(date, '%Y-%m-%d')) AS d FROM stock_days_summary GROUP BY 1 ORDER BY 1",
  );
  return found.map((r) => ({ month: r.m, dates: r.d }));
}

/** The dataset's files of one month (default: those a chunk reads, its holdings and summary). */
export function monthFiles(ds: DatasetFiles, month: string, tables: readonly SourceTable[] = ["holdings", "summary"]): string[] {
  const out: string[] = [];
  for (const t of tables) {
    const files = ds.tables[t];
    for (const f of files.daily) if (f.date.startsWith(month)) out.push(f.path);
    for (const f of files.monthly) if (f.month === month) out.push(f.path);
  }
  return out.sort();
}

/**
 * Make sure every month has its chunk under `dir/chunks/`, computing the missing or stale ones in
 * month order. Returns the chunks of this dataset (oldest first). `stock_days_summary` (cache SQL 05) must exist on
 * the connection.
 */
export async function ensureChunks(db: Db, ds: DatasetFiles, dir: string, codeKey: string, log?: (s: string) => void): Promise<Chunk[]> {
  const root = path.join(dir, "chunks");
  await mkdir(root, { recursive: true });
  const out: Chunk[] = [];
  let prev = codeKey;
  let computed = 0;
  for (const { month, dates } of await monthsOf(db)) {
    const h = createHash("sha256");
    h.update(`${prev}\n${month}\n`);
    for (const f of monthFiles(ds, month)) h.update(`${path.relative(ds.root, f)}\t${await contentHash(dir, f)}\n`);
    const key = h.digest("hex").slice(0, 32);
    const chunkDir = path.join(root, `${month}-${key.slice(0, 16)}`);
    if (!existsSync(path.join(chunkDir, "key"))) {
      const t0 = performance.now();
      await computeChunk(db, ds, month, dates, out.slice(-11), chunkDir, key);
      computed++;
      timing(`cache.chunk_${month}`, (performance.now() - t0) / 1000);
      log?.(`${((performance.now() - t0) / 1000).toFixed(2)}s chunk ${month} (${dates.length} dates)`);
    }
    out.push({ month, key, dir: chunkDir });
    prev = key;
  }
  log?.(`chunks: ${computed} computed, ${out.length - computed} kept`);
  return out;
}

/** Chunk files of one table over some chunks (a read_parquet list; an empty table when none). */
export function chunkRead(chunks: readonly Chunk[], table: ChunkTable): string {
  if (chunks.length === 0) return `SELECT ${CHUNK_EMPTY[table]} WHERE false`;
  return `SELECT * FROM read_parquet([${chunks.map((c) => sqlString(path.join(c.dir, `${table}.parquet`))).join(", ")}])`;
}

/** Empty stand-ins of the chunk tables' columns (a dataset with no stored day has no chunk). */
export const CHUNK_EMPTY: Record<ChunkTable, string> = {
  change_points: "NULL::VARCHAR AS stock_code, NULL::VARCHAR AS participant_key, NULL::DATE AS date, NULL::BIGINT AS shares, NULL::BIGINT AS change, NULL::VARCHAR AS security_id",
  top_holdings: `NULL::VARCHAR AS stock_code, NULL::DATE AS date, NULL::BIGINT[] AS top, NULL::VARCHAR[] AS top_keys, NULL::BIGINT AS listed, NULL::HUGEINT AS clearing_shares,
    NULL::HUGEINT AS broker_shares, NULL::HUGEINT AS custodian_shares, NULL::HUGEINT AS other_shares`,
  day_figures: `NULL::VARCHAR AS stock_code, NULL::VARCHAR AS security_id, NULL::DATE AS date, NULL::BIGINT AS issued_shares, NULL::VARCHAR AS ca_kind, NULL::DOUBLE AS ca_ratio,
    NULL::BIGINT AS ratio_p, NULL::BIGINT AS ratio_q, NULL::BOOLEAN AS first_day, NULL::HUGEINT AS moved, NULL::BIGINT AS positions_changed`,
  participant_moves: "NULL::VARCHAR AS participant_key, NULL::DATE AS last_move",
  positions_held: "NULL::VARCHAR AS stock_code, NULL::VARCHAR AS participant_key, NULL::INTEGER AS year",
  pairs: `NULL::VARCHAR AS stock_code, NULL::DATE AS date, NULL::INTEGER AS set_id, NULL::VARCHAR AS seller, NULL::VARCHAR AS buyer,
    NULL::BIGINT AS shares, NULL::DOUBLE AS pct_of_issued, NULL::VARCHAR AS match, NULL::DOUBLE AS confidence`,
};

async function computeChunk(db: Db, ds: DatasetFiles, month: string, dates: string[], prior: Chunk[], chunkDir: string, key: string) {
  const first = dates[0]!;
  const last = dates[dates.length - 1]!;
  const c = db.conn;
  const profile = process.env.CCASS_PROFILE ? (what: string, t0: number) => console.error(`  chunk ${month} ${((performance.now() - t0) / 1000).toFixed(2)}s ${what}`) : null;
  let t0 = performance.now();
  // The month's stock-days and each series' last stored day before the month (the carry-in). A
  // series is one security under one code (cache SQL 05): a recycled code's new security never
  // carries in the old one's positions.
  await c.run(`CREATE OR REPLACE TEMP TABLE c_month_days AS
    WITH carry AS (
      SELECT stock_code, security_id, max(date) AS date FROM stock_days_summary
      WHERE date < DATE '${first}' AND (stock_code, security_id) IN (SELECT stock_code, security_id FROM stock_days_summary WHERE date BETWEEN DATE '${first}' AND DATE '${last}')
      GROUP BY stock_code, security_id
    ), d AS (
      SELECT s.*, s.date >= DATE '${first}' AS in_month FROM stock_days_summary s
      WHERE s.date BETWEEN DATE '${first}' AND DATE '${last}' OR (s.stock_code, s.date) IN (SELECT stock_code, date FROM carry)
    )
    SELECT *, (row_number() OVER (PARTITION BY stock_code, security_id ORDER BY date) - 1)::INTEGER AS lseq FROM d`);
  const carryDates = (await rows<{ d: string }>(c, `SELECT DISTINCT strftime(date, '%Y-%m-%d') AS d FROM c_month_days WHERE NOT in_month ORDER BY 1`)).map((r) => r.d);
  // every holding of those dates (a carry-in date's other stocks come too: the joins with c_stock_days drop them)
  await c.run(`CREATE OR REPLACE TEMP TABLE c_holdings AS
    SELECT stock_code, date, participant_key, shares FROM (${tableSqlOnDates(ds.tables.holdings, "holdings", [...carryDates, ...dates])})`);
  await c.run(`CREATE OR REPLACE TEMP VIEW c_prior_day_figures AS ${chunkRead(prior, "day_figures")}`);
  profile?.("inputs", t0);
  for (const step of CHUNK_STEPS) {
    t0 = performance.now();
    await step.run(db, path.dirname(chunkDir), (what) => {
      profile?.(what, t0);
      t0 = performance.now();
    });
  }
  t0 = performance.now();
  // Written beside, renamed last: a crash leaves no half chunk that a later run would take as done.
  const tmp = `${chunkDir}.${process.pid}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  for (const [table, order] of Object.entries(CHUNK_TABLES)) {
    await c.run(`COPY (SELECT * FROM c_${table} ORDER BY ${order}) TO ${sqlString(path.join(tmp, `${table}.parquet`))} (FORMAT parquet, COMPRESSION zstd)`);
  }
  profile?.("write", t0);
  await writeFile(path.join(tmp, "source"), `${path.resolve(ds.root)}\n`);
  await writeFile(path.join(tmp, "key"), `${key}\n`);
  // Another build of the same month (another dataset folder with the same content, sharing this
  // cache folder) may have finished first: its chunk has the same key, hence the same content.
  try {
    await rename(tmp, chunkDir);
  } catch (err) {
    if (!existsSync(path.join(chunkDir, "key"))) throw err;
    await rm(tmp, { recursive: true, force: true });
  }
  for (const t of ["c_month_days", "c_holdings", "c_split_checks", "c_stock_days", "c_participant_ids", "c_holdings_by_id", "c_change_points_by_id", "c_change_points", "c_top_holdings", "c_day_figures", "c_participant_moves", "c_positions_held", "c_noise", "c_movers", "c_pairs"])
    await c.run(`DROP TABLE IF EXISTS ${t}`);
  await c.run("DROP VIEW IF EXISTS c_prior_day_figures");
}

export interface ChunkStep {
  /** The SQL file it runs, or what the TypeScript step makes. */
  name: string;
  /** Run it on the connection (`scratch`: a folder for a temporary file); `done` reports what it made. */
  run(db: Db, scratch: string, done: (what: string) => void): Promise<void>;
}

/** The statements of one SQL file of data-loaders/compute/sql/chunk/. */
function sqlFile(file: string): ChunkStep {
  return {
    name: file,
    async run(db, _scratch, done) {
      for (const stmt of sqlFileStatements(CHUNK_SQL_DIR, file)) {
        await db.conn.run(stmt);
        done(/CREATE (?:OR REPLACE )?(?:TEMP )?TABLE (\w+)/.exec(stmt)?.[1] ?? "statement");
      }
    },
  };
}

/** position_key(sid, pid) and its inverses for the chunk's ids (position-key.ts). */
const positionKey: ChunkStep = {
  name: "position key",
  async run(db, _scratch, done) {
    const fits = await definePositionKey(db.conn, { sids: "c_stock_days", pids: "c_participant_ids" });
    done(`position key (${fits ? "INTEGER" : "BIGINT"})`);
  },
};

/** `c_pairs`: the transfer pairing of the chunk's movers (pairing.ts), loaded back as one CSV. */
const pairing: ChunkStep = {
  name: "pairing",
  async run(db, scratch, done) {
    const c = db.conn;
    const pairs = await pairChunk(db);
    await c.run(`CREATE OR REPLACE TEMP TABLE c_pairs (stock_code VARCHAR, date DATE, set_id INTEGER, seller VARCHAR, buyer VARCHAR,
      shares BIGINT, pct_of_issued DOUBLE, match VARCHAR, confidence DOUBLE)`);
    if (pairs.length > 0) {
      const csv = path.join(scratch, `pairs-${process.pid}.csv`);
      await writeFile(csv, pairs.join(""));
      try {
        await c.run(`INSERT INTO c_pairs SELECT * FROM read_csv(${sqlString(csv)}, header = false, quote = '', escape = '', columns = {
          'stock_code': 'VARCHAR', 'date': 'DATE', 'set_id': 'INTEGER', 'seller': 'VARCHAR', 'buyer': 'VARCHAR',
          'shares': 'BIGINT', 'pct_of_issued': 'DOUBLE', 'match': 'VARCHAR', 'confidence': 'DOUBLE'})`);
      } finally {
        await rm(csv, { force: true });
      }
    }
    done("pairing");
  },
};

/**
 * A chunk's steps, in order, after its inputs (computeChunk: `c_month_days`, `c_holdings`, `c_prior_day_figures`) and
 * before its tables are written.
 */
export const CHUNK_STEPS: readonly ChunkStep[] = [
  sqlFile("10-corporate-actions.sql"),
  sqlFile("15-participant-ids.sql"),
  positionKey,
  sqlFile("20-change-points.sql"),
  sqlFile("30-day-figures.sql"),
  pairing,
];

/**
 * The transfer pairing of the chunk's stock-days (data-loaders/compute/pairing.ts), as CSV lines
 * `code,date,set,seller,buyer,shares,pct,match,confidence`. `set` numbers the matched sets within
 * the stock-day, so a pair's group does not depend on any other day. Movers travel as one text
 * block: converting values one by one through the client API costs far more.
 */
async function pairChunk(db: Db): Promise<string[]> {
  const text = await scalar<string | null>(
    db.conn,
    `SELECT string_agg(concat_ws(',', stock_code, strftime(date, '%Y-%m-%d'), issued_shares, noise_pct, pkey, change), chr(10)
       ORDER BY stock_code, date, pkey) FROM c_movers`,
  );
  const lines = text ? text.split("\n") : [];
  const out: string[] = [];
  for (let i = 0; i < lines.length; ) {
    // one stock-day's lines share "code,date,issued,noise,"
    const first = lines[i]!;
    const cut = nthComma(first, 4);
    const head = first.slice(0, cut + 1);
    const day: Mover[] = [];
    let j = i;
    for (; j < lines.length && lines[j]!.startsWith(head); j++) {
      const line = lines[j]!;
      const lastComma = line.lastIndexOf(",");
      day.push({ key: line.slice(cut + 1, lastComma), change: Number(line.slice(lastComma + 1)) });
    }
    const [code, date, issuedText, noiseText] = head.slice(0, -1).split(",");
    const issued = Number(issuedText);
    for (const p of pairDay(day, { issued, noisePct: Number(noiseText) })) {
      out.push(`${code},${date},${p.set},${p.seller},${p.buyer},${p.shares},${(p.shares * 100) / issued},${p.match},${p.confidence}\n`);
    }
    i = j;
  }
  return out;
}

/** Index of the n-th comma of `s` (1-based). */
function nthComma(s: string, n: number): number {
  let at = -1;
  for (let k = 0; k < n; k++) at = s.indexOf(",", at + 1);
  return at;
}

/**
 * Remove this data folder's chunk folders that the newest build does not name (earlier versions of
 * its months); chunks made for another data folder sharing the cache folder are left alone.
 */
export async function pruneChunks(dir: string, data: string, keep: readonly Chunk[]) {
  const root = path.join(dir, "chunks");
  if (!existsSync(root)) return;
  const wanted = new Set(keep.map((c) => path.basename(c.dir)));
  for (const name of readdirSync(root)) {
    const m = /^(\d{4}-\d{2})-[0-9a-f]{16}$/.exec(name);
    // only other versions of this dataset's months: another dataset sharing the folder keeps its own
    if (!m || wanted.has(name)) continue;
    let source = "";
    try {
      source = readFileSync(path.join(root, name, "source"), "utf8").trim();
    } catch {
      continue; // not a finished chunk (another build's, in progress)
    }
    if (source === path.resolve(data)) await rm(path.join(root, name), { recursive: true, force: true });
  }
}
