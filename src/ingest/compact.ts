// Compaction: fold the daily partitions of complete past months into one file per month,
//   <out>/<table>/date=YYYY-MM-DD/part-0.parquet  (many)  →  <out>/<table>/month=YYYY-MM/part-0.parquet
// Every file carries its `date` column, so readers see the same rows before and after.
//
// Crash safety rests on one rule rather than a journal: for any date, a `date=` folder overrides
// that date's rows in the month file. A month is rebuilt as
//   (month file rows whose date has no `date=` folder) ∪ (every `date=` folder of the month),
// written to a temp file, checked, renamed over the month file, and only then are the `date=`
// folders removed. Interrupted anywhere, the next run recomputes the same union (the folders it
// did not get to remove win over their copies in the month file) and finishes the removals, so
// the end state has every row exactly once. The same rule lets the writer add a late date to a
// compacted month as an ordinary `date=` folder (see monthPartitionFor / compactMonth).
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { existsSync } from "node:fs";
import { mkdir, readdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import { produceFileAtomic } from "../lib/atomic.ts";
import { assertIsoDate, isIsoDate } from "../lib/validate.ts";
import { stateDir, TABLE_KEYS } from "./layout.ts";
import { acquireRunLock, RunLockedError } from "./lock.ts";
import { sqlString } from "./sql.ts";

/** Sort keys of each table (layout.ts, from ARCHITECTURE.md); a table not listed is sorted by date alone. */
const KEYS: Readonly<Record<string, readonly string[]>> = TABLE_KEYS;

/**
 * Row order of a month file: the table's key columns with `date` moved last, so each holder's
 * (or stock's) consecutive days sit side by side. Holdings change little from day to day, and
 * zstd then stores a month of full-market holdings in about 0.36 MB per day instead of 1.2 MB
 * (bench/growth.bench.ts); per-stock reads also prune row groups by stock_code.
 */
export function monthSortKeys(table: string): string[] {
  const keys = KEYS[table] ?? ["date"];
  return [...keys.filter((k) => k !== "date"), "date"];
}

export const PART_FILE = "part-0.parquet";
const MONTH = /^(\d{4})-(\d{2})$/;
const TABLE_NAME = /^[a-z][a-z0-9_]*$/;

export class CompactionError extends Error {
  override readonly name = "CompactionError";
}

/** Another compaction holds the lock on this dataset. */
export class CompactionLockedError extends CompactionError {}

export function isMonth(x: unknown): x is string {
  if (typeof x !== "string") return false;
  const m = MONTH.exec(x);
  return m !== null && Number(m[2]) >= 1 && Number(m[2]) <= 12;
}

export function assertMonth(x: unknown): string {
  if (!isMonth(x)) throw new CompactionError(`invalid month (YYYY-MM): ${JSON.stringify(x)}`);
  return x;
}

function assertTableName(table: string): string {
  if (!TABLE_NAME.test(table)) throw new CompactionError(`invalid table name: ${JSON.stringify(table)}`);
  return table;
}

export function monthOf(date: string): string {
  return assertIsoDate(date).slice(0, 7);
}

/** Where the compacted file of `month` lives (whether or not it exists). */
export function monthFilePath(out: string, table: string, month: string): string {
  return path.join(out, assertTableName(table), `month=${assertMonth(month)}`, PART_FILE);
}

export function dailyFilePath(out: string, table: string, date: string): string {
  return path.join(out, assertTableName(table), `date=${assertIsoDate(date)}`, PART_FILE);
}

/**
 * For the writer: the compacted month file that already covers `date`'s month, or null.
 * When it is not null, write the date as usual (`date=` folder) and then call
 * `compactMonth(out, table, monthOf(date))` to fold it in; until then readers already see it,
 * because a `date=` folder overrides that date's rows in the month file only at the next fold.
 * (If the month file already held that date, readers see both copies until the fold.)
 */
export function monthPartitionFor(out: string, table: string, date: string): string | null {
  const file = monthFilePath(out, table, monthOf(date));
  return existsSync(file) ? file : null;
}

export { sqlString };

function sqlList(files: readonly string[]): string {
  return `[${files.map(sqlString).join(", ")}]`;
}

function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/** The partitioned tables under `out`: folders (not `_state`, `_rejects`, …) holding `date=` or `month=` folders. */
export async function listTables(out: string): Promise<string[]> {
  const tables: string[] = [];
  for (const name of (await listDir(out)).sort()) {
    if (!TABLE_NAME.test(name) || !(await isDir(path.join(out, name)))) continue;
    const children = await listDir(path.join(out, name));
    if (children.some((c) => c.startsWith("date=") || c.startsWith("month="))) tables.push(name);
  }
  return tables;
}

export interface TableLayout {
  /** date → daily file, only folders whose part-0.parquet exists */
  daily: Map<string, string>;
  /** month → month file */
  monthly: Map<string, string>;
  /** `date=` folders without a part file (left by an interrupted removal) */
  emptyDaily: string[];
}

export async function tableLayout(out: string, table: string): Promise<TableLayout> {
  const dir = path.join(out, assertTableName(table));
  const layout: TableLayout = { daily: new Map(), monthly: new Map(), emptyDaily: [] };
  for (const name of (await listDir(dir)).sort()) {
    const [kind, value] = name.split("=", 2);
    const file = path.join(dir, name, PART_FILE);
    if (kind === "date" && isIsoDate(value)) {
      if (existsSync(file)) layout.daily.set(value, file);
      else if (await isDir(path.join(dir, name))) layout.emptyDaily.push(path.join(dir, name));
    } else if (kind === "month" && isMonth(value) && existsSync(file)) {
      layout.monthly.set(value, file);
    }
  }
  return layout;
}

/** Every date stored for `table`, daily or compacted, ascending. */
export async function storedDates(out: string, table: string, conn?: DuckDBConnection): Promise<string[]> {
  const layout = await tableLayout(out, table);
  const dates = new Set(layout.daily.keys());
  if (layout.monthly.size > 0) {
    await withConnection(conn, async (c) => {
      const r = await c.runAndReadAll(
        `SELECT DISTINCT strftime(date, '%Y-%m-%d') AS d FROM read_parquet(${sqlList([...layout.monthly.values()])}, hive_partitioning = false)`,
      );
      for (const row of r.getRows()) dates.add(String(row[0]));
    });
  }
  return [...dates].sort();
}

async function withConnection<T>(conn: DuckDBConnection | undefined, fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
  if (conn) return fn(conn);
  const instance = await DuckDBInstance.create(":memory:");
  const c = await instance.connect();
  try {
    return await fn(c);
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

async function scalar(c: DuckDBConnection, sql: string): Promise<unknown> {
  const r = await c.runAndReadAll(sql);
  return r.getRows()[0]?.[0];
}

async function columnsOf(c: DuckDBConnection, files: readonly string[]): Promise<string[]> {
  const r = await c.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${sqlList(files)}, hive_partitioning = false)`);
  return r.getRows().map((row) => String(row[0]));
}

export interface MonthResult {
  table: string;
  month: string;
  /** dates folded in from `date=` folders this time */
  datesFolded: string[];
  rows: number;
  bytesBefore: number;
  bytesAfter: number;
}

async function fileSize(p: string): Promise<number> {
  return (await stat(p)).size;
}

/** Temp files left in a month folder by a killed compaction (atomic.ts names them `.part-0.parquet.*.tmp`). */
async function removeStaleTemps(monthDir: string): Promise<void> {
  for (const name of await listDir(monthDir)) {
    if (name.startsWith(`.${PART_FILE}.`) && name.endsWith(".tmp")) await rm(path.join(monthDir, name), { force: true, recursive: true });
  }
}

/**
 * Rebuild `<table>/month=<month>/part-0.parquet` from itself and the month's `date=` folders, then
 * remove those folders. Safe to repeat and to resume after a crash at any point (see the top).
 * Call it with the dataset lock held (`compact` takes it), never beside a scrape into the same folder.
 */
export async function compactMonth(out: string, table: string, month: string, conn?: DuckDBConnection): Promise<MonthResult> {
  assertTableName(table);
  assertMonth(month);
  const layout = await tableLayout(out, table);
  const monthFile = monthFilePath(out, table, month);
  const monthDir = path.dirname(monthFile);
  await removeStaleTemps(monthDir);
  const daily = [...layout.daily].filter(([d]) => d.startsWith(`${month}-`)).sort(([a], [b]) => a.localeCompare(b));
  const emptyDaily = layout.emptyDaily.filter((dir) => path.basename(dir).startsWith(`date=${month}-`));
  const hadMonth = existsSync(monthFile);
  const result: MonthResult = { table, month, datesFolded: daily.map(([d]) => d), rows: 0, bytesBefore: 0, bytesAfter: 0 };
  for (const [, f] of daily) result.bytesBefore += await fileSize(f);
  if (hadMonth) result.bytesBefore += await fileSize(monthFile);

  if (daily.length > 0) {
    await withConnection(conn, async (c) => {
      const dailyFiles = daily.map(([, f]) => f);
      const columns = await columnsOf(c, dailyFiles);
      if (!columns.includes("date")) throw new CompactionError(`${table} ${month}: the daily files have no date column`);
      // Each daily file must hold only its folder's date, or the override rule would be unsound. A NULL
      // date counts as misplaced: `date NOT IN (…)` below would drop such a row at the next fold.
      const misplaced = await scalar(
        c,
        `SELECT count(*) FROM read_parquet(${sqlList(dailyFiles)}, hive_partitioning = false, filename = true)
         WHERE date IS NULL OR strftime(date, '%Y-%m-%d') <> regexp_extract(filename, 'date=(\\d{4}-\\d{2}-\\d{2})', 1)`,
      );
      if (Number(misplaced) !== 0) throw new CompactionError(`${table} ${month}: ${misplaced} rows of daily files are dated outside their date= folder`);

      const cols = columns.map(ident).join(", ");
      const dateList = daily.map(([d]) => `DATE ${sqlString(d)}`).join(", ");
      const parts: string[] = [];
      let kept = 0;
      if (hadMonth) {
        const monthColumns = await columnsOf(c, [monthFile]);
        const missing = columns.filter((col) => !monthColumns.includes(col));
        if (missing.length > 0 || monthColumns.length !== columns.length) {
          throw new CompactionError(`${table} ${month}: month file columns (${monthColumns.join(", ")}) differ from daily files (${columns.join(", ")})`);
        }
        const outside = await scalar(c, `SELECT count(*) FROM read_parquet(${sqlString(monthFile)}, hive_partitioning = false) WHERE date IS NULL OR strftime(date, '%Y-%m') <> ${sqlString(month)}`);
        if (Number(outside) !== 0) throw new CompactionError(`${table} ${month}: the month file holds ${outside} rows of other months`);
        const keptSql = `SELECT ${cols} FROM read_parquet(${sqlString(monthFile)}, hive_partitioning = false) WHERE date NOT IN (${dateList})`;
        kept = Number(await scalar(c, `SELECT count(*) FROM (${keptSql})`));
        parts.push(keptSql);
      }
      parts.push(`SELECT ${cols} FROM read_parquet(${sqlList(dailyFiles)}, hive_partitioning = false)`);
      const incoming = Number(await scalar(c, `SELECT count(*) FROM read_parquet(${sqlList(dailyFiles)}, hive_partitioning = false)`));
      const keys = monthSortKeys(table).filter((k) => columns.includes(k)).map(ident).join(", ");

      await mkdir(monthDir, { recursive: true });
      await produceFileAtomic(monthFile, async (tmp) => {
        await c.run(`COPY (${parts.join(" UNION ALL ")} ORDER BY ${keys}) TO ${sqlString(tmp)} (FORMAT parquet, COMPRESSION zstd)`);
        // Check the written file before it replaces anything: a short write must not cost rows.
        const written = Number(await scalar(c, `SELECT count(*) FROM read_parquet(${sqlString(tmp)}, hive_partitioning = false)`));
        if (written !== kept + incoming) throw new CompactionError(`${table} ${month}: wrote ${written} rows, expected ${kept + incoming}`);
        result.rows = written;
      });
    });
    // Only now, with the month file in place, do the daily folders go.
    for (const [d] of daily) await rm(path.dirname(dailyFilePath(out, table, d)), { recursive: true, force: true });
  } else if (hadMonth) {
    result.rows = Number(await withConnection(conn, (c) => scalar(c, `SELECT count(*) FROM read_parquet(${sqlString(monthFile)}, hive_partitioning = false)`)));
  }
  for (const dir of emptyDaily) await rm(dir, { recursive: true, force: true });
  if (existsSync(monthFile)) result.bytesAfter = await fileSize(monthFile);
  return result;
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

/** What `compact` would fold: months before `before` with `date=` folders, and any month file with `date=` folders beside it (repair). */
export async function planCompaction(out: string, before: string, tables?: string[]): Promise<{ table: string; month: string }[]> {
  assertMonth(before);
  const plan: { table: string; month: string }[] = [];
  for (const table of tables ?? (await listTables(out))) {
    const layout = await tableLayout(out, table);
    const months = new Set<string>();
    for (const d of layout.daily.keys()) {
      const m = d.slice(0, 7);
      if (m < before || layout.monthly.has(m)) months.add(m);
    }
    for (const dir of layout.emptyDaily) {
      const m = path.basename(dir).slice("date=".length, "date=".length + 7);
      if (layout.monthly.has(m) || m < before) months.add(m);
    }
    for (const m of [...months].sort()) plan.push({ table, month: m });
  }
  return plan;
}

/** Compact every complete past month of every table under `out`, holding the dataset's compaction lock. */
export async function compact(out: string, opts: CompactOptions = {}): Promise<CompactReport> {
  if (!(await isDir(out))) throw new CompactionError(`dataset folder not found: ${out}`);
  const before = assertMonth(opts.before ?? currentMonthHK());
  const log = opts.log ?? (() => {});
  const release = await acquireLock(out);
  const instance = await DuckDBInstance.create(":memory:");
  const c = await instance.connect();
  try {
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

async function acquireLock(out: string): Promise<() => Promise<void>> {
  try {
    const release = await acquireRunLock(out);
    return async () => release();
  } catch (err) {
    if (err instanceof RunLockedError) throw new CompactionLockedError(`cannot compact while ${err.message}; remove ${lockPath(out)} if that process is gone`);
    throw err;
  }
}
