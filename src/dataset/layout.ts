// Where every file of the dataset lives (docs/ARCHITECTURE.md, "The dataset"). One place, so the
// writer, status, reparse and tests agree on paths. Dates are validated before they become paths.
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { assertIsoDate, InvalidValueError, isIsoDate } from "../lib/validate.ts";
import { TABLE_SCHEMAS, TABLES, type TableName } from "./schema.ts";

export { TABLES, type TableName } from "./schema.ts";

/** Key columns per table: files are sorted by these and upserts replace by them. */
export const TABLE_KEYS: Readonly<Record<TableName, readonly string[]>> = Object.fromEntries(TABLES.map((t) => [t, TABLE_SCHEMAS[t].key])) as Record<TableName, readonly string[]>;

// Hive layout, one partition key: `<table>/month=YYYY-MM/`, never a column inside the files (which
// keep their `date` column). An open month holds one file per date, `YYYY-MM-DD.parquet`; a compacted
// month holds one file, `YYYY-MM.parquet`, and nothing else (src/ingest/compact.ts).
const MONTH = /^(\d{4})-(\d{2})$/;

export function isMonth(x: unknown): x is string {
  if (typeof x !== "string") return false;
  const m = MONTH.exec(x);
  return m !== null && Number(m[2]) >= 1 && Number(m[2]) <= 12;
}

export function monthOf(date: string): string {
  return assertIsoDate(date).slice(0, 7);
}

/** `<table>/month=YYYY-MM`: the one folder holding every stored date of that month. */
export function monthDir(root: string, table: TableName, month: string): string {
  if (!isMonth(month)) throw new InvalidValueError("month", month);
  return path.join(root, table, `month=${month}`);
}

/** A date's own file, in its month's folder (an open month). */
export function dayFile(root: string, table: TableName, date: string): string {
  return path.join(monthDir(root, table, monthOf(date)), `${date}.parquet`);
}

/** The compacted file holding every date of `month` (written by src/ingest/compact.ts). */
export function monthFile(root: string, table: TableName, month: string): string {
  return path.join(monthDir(root, table, month), `${month}.parquet`);
}

/** The month a `month=YYYY-MM` folder holds; null for any other name (temp folders, stray files). */
export function monthOfFolder(name: string): string | null {
  const month = name.startsWith("month=") ? name.slice("month=".length) : null;
  return isMonth(month) ? month : null;
}

/** What a data file's name says it holds: one date, or a compacted month. */
export function dataFileKind(name: string): { date: string } | { month: string } | null {
  const stem = name.endsWith(".parquet") ? name.slice(0, -".parquet".length) : null;
  if (stem === null) return null;
  if (isIsoDate(stem)) return { date: stem };
  if (isMonth(stem)) return { month: stem };
  return null;
}

export function participantsDimFile(root: string): string {
  return path.join(root, "participants_dim.parquet");
}

/** One table's data files, as the folder layout names them. */
export interface TableFiles {
  /** `month=YYYY-MM/YYYY-MM-DD.parquet`: one date each, in date order */
  daily: { date: string; path: string }[];
  /** `month=YYYY-MM/YYYY-MM.parquet`: a compacted month each, in month order */
  monthly: { month: string; path: string }[];
}

/**
 * The one reader of the folder layout: every data file of `table` under `root`. A file whose name
 * does not match its folder's month, temp files and stray folders are not part of the dataset.
 * Synchronous on purpose: a year is about 1,250 folders, and awaiting each readdir cost 0.16 s in
 * every loader process (the sync calls: 0.05 s).
 */
export function readTableFiles(root: string, table: TableName): TableFiles {
  const dir = path.join(root, table);
  const out: TableFiles = { daily: [], monthly: [] };
  if (!existsSync(dir)) return out;
  for (const folder of readdirSync(dir).sort()) {
    const month = monthOfFolder(folder);
    if (!month) continue;
    for (const name of readdirSync(path.join(dir, folder)).sort()) {
      const kind = dataFileKind(name);
      const file = path.join(dir, folder, name);
      if (kind && "date" in kind && kind.date.slice(0, 7) === month) out.daily.push({ date: kind.date, path: file });
      else if (kind && "month" in kind && kind.month === month) out.monthly.push({ month, path: file });
    }
  }
  return out;
}

