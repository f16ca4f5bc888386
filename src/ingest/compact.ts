// Compaction: replace the daily files of complete past months by one file per month,
//   <out>/<table>/month=YYYY-MM/YYYY-MM-DD.parquet  (many)  →  <out>/<table>/month=YYYY-MM/YYYY-MM.parquet
// Every file carries its `date` column, so readers see the same rows before and after.
//
// A month is rebuilt beside the dataset, in `<out>/_state/compact/<table>/month=YYYY-MM.new/`, checked,
// and swapped in with two renames (the old folder goes to `….old` next to it, the new one takes
// its place, the old one is removed). A reader of `<table>/month=*/*.parquet` sees the old month
// or the new one, never a date twice and never a half-written file; killed between the two renames,
// the next run (or the writer) finishes the swap before anything else touches that month.
// A folder holding both its month file and daily files is never produced by the writer (it rewrites
// the month file, see writer.ts); if one arrives from elsewhere (a copied shard), compaction repairs it
// with one rule: a daily file overrides that date's rows in the month file.
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { existsSync } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { produceFileAtomic } from "../lib/atomic.ts";
import { isDir, listDir } from "../lib/dir.ts";
import { assertIsoDate } from "../lib/validate.ts";
import {
  dataFileKind,
  dayFile,
  isMonth,
  legacyPartitions,
  monthDir,
  monthFile,
  monthOf,
  monthOfFolder,
  stateDir,
  tableLayout,
  TABLE_KEYS,
  TABLES,
  type TableName,
} from "../dataset/layout.ts";
import { acquireRunLock, RunLockedError } from "./lock.ts";
import { columnsOf, scalar, withConnection } from "../lib/duckdb.ts";
import { migrateSecurityIds } from "./security-id.ts";
import { sqlList, sqlString } from "../lib/sql.ts";

/**
 * Row order of a month file: the table's key columns with `date` moved last, so each holder's
 * (or stock's) consecutive days sit side by side. Holdings change little from day to day, and
 * zstd then stores a month of full-market holdings in about 0.36 MB per day instead of 1.2 MB
 * (bench/growth.bench.ts); per-stock reads also prune row groups by stock_code.
 */
export function monthSortKeys(table: TableName): string[] {
  return [...TABLE_KEYS[table].filter((k) => k !== "date"), "date"];
}

export class CompactionError extends Error {
  override readonly name = "CompactionError";
}

/** Another compaction holds the lock on this dataset. */
export class CompactionLockedError extends CompactionError {}

export function assertMonth(x: unknown): string {
  if (!isMonth(x)) throw new CompactionError(`invalid month (YYYY-MM): ${JSON.stringify(x)}`);
  return x;
}

function assertTableName(table: string): TableName {
  if (!(TABLES as readonly string[]).includes(table)) throw new CompactionError(`invalid table name: ${JSON.stringify(table)}`);
  return table as TableName;
}

/** Where the compacted file of `month` lives (whether or not it exists). */
export function monthFilePath(out: string, table: string, month: string): string {
  return monthFile(out, assertTableName(table), assertMonth(month));
}

export function dailyFilePath(out: string, table: string, date: string): string {
  return dayFile(out, assertTableName(table), assertIsoDate(date));
}

/** The compacted month file that covers `date`'s month, or null (the writer then writes a daily file). */
export function monthPartitionFor(out: string, table: string, date: string): string | null {
  const file = monthFilePath(out, table, monthOf(date));
  return existsSync(file) ? file : null;
}

function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export interface MonthResult {
  table: string;
  month: string;
  /** dates folded in from daily files this time */
  datesFolded: string[];
  rows: number;
  bytesBefore: number;
  bytesAfter: number;
}

async function fileSize(p: string): Promise<number> {
  return (await stat(p)).size;
}

/** Temp files left in a month folder by a killed write (atomic.ts names them `.<name>.<pid>.<hex>.tmp`). */
export async function removeStaleTemps(dir: string): Promise<void> {
  for (const name of await listDir(dir)) {
    if (name.startsWith(".") && name.endsWith(".tmp")) await rm(path.join(dir, name), { force: true, recursive: true });
  }
}

