// Scraper throughput and dataset size.
//  1. End-to-end pages/s against a zero-latency replica (a child process, as HKEX would be another
//     machine), no request rate limit: every page is fetched, parsed, checked, journaled and
//     written. The CPU time of this process says whether the scraper itself limits a run.
//  2. Parquet bytes per trading day for a full-market day (2,800 securities), written by the same
//     writer (writeSyntheticDataset, no HTTP), and the synthetic writer's speed per day.
//   npm run bench -- scrape      (SCRAPE_BENCH_STOCKS, SCRAPE_BENCH_DAYS, SCRAPE_BENCH_SYNTH_DAYS)
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { runScrape } from "../src/ingest/run.ts";
import { writeSyntheticDataset } from "../src/replica/dataset-writer.ts";
import { lastSettlementDays } from "../src/lib/calendar.ts";
import { diskUsage, parquetOnly } from "../src/lib/disk-usage.ts";

const STOCKS = Number(process.env.SCRAPE_BENCH_STOCKS ?? 600);
const DAYS = Number(process.env.SCRAPE_BENCH_DAYS ?? 3);
const SYNTH_DAYS = Number(process.env.SCRAPE_BENCH_SYNTH_DAYS ?? 10);
const END = "2026-11-20";
const root = await mkdtemp(path.join(tmpdir(), "scrape-bench-"));

async function startReplicaChild(): Promise<{ url: string; stop: () => void }> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", path.resolve(import.meta.dirname, "..", "scripts", "replica.ts"), "--port", "0", "--stocks", String(STOCKS), "--days", String(DAYS), "--end", END],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const first = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once("line", resolve);
    child.once("exit", (code) => reject(new Error(`replica exited (${code}) before printing its URL`)));
  });
  return { url: first.trim(), stop: () => child.kill("SIGTERM") };
}

// ---- 1. pages/s ------------------------------------------------------------------------------
const dates = lastSettlementDays(END, DAYS);
const results: Record<string, unknown> = { stocks: STOCKS, days: DAYS };
const replica = await startReplicaChild();
try {
  for (const concurrency of [4, 8]) {
    const out = path.join(root, `scrape-c${concurrency}`);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const report = await runScrape({ out, baseUrl: replica.url, from: dates[0], to: dates.at(-1), rate: 0, concurrency });
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const pages = report.pages.ok + report.pages.alert + report.pages.rejected;
    const figures = {
      pages,
      requests: report.http.requests,
      seconds: Number(wall.toFixed(2)),
      pagesPerSecond: Number((pages / wall).toFixed(1)),
      scraperCpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
      scraperCpuShare: Number(((cpu.user + cpu.system) / 1e6 / wall).toFixed(2)),
      writeSeconds: Number(report.timings.writeSeconds.toFixed(2)),
      writeStageSeconds: Number(report.timings.writeStageSeconds.toFixed(2)),
      writeCopySeconds: Number(report.timings.writeCopySeconds.toFixed(2)),
      holdingsRows: report.holdingsRows,
      complete: report.complete,
    };
    results[`concurrency${concurrency}`] = figures;
    console.log(`scrape, concurrency ${concurrency}:`, figures);
  }
} finally {
  replica.stop();
}

// ---- 2. bytes per trading day, full market -----------------------------------------------------
const synthOut = path.join(root, "synth");
const synth = await writeSyntheticDataset({ out: synthOut, seed: 1, stocks: 2800, days: SYNTH_DAYS, end: END });
const partitions = (await diskUsage(synthOut, { ...parquetOnly, folder: (name) => !name.startsWith("_") })).bytes;
const dim = (await stat(path.join(synthOut, "participants_dim.parquet"))).size;
const perTable: Record<string, number> = {};
for (const t of ["holdings", "summary", "stocks", "participants", "southbound"])
  perTable[t] = Math.round((await diskUsage(path.join(synthOut, t), parquetOnly)).bytes / SYNTH_DAYS);
const bytesPerDay = Math.round((partitions - dim) / SYNTH_DAYS);
results.fullMarketDay = {
  stocks: 2800,
  days: SYNTH_DAYS,
  holdingsRowsPerDay: Math.round(synth.holdingsRows / SYNTH_DAYS),
  bytesPerDay,
  megabytesPerDay: Number((bytesPerDay / 1e6).toFixed(3)),
  perTable,
  participantsDimBytes: dim,
  synthSecondsPerDay: Number((synth.seconds / SYNTH_DAYS).toFixed(2)),
  synthSecondsFor250DaysEstimate: Math.round((synth.seconds / SYNTH_DAYS) * 250),
};
console.log("full-market day:", results.fullMarketDay);

mkdirSync(path.resolve(import.meta.dirname, "..", "bench-out"), { recursive: true });
writeFileSync(path.resolve(import.meta.dirname, "..", "bench-out", "scrape.json"), JSON.stringify(results, null, 2) + "\n");
await rm(root, { recursive: true, force: true });
