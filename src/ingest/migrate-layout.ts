// Migration from the layout before issue #13. Old: `<table>/date=YYYY-MM-DD/part-0.parquet` (a hive
// key also stored as a column) and compacted `<table>/month=YYYY-MM/part-0.parquet` side by side.
// New: only `month=` folders (layout.ts). Runs under compaction's lock and ends with its fold.
import { mkdir, rename, rmdir } from "node:fs/promises";
import path from "node:path";
import { isDir, listDir } from "../lib/dir.ts";
import { isIsoDate } from "../lib/validate.ts";
import { acquireCompactionLock, CompactionError, compactMonth, planCompaction, removeStaleTemps } from "./compact.ts";
import { withConnection } from "../lib/duckdb.ts";
import { migrateSecurityIds } from "./security-id.ts";
import { dayFile, isMonth, LEGACY_PART, legacyPartitions, monthFile } from "../dataset/layout.ts";

export interface MigrateReport {
  out: string;
  /** old daily files moved to `month=M/D.parquet` */
  movedDates: number;
  /** old month files renamed to `month=M/M.parquet` */
  renamedMonths: number;
  /** of the moved dates, those folded into their month's compacted file (late dates beside an old month file) */
  foldedDates: number;
  /** summary/stocks files given their security_id column */
  securityIdFiles: number;
}

/**
 * Convert a dataset of the old layout in place; idempotent (a migrated dataset has nothing to
 * convert) and resumable: every step is one rename, or compaction's own fold and swap.
 */
export async function migrateLayout(out: string): Promise<MigrateReport> {
  if (!(await isDir(out))) throw new CompactionError(`dataset folder not found: ${out}`);
  const release = await acquireCompactionLock(out);
  const report: MigrateReport = { out, movedDates: 0, renamedMonths: 0, foldedDates: 0, securityIdFiles: 0 };
  try {
    const legacy = legacyPartitions(out);
    for (const f of legacy) {
      if (f.kind === "date" && !isIsoDate(f.value)) throw new CompactionError(`${f.rel}: not a date folder of this dataset`);
      if (f.kind === "month" && !isMonth(f.value)) throw new CompactionError(`${f.rel}: not a month folder of this dataset`);
    }
    // 1. Old month files take their new name: each is one rename inside its own folder.
    for (const f of legacy.filter((l) => l.kind === "month")) {
      const dir = path.join(out, f.rel);
      await removeStaleTemps(dir);
      if ((await listDir(dir)).some((n) => n !== LEGACY_PART))
        throw new CompactionError(`${f.rel}: holds files beside ${LEGACY_PART}; expected an old compacted month`);
      await rename(path.join(dir, LEGACY_PART), monthFile(out, f.table, f.value));
      report.renamedMonths++;
    }
    // 2. Old date folders: each file moved into its month's folder, one rename.
    for (const f of legacy.filter((l) => l.kind === "date")) {
      const dir = path.join(out, f.rel);
      await removeStaleTemps(dir);
      const names = await listDir(dir);
      if (names.some((n) => n !== LEGACY_PART)) throw new CompactionError(`${f.rel}: holds files other than ${LEGACY_PART}`);
      if (names.length > 0) {
        const target = dayFile(out, f.table, f.value);
        await mkdir(path.dirname(target), { recursive: true });
        await rename(path.join(dir, LEGACY_PART), target);
        report.movedDates++;
      }
      await rmdir(dir);
    }
    // 3. A late date of an old compacted month is now a daily file beside its month file: fold it in
    //    (the daily file wins, as the old rule had it). Also finishes this step after a crash.
    await withConnection(undefined, async (c) => {
      // summary and stocks files from before security_id get the column first (src/ingest/security-id.ts)
      report.securityIdFiles = (await migrateSecurityIds(c, out)).length;
      for (const { table, month } of await planCompaction(out, "0001-01")) report.foldedDates += (await compactMonth(out, table, month, c)).datesFolded.length;
    });
    return report;
  } finally {
    await release();
  }
}
