// The dataset as the loaders see it: which Parquet files make up each table, SQL that reads them
// (`<table>/month=YYYY-MM/` holds daily `YYYY-MM-DD.parquet` files or one compacted `YYYY-MM.parquet`;
// should both be there, a daily file overrides its date inside the month file, as compaction's
// repair does), and a fingerprint of every file (path, size, mtime) that keys the cache.
import { createHash } from "node:crypto";
import { statSync } from "node:fs";
import path from "node:path";
import { readTableFiles } from "../../src/dataset/layout.ts";
import { emptyColumns, PARTICIPANTS_DIM, TABLE_SCHEMAS, TABLES, type TableName } from "../../src/dataset/schema.ts";
import { sqlString } from "../../src/lib/sql.ts";
import { isIsoDate } from "../../src/lib/validate.ts";

export const SOURCE_TABLES = TABLES;
export type SourceTable = TableName;

interface FileInfo {
  path: string;
  size: number;
  mtimeMs: number;
}

export interface TableFiles {
  /** `month=YYYY-MM/YYYY-MM-DD.parquet` files, by date. */
  daily: (FileInfo & { date: string })[];
  /** `month=YYYY-MM/YYYY-MM.parquet` files (compacted), by month. */
  monthly: (FileInfo & { month: string })[];
}

export interface DatasetFiles {
  root: string;
  tables: Record<SourceTable, TableFiles>;
  dim: FileInfo | null;
}

/** Column lists of empty stand-ins, so every query runs the same with no data at all. */
const EMPTY = Object.fromEntries(TABLES.map((t) => [t, emptyColumns(TABLE_SCHEMAS[t])])) as Record<SourceTable, string>;
const EMPTY_DIM = emptyColumns(PARTICIPANTS_DIM);

// Synchronous on purpose, as the layout's reader: awaiting each stat costs every loader process.
function fileInfo(p: string): FileInfo | null {
  try {
    const s = statSync(p);
    return s.isFile() ? { path: p, size: s.size, mtimeMs: Math.trunc(s.mtimeMs) } : null;
  } catch {
    return null;
  }
}

/** One table's files (the layout's one reader, src/dataset/layout.ts), with the size and mtime that key the cache. */
function listTable(root: string, table: SourceTable): TableFiles {
  const files = readTableFiles(root, table);
  const out: TableFiles = { daily: [], monthly: [] };
  for (const f of files.daily) {
    const info = fileInfo(f.path);
    if (info) out.daily.push({ ...info, date: f.date });
  }
  for (const f of files.monthly) {
    const info = fileInfo(f.path);
    if (info) out.monthly.push({ ...info, month: f.month });
  }
  return out;
}

export async function listDataset(root: string): Promise<DatasetFiles> {
  const tables = {} as Record<SourceTable, TableFiles>;
  for (const t of SOURCE_TABLES) tables[t] = listTable(root, t);
  return { root, tables, dim: fileInfo(path.join(root, "participants_dim.parquet")) };
}

/** A SELECT over one table's files; a daily file wins over its date's rows in a month file. */
export function tableSql(files: TableFiles, table: SourceTable): string {
  const read = (paths: string[]) => `read_parquet([${paths.map(sqlString).join(", ")}], hive_partitioning = false)`;
  const parts: string[] = [];
  if (files.daily.length > 0) parts.push(`SELECT * FROM ${read(files.daily.map((f) => f.path))}`);
  if (files.monthly.length > 0) {
    const dates = [...new Set(files.daily.map((f) => f.date))];
    const overridden = dates.length > 0 ? ` WHERE date NOT IN (${dates.map((d) => `DATE '${d}'`).join(", ")})` : "";
    parts.push(`SELECT * FROM ${read(files.monthly.map((f) => f.path))}${overridden}`);
  }
  if (parts.length === 0) return `SELECT ${EMPTY[table]} WHERE false`;
  return parts.join(" UNION ALL BY NAME ");
}

/**
 * The same table limited to some dates: only those dates' daily files (and the month files that
 * can hold them) are read, so a pass over a few days does not scan the whole year.
 */
export function tableSqlOnDates(files: TableFiles, table: SourceTable, dates: readonly string[]): string {
  for (const d of dates) if (!isIsoDate(d)) throw new Error(`not an ISO date: ${JSON.stringify(d)}`);
  if (dates.length === 0) return `SELECT ${EMPTY[table]} WHERE false`;
  const wanted = new Set(dates);
  const months = new Set(dates.map((d) => d.slice(0, 7)));
  const limited: TableFiles = {
    daily: files.daily.filter((f) => wanted.has(f.date)),
    monthly: files.monthly.filter((f) => months.has(f.month)),
  };
  return `SELECT * FROM (${tableSql(limited, table)}) WHERE date IN (${dates.map((d) => `DATE '${d}'`).join(", ")})`;
}

export function dimSql(ds: DatasetFiles): string {
  return ds.dim ? `SELECT * FROM read_parquet(${sqlString(ds.dim.path)})` : `SELECT ${EMPTY_DIM} WHERE false`;
}

/** Changes whenever any file is added, removed, rewritten or touched. */
export function fingerprint(ds: DatasetFiles, version: string): string {
  const h = createHash("sha256");
  h.update(`${version}\n${path.resolve(ds.root)}\n`);
  const all = [...SOURCE_TABLES.flatMap((t) => [...ds.tables[t].daily, ...ds.tables[t].monthly]), ...(ds.dim ? [ds.dim] : [])];
  for (const f of all) h.update(`${path.relative(ds.root, f.path)}\t${f.size}\t${f.mtimeMs}\n`);
  return h.digest("hex").slice(0, 24);
}
