// A dataset "the night before": a copy of a Parquet dataset without its last stored date, made of
// hard links to the original's files (no bytes copied, the original never opened for writing), so
// the years bench can build it, then append the last date and time the nightly on the same state.
// The open month of a real dataset is always daily files; should the source's last month be
// compacted (`YYYY-MM.parquet`), that month is written back out as daily files with DuckDB (every
// date but the last in the copy, the last one held aside), since an append to a compacted month
// is a rewrite of the month file, which the nightly treats as a full rebuild.
import { DuckDBInstance } from "@duckdb/node-api";
import { existsSync } from "node:fs";
import { link, mkdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import { tableLayout } from "../src/dataset/layout.ts";
import { storedDates } from "../src/dataset/stored-dates.ts";
import { dayFile, TABLE_KEYS, TABLES, type TableName } from "../src/dataset/layout.ts";
import { sqlString } from "../src/lib/sql.ts";
import { produceFileAtomic } from "../src/lib/atomic.ts";
import { relativeFiles } from "./tree-compare.ts";

export class DatasetPrefixError extends Error {
  override readonly name = "DatasetPrefixError";
}

export interface DatasetPrefix {
  /** the copy: the source less `lastDate` until `appendLastDate()` */
  dir: string;
  /** the date held back (the source's latest stored date) */
  lastDate: string;
  /** the copy's latest date before the append */
  previousDate: string;
  /** files linked (or, for a compacted last month, written) into the copy */
  files: number;
  /** true when the last month was compacted in the source and was written out as daily files */
  decompacted: boolean;
  /** put the last date's files into the copy: the nightly's new day */
  appendLastDate(): Promise<void>;
}

// Same options as the dataset writer (src/ingest/writer.ts), so a written-out day is shaped like a scraped one.
const COPY_OPTIONS = "(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)";

async function linkInto(source: string, dest: string, rel: string): Promise<void> {
  await mkdir(path.dirname(path.join(dest, rel)), { recursive: true });
  await link(path.join(source, rel), path.join(dest, rel));
}

/** Every date stored in any table, ascending (tables end on the same date in a whole dataset). */
async function allDates(source: string): Promise<string[]> {
  const all = new Set<string>();
  for (const t of TABLES) for (const d of await storedDates(source, t)) all.add(d);
  const dates = [...all].sort();
  if (dates.length < 2) throw new DatasetPrefixError(`${source}: need at least two stored dates, found ${dates.length}`);
  return dates;
}

/**
 * Make `dest` (replaced if present; on the same filesystem as `source`) hold every file of
 * `source` except the last stored date's table files. `source` is only read.
 */
export async function linkDatasetPrefix(source: string, dest: string): Promise<DatasetPrefix> {
  source = path.resolve(source);
  dest = path.resolve(dest);
  if (dest === source || dest.startsWith(source + path.sep) || source.startsWith(dest + path.sep))
    throw new DatasetPrefixError(`the copy ${dest} may not be inside the dataset ${source} or hold it`);
  if (!existsSync(path.join(source, "holdings"))) throw new DatasetPrefixError(`${source} holds no holdings table`);
  const dates = await allDates(source);
  const [previous, last] = [dates.at(-2)!, dates.at(-1)!];
  const month = last.slice(0, 7);
  // Every table gets a file for every date of the month, as the writer does (an empty table, e.g.
  // southbound in a small market, has empty daily files that its month file no longer dates).
  const monthDates = dates.filter((d) => d.startsWith(month));
  const held: { table: TableName; rel: string }[] = [];
  const compacted: { table: TableName; file: string }[] = [];
  for (const t of TABLES) {
    const layout = tableLayout(source, t);
    const daily = layout.daily.get(last);
    if (daily) held.push({ table: t, rel: path.relative(source, daily) });
    const monthly = layout.monthly.get(month);
    if (monthly) compacted.push({ table: t, file: monthly });
  }
  const skip = new Set([...held.map((h) => h.rel), ...compacted.map((c) => path.relative(source, c.file))]);

  await rm(dest, { recursive: true, force: true });
  await mkdir(dest, { recursive: true });
  let files = 0;
  for (const rel of await relativeFiles(source)) {
    if (skip.has(rel)) continue;
    await linkInto(source, dest, rel);
    files++;
  }

  // A compacted last month: its dates written out one file each; the last one kept aside until the append.
  const aside = `${dest}.last-date`;
  await rm(aside, { recursive: true, force: true });
  if (compacted.length > 0) {
    const instance = await DuckDBInstance.create(":memory:");
    const conn = await instance.connect();
    try {
      for (const { table, file } of compacted) {
        const read = `read_parquet(${sqlString(file)}, hive_partitioning = false)`;
        for (const d of monthDates) {
          const target = dayFile(d === last ? aside : dest, table, d);
          const keys = TABLE_KEYS[table].map((k) => `"${k}"`).join(", ");
          await produceFileAtomic(target, (tmp) =>
            conn.run(`COPY (SELECT * FROM ${read} WHERE date = DATE '${d}' ORDER BY ${keys}) TO ${sqlString(tmp)} ${COPY_OPTIONS}`).then(() => undefined),
          );
          files++;
        }
      }
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  }

  return {
    dir: dest,
    lastDate: last,
    previousDate: previous,
    files,
    decompacted: compacted.length > 0,
    async appendLastDate() {
      for (const h of held) if (!existsSync(path.join(dest, h.rel))) await linkInto(source, dest, h.rel);
      if (existsSync(aside)) {
        for (const rel of await relativeFiles(aside)) {
          await mkdir(path.dirname(path.join(dest, rel)), { recursive: true });
          await link(path.join(aside, rel), path.join(dest, rel));
        }
        await rm(aside, { recursive: true, force: true });
      }
    },
  };
}

/** Every file's path, size and modification time below `dir`: taken before and after a run to prove a source was left as it was. */
export async function treeStamp(dir: string): Promise<string> {
  const lines: string[] = [];
  for (const rel of await relativeFiles(dir)) {
    const s = await stat(path.join(dir, rel));
    lines.push(`${rel}\t${s.size}\t${Math.trunc(s.mtimeMs)}`);
  }
  return lines.join("\n");
}
