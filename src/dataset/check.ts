// `npm run check-dataset -- DIR`: does every analyst's tool read the dataset with its default call,
// and get the same rows? DuckDB's answer (row count and checksum per table, files read as plain
// Parquet) is the reference; DuckDB's own default call `FROM '<table>/**/*.parquet'` and the Python
// tools (scripts/check_dataset.py: pandas, pyarrow, pyarrow.dataset, Polars read and scan) must
// match it. The checksum's definition is in check_dataset.py; the SQL here computes the same.
// `checkDownloads` does the same for the static API's yearly download parts
// (`downloads/<name>/year=YYYY/*.parquet`, data-loaders/publish/downloads.ts), and also requires every
// tool to give each column DuckDB's type and, where it adds the `year` key, an integer equal to
// the row's own year.
import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { withConnection } from "../lib/duckdb.ts";
import { TABLE_SCHEMAS, TABLES, type TableName } from "./schema.ts";
import { sqlString } from "../lib/sql.ts";

const PROJECT = path.resolve(import.meta.dirname, "..", "..");
export const CHECK_SCRIPT = path.join(PROJECT, "scripts", "check_dataset.py");
/** The virtual environment `npm test` makes (scripts/lib/check-python-env.ts); CCASS_CHECK_PYTHON names another interpreter. */
export const DEFAULT_PYTHON = path.join(PROJECT, ".venv-check", "bin", "python");

export class DatasetCheckError extends Error {
  override readonly name = "DatasetCheckError";
}

export interface ToolResult {
  /** A dataset table, or a download's name (`transfers`). */
  table: string;
  tool: string;
  call: string;
  ok: boolean;
  rows: number | null;
  checksum: string | null;
  error: string | null;
}

export interface CheckReport {
  root: string;
  reference: Partial<Record<string, { rows: number; checksum: string }>>;
  results: ToolResult[];
  ok: boolean;
}

/** The canonical text of a column for the checksum (see check_dataset.py). */
function columnText(c: { name: string; type: string }): string {
  const col = `"${c.name}"`;
  const text = c.type === "DATE" ? `strftime(${col}, '%Y-%m-%d')` : c.type === "VARCHAR" ? col : `CAST(${col} AS VARCHAR)`;
  return `coalesce(${text}, '\\N')`;
}

/** Row count and checksum of `source` (a FROM clause) over the given columns. */
async function duckChecksum(c: DuckDBConnection, cols: readonly { name: string; type: string }[], source: string): Promise<{ rows: number; checksum: string }> {
  const line = `concat_ws(chr(31), ${cols.map(columnText).join(", ")}) || chr(10)`;
  const r = await c.runAndReadAll(
    `WITH l AS (SELECT ${line} AS line FROM ${source}),
          g AS (SELECT left(line, 7) AS m, sha256(string_agg(line, '' ORDER BY line)) AS h, count(*) AS n FROM l GROUP BY 1)
     SELECT coalesce(sum(n), 0)::BIGINT, coalesce(sha256(string_agg(m || ':' || h, chr(10) ORDER BY m)), sha256('')) FROM g`,
  );
  const [rows, checksum] = r.getRowsJS()[0]!;
  return { rows: Number(rows), checksum: String(checksum) };
}

/** Tables with a folder under `root` (a dataset need not hold all five). */
export function presentTables(root: string): TableName[] {
  return TABLES.filter((t) => existsSync(path.join(root, t)));
}

async function duckdbSide(c: DuckDBConnection, root: string, tables: readonly TableName[], report: CheckReport): Promise<void> {
  for (const table of tables) {
    const glob = sqlString(path.join(root, table, "**", "*.parquet"));
    // The reference: every Parquet file under the table, read as plain files (no hive inference).
    const refCall = `read_parquet('${table}/**/*.parquet', hive_partitioning = false)`;
    let reference: { rows: number; checksum: string };
    let dupes: number;
    try {
      reference = await duckChecksum(c, TABLE_SCHEMAS[table].columns, `read_parquet(${glob}, hive_partitioning = false)`);
      const keys = TABLE_SCHEMAS[table].key.map((k) => `"${k}"`).join(", ");
      dupes = Number((await c.runAndReadAll(`SELECT count(*) FROM (SELECT ${keys} FROM read_parquet(${glob}, hive_partitioning = false) GROUP BY ALL HAVING count(*) > 1)`)).getRowsJS()[0]![0]);
    } catch (err) {
      // No answer to compare with (no files, a corrupt file): the table fails, the others are still checked.
      report.results.push({ table, tool: "duckdb (reference)", call: refCall, ok: false, rows: null, checksum: null, error: (err as Error).message.split("\n")[0]! });
      continue;
    }
    report.reference[table] = reference;
    report.results.push({
      table,
      tool: "duckdb (reference)",
      call: refCall,
      ok: dupes === 0,
      ...reference,
      error: dupes === 0 ? null : `${dupes} keys (${TABLE_SCHEMAS[table].key.join(", ")}) stored more than once: a date is in two files`,
    });
    const call = `FROM ${sqlString(`${path.join(root, table)}/**/*.parquet`)}`;
    const result: ToolResult = { table, tool: "duckdb", call, ok: false, rows: null, checksum: null, error: null };
    try {
      Object.assign(result, await duckChecksum(c, TABLE_SCHEMAS[table].columns, `(SELECT * ${call})`));
      result.error = mismatch(result, reference);
      result.ok = result.error === null;
    } catch (err) {
      result.error = (err as Error).message.split("\n")[0]!;
    }
    report.results.push(result);
  }
}