/** Where a month is rebuilt (`ready`) and where the folder it replaces waits for removal (`old`): beside the dataset, never under a table. */
function swapFolders(out: string, table: TableName, month: string): { ready: string; old: string } {
  const base = path.join(stateDir(out), "compact", table);
  const folder = path.basename(monthDir(out, table, month));
  return { ready: path.join(base, `${folder}.new`), old: path.join(base, `${folder}.old`) };
}

/**
 * Finish or undo a swap a killed process left behind. The old folder is moved aside only once the
 * new one is complete, so: old aside and no month folder → move the new one in; old aside and
 * month folder in place → the swap finished, remove the old one; a new folder alone was never
 * finished → remove it.
 */
export async function recoverMonthSwap(out: string, table: TableName, month: string): Promise<void> {
  const { ready, old } = swapFolders(out, table, month);
  const dir = monthDir(out, table, month);
  if (existsSync(old)) {
    if (!existsSync(dir)) await rename(existsSync(ready) ? ready : old, dir);
    await rm(old, { recursive: true, force: true });
  }
  await rm(ready, { recursive: true, force: true });
}

/**
 * Before a month is read or written (the writer) or after files were copied in (merge-shards):
 * finish a swap a killed compaction left, and fold daily files that sit beside the month file, so
 * the month is in one state and no date is in two files.
 */
export async function settleMonth(out: string, table: TableName, month: string, conn?: DuckDBConnection): Promise<void> {
  await recoverMonthSwap(out, table, month);
  const names = await listDir(monthDir(out, table, month));
  if (names.includes(`${month}.parquet`) && names.some((n) => { const k = dataFileKind(n); return k !== null && "date" in k; }))
    await compactMonth(out, table, month, conn);
}

async function swapIn(out: string, table: TableName, month: string): Promise<void> {
  const { ready, old } = swapFolders(out, table, month);
  const dir = monthDir(out, table, month);
  await rename(dir, old);
  await rename(ready, dir);
  await rm(old, { recursive: true, force: true });
}

/**
 * The SELECT of a month's rows from its month file (if any) and daily files, a daily file winning
 * over the month file's rows of its date. Checks first that every daily file holds only its own
 * date and that the files agree on columns; returns the SELECT and its row count.
 */
async function monthUnion(
  c: DuckDBConnection,
  table: string,
  month: string,
  daily: readonly (readonly [string, string])[],
  monthPath: string | null,
): Promise<{ sql: string; rows: number; columns: string[] }> {
  const dailyFiles = daily.map(([, f]) => f);
  const columns = await columnsOf(c, dailyFiles);
  if (!columns.includes("date")) throw new CompactionError(`${table} ${month}: the daily files have no date column`);
  // Each daily file must hold only its own date, or the override rule would be unsound. A NULL
  // date counts as misplaced: `date NOT IN (…)` below would drop such a row.
  const misplaced = await scalar(
    c,
    `SELECT count(*) FROM read_parquet(${sqlList(dailyFiles)}, hive_partitioning = false, filename = true)
     WHERE date IS NULL OR strftime(date, '%Y-%m-%d') <> regexp_extract(filename, '(\\d{4}-\\d{2}-\\d{2})\\.parquet$', 1)`,
  );
  if (Number(misplaced) !== 0) throw new CompactionError(`${table} ${month}: ${misplaced} rows of daily files are dated outside their file's date`);
  const cols = columns.map(ident).join(", ");
  const parts = [`SELECT ${cols} FROM read_parquet(${sqlList(dailyFiles)}, hive_partitioning = false)`];
  if (monthPath) {
    const monthColumns = await columnsOf(c, [monthPath]);
    if (monthColumns.join(",") !== columns.join(","))
      throw new CompactionError(`${table} ${month}: month file columns (${monthColumns.join(", ")}) differ from daily files (${columns.join(", ")})`);
    const outside = await scalar(c, `SELECT count(*) FROM read_parquet(${sqlString(monthPath)}, hive_partitioning = false) WHERE date IS NULL OR strftime(date, '%Y-%m') <> ${sqlString(month)}`);
    if (Number(outside) !== 0) throw new CompactionError(`${table} ${month}: the month file holds ${outside} rows of other months`);
    const dateList = daily.map(([d]) => `DATE ${sqlString(d)}`).join(", ");
    parts.unshift(`SELECT ${cols} FROM read_parquet(${sqlString(monthPath)}, hive_partitioning = false) WHERE date NOT IN (${dateList})`);
  }
  const sql = parts.join(" UNION ALL ");
  return { sql, rows: Number(await scalar(c, `SELECT count(*) FROM (${sql})`)), columns };
}

