// The transfer finder against ground truth on a mid-size market, noisy and default: recall and
// precision at 0.5 % and 1 %, pairs on corporate-action days, the calibration of the confidence
// (bands against observed precision, over every pair and per size band), recall and precision of the
// likely pairs (confidence ≥ LIKELY_MIN_CONFIDENCE) per size band, and the cost of the pairing step.
//   npm run bench -- transfers
// Environment: CCASS_BENCH_STOCKS (600), CCASS_BENCH_DAYS (120), CCASS_BENCH_SEED (1; the
// confidence was fitted on seed 3 by bench/fit-confidence.ts, so seed 1 measures it out of
// sample). Datasets are written once to .cache/bench-transfers-{noisy,default}-<seed>-<stocks>x<days>.
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { writeFileAtomic } from "../src/lib/atomic.ts";
import { openAnalytics } from "../data-loaders/compute/cache.ts";
import { writeSyntheticDataset } from "../src/replica/dataset-writer.ts";
import { labelledPairs } from "./fit-confidence.ts";
import { LIKELY_MIN_CONFIDENCE } from "../data-loaders/publish/likely.ts";
import { accuracy, calibration, calibrationByBand, likelyByBand, readPairs, readTruth } from "./transfer-score.ts";

const REPO = path.resolve(import.meta.dirname, "..");
const stocks = Number(process.env.CCASS_BENCH_STOCKS ?? 600);
const days = Number(process.env.CCASS_BENCH_DAYS ?? 120);
const seed = Number(process.env.CCASS_BENCH_SEED ?? 1);

async function dataset(noise: boolean): Promise<string> {
  const dir = path.join(REPO, ".cache", `bench-transfers-${noise ? "noisy" : "default"}-${seed}-${stocks}x${days}`);
  if (!existsSync(path.join(dir, "_truth", "transfers.json"))) {
    console.log(`writing the ${noise ? "noisy" : "default"} market (seed ${seed}, ${stocks} stocks × ${days} days) to ${dir} …`);
    await rm(dir, { recursive: true, force: true });
    const s = await writeSyntheticDataset({ out: dir, seed, stocks, days, end: "2026-11-20", noise });
    console.log(`  ${s.holdingsRows} holdings rows in ${s.seconds.toFixed(0)} s`);
  }
  return dir;
}

async function measure(noise: boolean) {
  const data = await dataset(noise);
  const truth = (await readTruth(data))!;
  const cache = await mkdtemp(path.join(tmpdir(), "ccass-bench-transfers-"));
  try {
    const log: string[] = [];
    const t0 = performance.now();
    const a = await openAnalytics(data, { cache, log: (s) => log.push(s) });
    const buildSeconds = (performance.now() - t0) / 1000;
    let pairs;
    try {
      pairs = await readPairs(a);
    } finally {
      a.db.close();
    }
    // the pairing's JavaScript alone, in this process, over the same movers (the build overlaps it with SQL)
    const labelled = await labelledPairs(data, cache);
    const pairingLine = log.find((l) => /pairing \(fetch/.test(l)) ?? "";
    return {
      market: noise ? "noisy" : "default",
      data,
      cache_build_seconds: Math.round(buildSeconds * 100) / 100,
      pairing_log: pairingLine,
      pairing_js_seconds: Math.round(labelled.pairSeconds * 1000) / 1000,
      pairs_reported: labelled.pairs.length,
      accuracy: [accuracy(pairs, truth, 0.5), accuracy(pairs, truth, 1)],
      calibration_all: calibration(pairs, truth, 0),
      calibration_at_0_5: calibration(pairs, truth, 0.5),
      likely_min_confidence: LIKELY_MIN_CONFIDENCE,
      likely_by_band: likelyByBand(pairs, truth, LIKELY_MIN_CONFIDENCE),
      calibration_by_band: calibrationByBand(pairs, truth),
    };
  } finally {
    await rm(cache, { recursive: true, force: true });
  }
}

const results = [];
for (const noise of [true, false]) {
  const r = await measure(noise);
  results.push(r);
  console.log(`\n${r.market} market, seed ${seed}, ${stocks} stocks × ${days} days: cache build ${r.cache_build_seconds} s; ${r.pairing_log}`);
  console.log(`  pairing loop alone (JS, every stock-day's movers): ${r.pairing_js_seconds} s, ${r.pairs_reported} pairs`);
  for (const x of r.accuracy) {
    console.log(
      `  at ${x.threshold_pct} %: planted ${x.planted}, reported ${x.reported}, recall ${x.recall.toFixed(3)}, precision ${x.precision.toFixed(3)}; ` +
        `corporate-action days with pairs ${x.corporate_action_days_with_pairs} of ${x.corporate_actions}`,
    );
  }
  console.log(`  likely pairs (confidence ≥ ${r.likely_min_confidence}) per size band: band, planted, pairs, likely, recall, precision`);
  const f = (x: number | null) => (x === null ? "  —  " : x.toFixed(3));
  for (const b of r.likely_by_band) {
    console.log(`    ${b.band.padEnd(11)} ${String(b.planted).padStart(6)} ${String(b.pairs).padStart(7)} ${String(b.likely).padStart(6)}  ${f(b.recall)}  ${f(b.precision)}`);
  }
  const bandTables = r.calibration_by_band.map((b) => [`pairs of ${b.band}`, b.table] as const);
  for (const [label, table] of [["every pair (≥ 0.05 %)", r.calibration_all], ["pairs ≥ 0.5 %", r.calibration_at_0_5], ...bandTables] as const) {
    console.log(`  calibration, ${label}: band, pairs, planted, mean confidence, observed precision`);
    for (const b of table) console.log(`    ${b.band}  ${String(b.pairs).padStart(6)}  ${String(b.real).padStart(6)}  ${b.mean_confidence.toFixed(3)}  ${b.precision.toFixed(3)}`);
  }
}
await mkdir(path.join(REPO, "bench-out"), { recursive: true });
await writeFileAtomic(path.join(REPO, "bench-out", "transfers.json"), JSON.stringify({ seed, stocks, days, results }, null, 1) + "\n");
