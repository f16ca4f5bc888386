// Where every file of the dataset lives (docs/ARCHITECTURE.md, "The dataset"). One place, so the
// writer, status, reparse and tests agree on paths. Dates are validated before they become paths.
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { assertIsoDate } from "../lib/validate.ts";

export const TABLES = ["holdings", "summary", "stocks", "participants", "southbound"] as const;
export type TableName = (typeof TABLES)[number];

/** Key columns per table: files are sorted by these and upserts replace by them. */
export const TABLE_KEYS: Record<TableName, readonly string[]> = {
  holdings: ["date", "stock_code", "participant_key"],
  summary: ["date", "stock_code"],
  stocks: ["date", "stock_code"],
  participants: ["date", "participant_key"],
  southbound: ["date", "stock_code"],
};

export function dayFile(root: string, table: TableName, date: string): string {
  return path.join(root, table, `date=${assertIsoDate(date)}`, "part-0.parquet");
}

/** The compacted file holding every date of `date`'s month (written by src/ingest/compact.ts). */
export function monthFile(root: string, table: TableName, date: string): string {
  return path.join(root, table, `month=${assertIsoDate(date).slice(0, 7)}`, "part-0.parquet");
}

export function participantsDimFile(root: string): string {
  return path.join(root, "participants_dim.parquet");
}

/** Glob over every partition of one table (daily and monthly). */
export function tableGlob(root: string, table: TableName): string {
  return path.join(root, table, "*", "*.parquet");
}

export const stateDir = (root: string) => path.join(root, "_state");
export const rejectsDir = (root: string, date: string) => path.join(root, "_rejects", `date=${assertIsoDate(date)}`);
export const runsDir = (root: string) => path.join(root, "_runs");
export const truthDir = (root: string) => path.join(root, "_truth");

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