/** Write `select` (sorted by the month order) to `target` atomically, refusing a short write. */
async function writeMonthFile(c: DuckDBConnection, table: TableName, month: string, select: string, columns: readonly string[], expected: number, target: string): Promise<number> {
  const keys = monthSortKeys(table).filter((k) => columns.includes(k)).map(ident).join(", ");
  let written = 0;
  await produceFileAtomic(target, async (tmp) => {
    await c.run(`COPY (SELECT * FROM (${select}) ORDER BY ${keys}) TO ${sqlString(tmp)} (FORMAT parquet, COMPRESSION zstd)`);
    // Check the written file before it replaces anything: a short write must not cost rows.
    written = Number(await scalar(c, `SELECT count(*) FROM read_parquet(${sqlString(tmp)}, hive_partitioning = false)`));
    if (written !== expected) throw new CompactionError(`${table} ${month}: wrote ${written} rows, expected ${expected}`);
  });
  return written;
}

/**
 * Replace the daily files of `<table>/month=<month>/` (and its month file, if a copy left one beside
 * them) by one `<month>.parquet`, built beside the dataset and swapped in (see the top). Safe to
 * repeat and to resume after a crash at any point. Call it with the dataset lock held (`compact`
 * takes it), never beside a scrape into the same folder.
 */
export async function compactMonth(out: string, tableName: string, month: string, conn?: DuckDBConnection): Promise<MonthResult> {
  const table = assertTableName(tableName);
  assertMonth(month);
  await recoverMonthSwap(out, table, month);
  const dir = monthDir(out, table, month);
  await removeStaleTemps(dir);
  const layout = tableLayout(out, table);
  const daily = [...layout.daily].filter(([d]) => monthOf(d) === month).sort(([a], [b]) => a.localeCompare(b));
  const monthPath = layout.monthly.get(month) ?? null;
  const result: MonthResult = { table, month, datesFolded: daily.map(([d]) => d), rows: 0, bytesBefore: 0, bytesAfter: 0 };
  for (const [, f] of daily) result.bytesBefore += await fileSize(f);
  if (monthPath) result.bytesBefore += await fileSize(monthPath);

  await withConnection(conn, async (c) => {
    if (daily.length === 0) {
      if (monthPath) result.rows = Number(await scalar(c, `SELECT count(*) FROM read_parquet(${sqlString(monthPath)}, hive_partitioning = false)`));
      return;
    }
    const union = await monthUnion(c, table, month, daily, monthPath);
    const { ready } = swapFolders(out, table, month);
    await mkdir(ready, { recursive: true });
    result.rows = await writeMonthFile(c, table, month, union.sql, union.columns, union.rows, path.join(ready, `${month}.parquet`));
    await swapIn(out, table, month);
  });
  const after = monthFile(out, table, month);
  if (existsSync(after)) result.bytesAfter = await fileSize(after);
  return result;
}

/**
 * For the writer: replace `date`'s rows in the compacted month file by `rowsOfDate` (a SELECT of
 * that date's complete rows), one atomic file rename. `rowsOfDate` may read the month file itself.
 */
export async function rewriteDateInMonth(c: DuckDBConnection, out: string, table: TableName, date: string, rowsOfDate: string, columns: readonly string[]): Promise<string> {
  const month = monthOf(date);
  const target = monthFile(out, table, month);
  const cols = columns.map(ident).join(", ");
  const others = `SELECT ${cols} FROM read_parquet(${sqlString(target)}, hive_partitioning = false) WHERE date <> DATE ${sqlString(date)}`;
  const select = `${others} UNION ALL SELECT ${cols} FROM (${rowsOfDate})`;
  // Materialise first: the COPY below reads the file it replaces (safe: it writes a temp file), and the count must be of the same rows.
  await c.run(`CREATE OR REPLACE TEMP TABLE month_rewrite AS ${select}`);
  const rows = Number(await scalar(c, "SELECT count(*) FROM month_rewrite"));
  await writeMonthFile(c, table, month, "SELECT * FROM month_rewrite", columns, rows, target);
  await c.run("DROP TABLE month_rewrite");
  return target;
}