function mismatch(r: { rows: number | null; checksum: string | null }, want: { rows: number; checksum: string }): string | null {
  if (r.rows !== want.rows) return `${r.rows} rows, DuckDB reads ${want.rows}`;
  if (r.checksum !== want.checksum) return `checksum ${r.checksum?.slice(0, 12)}… differs from DuckDB's ${want.checksum.slice(0, 12)}…`;
  return null;
}

/** The Python interpreter with pyarrow, pandas and Polars: CCASS_CHECK_PYTHON, or the project's .venv-check. */
export function checkPython(env: NodeJS.ProcessEnv = process.env): string {
  const python = env.CCASS_CHECK_PYTHON || DEFAULT_PYTHON;
  if (!existsSync(python))
    throw new DatasetCheckError(
      `no Python for the dataset check at ${python}: npm test makes it (or: python3 -m venv .venv-check && .venv-check/bin/python -m pip install -r scripts/check_dataset.requirements.txt), or set CCASS_CHECK_PYTHON`,
    );
  return python;
}

/** What the Python side checks of one folder (check_dataset.py's input). */
interface PythonTable {
  columns: [name: string, type: string][];
  /** The hive key in the folder's paths; `year` folders also get the type check. */
  partition: "month" | "year";
  rows: number;
  checksum: string;
}

