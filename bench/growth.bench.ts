// Storage growth at full market: how many bytes a year of CCASS adds to the repository.
// Writes one complete month of the replica's full-market model (default 2,800 securities), and the
// next month's first settlement day, with writeSyntheticDataset (the real Parquet writer, no HTTP);
// measures the month's daily partitions, compacts it (src/ingest/compact.ts) and measures again,
// then extrapolates to 250 settlement days. Two schemes:
//   old (one branch): the nightly committed every daily file and the compaction replaced them, both
//       kept in history: growth = daily + compacted + a copy of participants_dim per night;
//   two branches (src/ops/data-branch.ts): each night of the month, then the next month's first
//       night, run for real against a bare git origin; main receives the compacted month once,
//       data-open stays one commit, whose size is the transient part.
//   npm run bench -- growth            (GROWTH_STOCKS, GROWTH_MONTH=YYYY-MM to change the sample)
import { cp, mkdtemp, rm, stat, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { compact } from "../src/ingest/compact.ts";
import { listTables } from "../src/dataset/layout.ts";
import { writeSyntheticDataset } from "../src/replica/dataset-writer.ts";
import { settlementDaysBetween } from "../src/lib/calendar.ts";
import { diskUsage, parquetOnly } from "../src/lib/disk-usage.ts";
import { simulateNights } from "./git-growth.ts";

const STOCKS = Number(process.env.GROWTH_STOCKS ?? 2800);
const MONTH = process.env.GROWTH_MONTH ?? "2026-10";
const DAYS_PER_YEAR = 250;

function monthAfter(month: string): string {
  const [y, m] = month.split("-").map(Number) as [number, number];
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, "0")}`;
}

/** Bytes and files of each table's folder of MONTH only (the sample also holds the next month's first day). */
async function measure(out: string): Promise<Record<string, { bytes: number; files: number }>> {
  const r: Record<string, { bytes: number; files: number }> = {};
  for (const t of await listTables(out)) r[t] = await diskUsage(path.join(out, t, `month=${MONTH}`), parquetOnly);
  return r;
}

const mb = (b: number) => (b / 1e6).toFixed(2);
const monthDays = (() => {
  const [y, m] = MONTH.split("-").map(Number) as [number, number];
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return settlementDaysBetween(`${MONTH}-01`, `${MONTH}-${String(last).padStart(2, "0")}`);
})();

const nextDay = settlementDaysBetween(`${monthAfter(MONTH)}-01`, `${monthAfter(MONTH)}-15`)[0]!;

const work = await mkdtemp(path.join(tmpdir(), "growth-bench-"));
try {
  const source = path.join(work, "source");
  const out = path.join(work, "parquet");
  console.log(`growth: ${STOCKS} securities × ${monthDays.length} settlement days (${MONTH}) and ${nextDay}, synthetic full-market model`);
  const t0 = performance.now();
  const synth = await writeSyntheticDataset({ out: source, seed: 1, stocks: STOCKS, days: monthDays.length + 1, end: nextDay });
  const writeSeconds = (performance.now() - t0) / 1000;
  const daily = await measure(source);
  await cp(source, out, { recursive: true });
  const t1 = performance.now();
  await compact(out, { before: monthAfter(MONTH) }); // MONTH only: the next month is not before itself
  const compactSeconds = (performance.now() - t1) / 1000;
  const compacted = await measure(out);

  const t2 = performance.now();
  const git = await simulateNights(source, [...monthDays, nextDay], await mkdtemp(path.join(work, "git-")));
  const gitSeconds = (performance.now() - t2) / 1000;

  const n = monthDays.length;
  // participants_dim.parquet is rewritten whole after every run: each nightly commit adds a copy to history.
  const dimBytes = (await stat(path.join(out, "participants_dim.parquet"))).size;
  const rows = Object.keys(daily).map((t) => ({
    table: t,
    dailyBytesPerDay: daily[t]!.bytes / n,
    compactedBytesPerDay: (compacted[t]?.bytes ?? 0) / n,
    dailyFiles: daily[t]!.files,
    compactedFiles: compacted[t]?.files ?? 0,
  }));
  const sum = (k: "dailyBytesPerDay" | "compactedBytesPerDay") => rows.reduce((s, r) => s + r[k], 0);
  const perDayDaily = sum("dailyBytesPerDay");
  const perDayCompacted = sum("compactedBytesPerDay");
  const result = {
    stocks: STOCKS,
    month: MONTH,
    settlementDays: n,
    holdingsRowsPerDay: Math.round(synth.holdingsRows / (n + 1)),
    tables: rows,
    perDay: { dailyBytes: Math.round(perDayDaily), compactedBytes: Math.round(perDayCompacted) },
    perYear: {
      days: DAYS_PER_YEAR,
      dailyBytes: Math.round(perDayDaily * DAYS_PER_YEAR),
      compactedBytes: Math.round(perDayCompacted * DAYS_PER_YEAR),
      participantsDimBytes: dimBytes,
      gitHistoryBytes: Math.round((perDayDaily + perDayCompacted + dimBytes) * DAYS_PER_YEAR),
      filesDaily: DAYS_PER_YEAR * rows.length,
      filesCompacted: 12 * rows.length,
    },
    // The two-branch scheme, measured on the month's nights: main's growth scaled to 250 days.
    twoBranches: {
      ...git,
      mainBytesPerYear: Math.round((git.mainBytes * DAYS_PER_YEAR) / n),
    },
    seconds: { write: writeSeconds, compact: compactSeconds, gitNights: gitSeconds },
  };

  console.log(`\n${"table".padEnd(14)} ${"daily KB/day".padStart(13)} ${"compacted KB/day".padStart(17)}`);
  for (const r of rows) console.log(`${r.table.padEnd(14)} ${(r.dailyBytesPerDay / 1e3).toFixed(1).padStart(13)} ${(r.compactedBytesPerDay / 1e3).toFixed(1).padStart(17)}`);
  console.log(`${"total".padEnd(14)} ${(perDayDaily / 1e3).toFixed(1).padStart(13)} ${(perDayCompacted / 1e3).toFixed(1).padStart(17)}`);
  console.log(`\nholdings rows per day: ${result.holdingsRowsPerDay}`);
  console.log(`per year (${DAYS_PER_YEAR} days): daily ${mb(result.perYear.dailyBytes)} MB, compacted ${mb(result.perYear.compactedBytes)} MB, git history (both + ${DAYS_PER_YEAR} copies of the ${(dimBytes / 1e3).toFixed(0)} KB participants_dim) ${mb(result.perYear.gitHistoryBytes)} MB`);
  console.log(`files per year: daily ${result.perYear.filesDaily}, compacted ${result.perYear.filesCompacted}`);
  console.log(`\ntwo branches (${git.nights} nights against a bare origin, ${git.secondsPerNight.toFixed(1)} s a night):`);
  console.log(`  main received ${mb(git.mainBytes)} MB in ${git.mainCommits} commit(s) for ${n} days: ${mb(result.twoBranches.mainBytesPerYear)} MB per year (old scheme ${mb(result.perYear.gitHistoryBytes)} MB)`);
  console.log(`  data-open: ${git.dataOpenCommits} commit, at most ${mb(git.dataOpenMaxBytes)} MB (the open month, transient)`);
  const o = git.originObjectsBeforeGc;
  console.log(`  origin object store after the last night ${mb(git.originBytesBeforeGc)} MB (${o.loose} loose objects ${o.looseKiB} KiB, ${o.packs} packs ${o.packKiB} KiB), after gc ${mb(git.originBytesAfterGc)} MB`);
  console.log(`write ${writeSeconds.toFixed(1)} s, compact ${compactSeconds.toFixed(1)} s, git nights ${gitSeconds.toFixed(1)} s`);

  const outDir = path.resolve(import.meta.dirname, "..", "bench-out");
  await mkdir(outDir, { recursive: true });
  await writeFile(path.join(outDir, "growth.json"), JSON.stringify(result, null, 2) + "\n");
} finally {
  await rm(work, { recursive: true, force: true });
}
