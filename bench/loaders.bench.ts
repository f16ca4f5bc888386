// All loaders plus the static API export on a full-market replica year, as the site build runs
// them: each loader in its own process, one after another, starting from a cold analytics cache.
// Figures: wall time of each step, total, peak RSS of each process (DuckDB's memory included),
// and the transfer finder's recall and precision against the dataset's ground truth.
//   npm run bench -- loaders
// Environment: CCASS_BENCH_DATA (dataset folder, default .cache/bench-full; written with the
// replica's synthetic market when missing), CCASS_BENCH_STOCKS (2800), CCASS_BENCH_DAYS (245: the
// replica's 12-month window ending 2026-11-20 holds 245 settlement days).
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { openAnalytics } from "../data-loaders/compute/cache.ts";
import { openDb } from "../data-loaders/compute/duck.ts";
import { writeSyntheticDataset } from "../src/replica/dataset-writer.ts";
import { LOADERS, loaderScript, REPO, runMeasured as run } from "./child-run.ts";
import { diskUsage } from "../src/lib/disk-usage.ts";
import { accuracy, readPairs, readTruth } from "./transfer-score.ts";

const data = path.resolve(process.env.CCASS_BENCH_DATA ?? path.join(REPO, ".cache", "bench-full"));
const stocks = Number(process.env.CCASS_BENCH_STOCKS ?? 2800);
const days = Number(process.env.CCASS_BENCH_DAYS ?? 245);

if (!existsSync(path.join(data, "holdings"))) {
  console.log(`writing a synthetic dataset (${stocks} stocks × ${days} days) to ${data} …`);
  const s = await writeSyntheticDataset({ out: data, seed: 1, stocks, days, end: "2026-11-20" });
  console.log(`  ${s.holdingsRows} holdings rows in ${s.seconds.toFixed(0)} s`);
}

/**
 * The transfer finder scored at full scale against the synthetic market's ground truth (_truth/,
 * written with the dataset), from the cache the loaders just built: the same measure as
 * tests/analytics-accuracy.test.ts, on 2,800 stocks instead of 100.
 */
async function finderAccuracy(threshold = 0.5) {
  const truth = await readTruth(data);
  if (!truth) return null;
  const a = await openAnalytics(data, { cache });
  try {
    return accuracy(await readPairs(a), truth, threshold);
  } finally {
    a.db.close();
  }
}

/**
 * This machine's speed drifts by a quarter or more over minutes (docs/DATASETS.md "Cost"): a fixed
 * DuckDB workload (a 2-thread window over 8 million rows, like the cache build's),
 * timed before and after, says which phase a run fell in.
 */
async function referenceSeconds(): Promise<number> {
  const db = await openDb(":memory:");
  try {
    const t0 = performance.now();
    await db.conn.run(
      "SELECT sum(x) FROM (SELECT lag(v) OVER (PARTITION BY i % 80021 ORDER BY v) AS x FROM (SELECT i, hash(i) % 1000 AS v FROM range(8000000) t(i)))",
    );
    return (performance.now() - t0) / 1000;
  } finally {
    db.close();
  }
}

const referenceBefore = await referenceSeconds();
console.log(`reference workload before: ${referenceBefore.toFixed(2)} s`);
const cache = await mkdtemp(path.join(tmpdir(), "ccass-bench-cache-"));
const out = await mkdtemp(path.join(tmpdir(), "ccass-bench-api-"));
const env = { CCASS_DATA: data, CCASS_CACHE: cache };
const steps: { step: string; seconds: number; cpu_seconds: number; peak_rss_mib: number; output_kib: number }[] = [];
try {
  for (const name of LOADERS) {
    const r = run(loaderScript(name), [], env);
    steps.push({ step: name, seconds: r.seconds, cpu_seconds: r.cpu, peak_rss_mib: r.rss / 2 ** 20, output_kib: r.stdoutBytes / 1024 });
    console.log(`${name.padEnd(14)} ${r.seconds.toFixed(1).padStart(6)} s  cpu ${r.cpu.toFixed(1).padStart(6)} s  peak ${(r.rss / 2 ** 20).toFixed(0).padStart(5)} MiB  out ${(r.stdoutBytes / 1024).toFixed(0)} KiB`);
  }
  const e = run(path.join(REPO, "scripts", "export-api.ts"), ["--out", path.join(out, "v1"), "--quiet"], env);
  const apiBytes = (await diskUsage(path.join(out, "v1"))).bytes;
  steps.push({ step: "export-api", seconds: e.seconds, cpu_seconds: e.cpu, peak_rss_mib: e.rss / 2 ** 20, output_kib: apiBytes / 1024 });
  console.log(`${"export-api".padEnd(14)} ${e.seconds.toFixed(1).padStart(6)} s  cpu ${e.cpu.toFixed(1).padStart(6)} s  peak ${(e.rss / 2 ** 20).toFixed(0).padStart(5)} MiB  tree ${(apiBytes / 2 ** 20).toFixed(0)} MiB`);
  console.log(e.stderr.split("\n").filter((l) => l.startsWith("export-api")).join("\n"));
  // the largest stock page
  let largest = { file: "", bytes: 0 };
  for (const f of await readdir(path.join(out, "v1", "stocks"))) {
    const b = (await stat(path.join(out, "v1", "stocks", f))).size;
    if (b > largest.bytes) largest = { file: f, bytes: b };
  }
  const total = steps.reduce((s, x) => s + x.seconds, 0);
  const peak = Math.max(...steps.map((x) => x.peak_rss_mib));
  const cpu = steps.reduce((s, x) => s + x.cpu_seconds, 0);
  const holdingsBytes = (await diskUsage(path.join(data, "holdings"))).bytes;
  console.log(`\ntotal ${total.toFixed(1)} s wall (budget 60 s), ${cpu.toFixed(1)} s CPU (2 cores: wall ≥ CPU / 2), largest peak RSS ${peak.toFixed(0)} MiB (budget 6144 MiB)`);
  console.log(`largest stock page ${largest.file} ${(largest.bytes / 1024).toFixed(0)} KiB (budget 300 KiB)`);
  const accuracy = await finderAccuracy();
  if (accuracy) {
    console.log(
      `transfer finder at ${accuracy.threshold_pct} %: planted ${accuracy.planted}, reported ${accuracy.reported}, ` +
        `recall ${accuracy.recall.toFixed(3)} (goal ≥ 0.95), precision ${accuracy.precision.toFixed(3)} (goal ≥ 0.90), ` +
        `corporate-action days with a pair ${accuracy.corporate_action_days_with_pairs} of ${accuracy.corporate_actions}`,
    );
  }
  const referenceAfter = await referenceSeconds();
  console.log(`reference workload after: ${referenceAfter.toFixed(2)} s (before: ${referenceBefore.toFixed(2)} s)`);
  const figures = {
    data,
    holdings_parquet_mib: holdingsBytes / 2 ** 20,
    steps,
    total_seconds: total,
    total_cpu_seconds: cpu,
    load_average: (await import("node:os")).loadavg(),
    reference_seconds: { before: referenceBefore, after: referenceAfter },
    peak_rss_mib: peak,
    largest_stock_page: largest,
    accuracy,
  };
  await mkdir(path.join(REPO, "bench-out"), { recursive: true });
  await writeFile(path.join(REPO, "bench-out", "loaders.json"), JSON.stringify(figures, null, 2));
} finally {
  await rm(cache, { recursive: true, force: true });
  await rm(out, { recursive: true, force: true });
}