async function pythonSide(python: string, root: string, tables: Record<string, PythonTable>, report: CheckReport): Promise<void> {
  const spec = { root, tables };
  if (Object.keys(spec.tables).length === 0) return;
  const child = spawn(python, [CHECK_SCRIPT], { stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(JSON.stringify(spec));
  const code = await new Promise<number>((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (c) => resolve(c ?? 1));
  });
  const lines = stdout.split("\n").filter((l) => l.trim() !== "");
  if (code > 1 || (code === 1 && lines.length === 0)) throw new DatasetCheckError(`${CHECK_SCRIPT} failed (exit ${code}): ${stderr.trim().split("\n").at(-1) ?? ""}`);
  for (const l of lines) report.results.push(JSON.parse(l) as ToolResult);
}

/** Check every table of `root` with DuckDB and every Python tool. */
export async function checkDataset(root: string, opts: { python?: string; conn?: DuckDBConnection } = {}): Promise<CheckReport> {
  const abs = path.resolve(root);
  const tables = presentTables(abs);
  if (tables.length === 0) throw new DatasetCheckError(`no table folders (${TABLES.join(", ")}) under ${abs}`);
  const python = opts.python ?? checkPython();
  const report: CheckReport = { root: abs, reference: {}, results: [], ok: false };
  await withConnection(opts.conn, (c) => duckdbSide(c, abs, tables, report));
  const spec = Object.fromEntries(
    tables
      .filter((t) => report.reference[t])
      .map((t) => [t, { columns: TABLE_SCHEMAS[t].columns.map((c) => [c.name, c.type] as [string, string]), partition: "month" as const, ...report.reference[t]! }]),
  );
  await pythonSide(python, abs, spec, report);
  report.ok = report.results.every((r) => r.ok);
  return report;
}

/** Column types check_dataset.py can compare (its ARROW_TYPES). */
const COMPARABLE_TYPES = new Set(["DATE", "VARCHAR", "BIGINT", "INTEGER", "DOUBLE", "BOOLEAN"]);

/** The folders under a static API's `downloads/` that hold yearly parts (`<name>/year=YYYY/`). */
export function partitionedDownloads(downloads: string): string[] {
  return readdirSync(downloads, { withFileTypes: true })
    .filter((e) => e.isDirectory() && readdirSync(path.join(downloads, e.name)).some((f) => /^year=\d{4}$/.test(f)))
    .map((e) => e.name)
    .sort();
}

/**
 * Check every yearly-part download under `downloads` (a static API's `downloads/` folder) with
 * DuckDB's and each Python tool's default call on the folder: same rows, same checksum, every
 * column of DuckDB's type, and the `year` key (which a tool may add from the path) an integer
 * equal to each row's year, never a column inside the files.
 */
export async function checkDownloads(downloads: string, opts: { python?: string; conn?: DuckDBConnection } = {}): Promise<CheckReport> {
  const abs = path.resolve(downloads);
  const names = existsSync(abs) ? partitionedDownloads(abs) : [];
  if (names.length === 0) throw new DatasetCheckError(`no yearly download parts (<name>/year=YYYY/) under ${abs}`);
  const python = opts.python ?? checkPython();
  const report: CheckReport = { root: abs, reference: {}, results: [], ok: false };
  const spec: Record<string, PythonTable> = {};
  await withConnection(opts.conn, async (c) => {
    for (const name of names) {
      const glob = sqlString(path.join(abs, name, "year=*", "*.parquet"));
      const refCall = `read_parquet('${name}/year=*/*.parquet', hive_partitioning = false)`;
      const plain = `read_parquet(${glob}, hive_partitioning = false)`;
      let cols: { name: string; type: string }[];
      try {
        // Readers take one file's schema for all (DuckDB, pyarrow) or refuse a mix (Polars): every part must have the same.
        const describe = async (from: string) =>
          (await c.runAndReadAll(`DESCRIBE SELECT * FROM ${from}`)).getRowObjectsJS().map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
        const files = readdirSync(path.join(abs, name), { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".parquet")).sort();
        cols = await describe(plain);
        for (const f of files) {
          const own = await describe(`read_parquet(${sqlString(path.join(abs, name, f))}, hive_partitioning = false)`);
          if (JSON.stringify(own) !== JSON.stringify(cols))
            throw new DatasetCheckError(`${f} has columns ${own.map((x) => `${x.name} ${x.type}`).join(", ")}; the other parts ${cols.map((x) => `${x.name} ${x.type}`).join(", ")}`);
        }
        if (cols.some((col) => col.name === "year")) throw new DatasetCheckError(`a column named year inside the files clashes with the year=YYYY folders`);
        const odd = cols.find((col) => !COMPARABLE_TYPES.has(col.type));
        if (odd) throw new DatasetCheckError(`column ${odd.name} is ${odd.type}, which the Python check cannot compare`);
        const misfiled = Number((await c.runAndReadAll(`SELECT count(*) FROM read_parquet(${glob}, hive_partitioning = true) WHERE year <> year(date)`)).getRowsJS()[0]![0]);
        if (misfiled > 0) throw new DatasetCheckError(`${misfiled} rows sit in another year's folder`);
        report.reference[name] = await duckChecksum(c, cols, plain);
      } catch (err) {
        report.results.push({ table: name, tool: "duckdb (reference)", call: refCall, ok: false, rows: null, checksum: null, error: (err as Error).message.split("\n")[0]! });
        continue;
      }
      report.results.push({ table: name, tool: "duckdb (reference)", call: refCall, ok: true, ...report.reference[name]!, error: null });
      const call = `FROM ${sqlString(`${path.join(abs, name)}/**/*.parquet`)}`;
      const result: ToolResult = { table: name, tool: "duckdb", call, ok: false, rows: null, checksum: null, error: null };
      try {
        const yearType = (await c.runAndReadAll(`SELECT column_type FROM (DESCRIBE SELECT * ${call}) WHERE column_name = 'year'`)).getRowsJS()[0]?.[0];
        Object.assign(result, await duckChecksum(c, cols, `(SELECT * ${call})`));
        result.error = yearType !== undefined && !/INT/.test(String(yearType)) ? `year is ${String(yearType)}, not an integer` : mismatch(result, report.reference[name]!);
        result.ok = result.error === null;
      } catch (err) {
        result.error = (err as Error).message.split("\n")[0]!;
      }
      report.results.push(result);
      spec[name] = { columns: cols.map((col) => [col.name, col.type]), partition: "year", ...report.reference[name]! };
    }
  });
  await pythonSide(python, abs, spec, report);
  report.ok = report.results.every((r) => r.ok);
  return report;
}

/** One line per failed (table, tool), naming both; empty when everything matched. */
export function failures(report: CheckReport): string[] {
  return report.results.filter((r) => !r.ok).map((r) => `table ${r.table}: ${r.tool} \`${r.call}\`: ${r.error}`);
}