/** The same files as maps: date → daily file, month → compacted file. */
export function tableLayout(root: string, table: TableName): { daily: Map<string, string>; monthly: Map<string, string> } {
  const files = readTableFiles(root, table);
  return { daily: new Map(files.daily.map((f) => [f.date, f.path])), monthly: new Map(files.monthly.map((f) => [f.month, f.path])) };
}

/** The tables under `root` that have at least one `month=` folder. */
export function listTables(root: string): TableName[] {
  return TABLES.filter((t) => existsSync(path.join(root, t)) && readdirSync(path.join(root, t)).some((f) => monthOfFolder(f) !== null));
}

/** Glob over every file of one table (daily and compacted). */
export function tableGlob(root: string, table: TableName): string {
  return path.join(root, table, "month=*", "*.parquet");
}

export interface LegacyPartition {
  table: TableName;
  /** the folder, relative to the dataset root */
  rel: string;
  /** a date's old folder (`date=…`), or an old compacted month (`month=…/part-0.parquet`) */
  kind: "date" | "month";
  /** the folder's value, unvalidated */
  value: string;
}

/**
 * Folders of the layout before issue #13 (`date=YYYY-MM-DD/part-0.parquet`, `month=YYYY-MM/part-0.parquet`);
 * `npm run compact -- --migrate` converts them.
 */
export function legacyPartitions(root: string): LegacyPartition[] {
  const found: LegacyPartition[] = [];
  for (const table of TABLES) {
    const dir = path.join(root, table);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      const [key, value = ""] = name.split("=", 2);
      if (key === "date" || (key === "month" && existsSync(path.join(dir, name, LEGACY_PART))))
        found.push({ table, rel: path.join(table, name), kind: key, value });
    }
  }
  return found;
}

export const LEGACY_PART = "part-0.parquet";

export class LegacyLayoutError extends Error {
  override readonly name = "LegacyLayoutError";
}

/** Refuse to write into a dataset still in the old layout: new files beside old ones would be read twice or not at all. */
export function assertCurrentLayout(root: string): void {
  const legacy = legacyPartitions(root);
  if (legacy.length > 0)
    throw new LegacyLayoutError(
      `${root} uses the old date=/part-0.parquet layout (${legacy[0]!.rel}${legacy.length > 1 ? ` and ${legacy.length - 1} more` : ""}); run npm run compact -- --migrate --out ${root}`,
    );
}

export const stateDir = (root: string) => path.join(root, "_state");
export const rejectsDir = (root: string, date: string) => path.join(root, "_rejects", `date=${assertIsoDate(date)}`);
export const runsDir = (root: string) => path.join(root, "_runs");
export const truthDir = (root: string) => path.join(root, "_truth");
/** What the Webb-site archive import keeps beside the dataset (src/archive/, docs/ARCHIVE.md). */
export const archiveDir = (root: string) => path.join(root, "_archive");
/** The archive import's working files (stage, month states, DuckDB spill): under `_state/`, never published. */
export const archiveWorkDir = (root: string) => path.join(stateDir(root), "archive");
/** The archive's securities: security_id, code and listing dates (src/ingest/security-id.ts). */
export const archiveSecuritiesFile = (root: string) => path.join(archiveDir(root), "securities.parquet");

/**
 * The run reports' file names, oldest first. A run id starts with its start time
 * (src/ingest/run.ts newRunId), so name order is time order, also in a fresh checkout where every
 * file has the same modification time.
 */
export function runReportFiles(root: string): string[] {
  const dir = runsDir(root);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json") && !f.startsWith("."))
    .sort();
}