/** The current month in Hong Kong (UTC+8, no daylight saving). */
export function currentMonthHK(now: Date = new Date()): string {
  return new Date(now.getTime() + 8 * 3600_000).toISOString().slice(0, 7);
}

export interface CompactOptions {
  /** compact months strictly before this one (YYYY-MM); default: the current month in Hong Kong */
  before?: string;
  /** only these tables; default: every partitioned table under `out` */
  tables?: string[];
  /** progress lines */
  log?: (line: string) => void;
}

export interface CompactReport {
  out: string;
  before: string;
  months: MonthResult[];
}

/** Months with a swap left unfinished by a killed run: `_state/compact/<table>/month=M.{new,old}`. */
async function interruptedSwaps(out: string, table: TableName): Promise<string[]> {
  const months = new Set<string>();
  for (const name of await listDir(path.join(stateDir(out), "compact", table))) {
    const m = monthOfFolder(/^(.+)\.(new|old)$/.exec(name)?.[1] ?? "");
    if (m) months.add(m);
  }
  return [...months];
}

/** What `compact` would fold: months before `before` with daily files, any month file with daily files beside it (repair), interrupted swaps. */
export async function planCompaction(out: string, before: string, tables?: string[]): Promise<{ table: TableName; month: string }[]> {
  assertMonth(before);
  const plan: { table: TableName; month: string }[] = [];
  for (const table of (tables ?? TABLES).map(assertTableName)) {
    const layout = tableLayout(out, table);
    const months = new Set(await interruptedSwaps(out, table));
    for (const d of layout.daily.keys()) {
      const m = monthOf(d);
      if (m < before || layout.monthly.has(m)) months.add(m);
    }
    for (const m of [...months].sort()) plan.push({ table, month: m });
  }
  return plan;
}

/** Compact every complete past month of every table under `out`, holding the dataset's lock. */
export async function compact(out: string, opts: CompactOptions = {}): Promise<CompactReport> {
  if (!(await isDir(out))) throw new CompactionError(`dataset folder not found: ${out}`);
  const before = assertMonth(opts.before ?? currentMonthHK());
  const log = opts.log ?? (() => {});
  const release = await acquireCompactionLock(out);
  const instance = await DuckDBInstance.create(":memory:");
  const c = await instance.connect();
  try {
    const legacy = legacyPartitions(out);
    if (legacy.length > 0) throw new CompactionError(`${out} uses the old date=/part-0.parquet layout (${legacy[0]!.rel}); run compact --migrate first`);
    await migrateSecurityIds(c, out); // a dataset from before security_id: the column first, so months fold alike
    const report: CompactReport = { out, before, months: [] };
    for (const { table, month } of await planCompaction(out, before, opts.tables)) {
      const r = await compactMonth(out, table, month, c);
      log(`${table} ${month}: folded ${r.datesFolded.length} dates, ${r.rows} rows, ${r.bytesBefore} → ${r.bytesAfter} bytes`);
      report.months.push(r);
    }
    return report;
  } finally {
    c.closeSync();
    instance.closeSync();
    await release();
  }
}

/**
 * Compaction takes the scrape's own lock (`<out>/_state/run.lock`, src/ingest/lock.ts): a scrape and
 * a compaction of one dataset never run side by side, and a lock left by a killed process is taken over.
 */
export function lockPath(out: string): string {
  return path.join(stateDir(out), "run.lock");
}

export async function acquireCompactionLock(out: string): Promise<() => Promise<void>> {
  try {
    const release = await acquireRunLock(out);
    return async () => release();
  } catch (err) {
    if (err instanceof RunLockedError) throw new CompactionLockedError(`cannot compact while ${err.message}; remove ${lockPath(out)} if that process is gone`);
    throw err;
  }
}
