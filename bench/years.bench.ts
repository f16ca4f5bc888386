// How a cold full build grows with the years of history kept: 1-year and 3-year full-market
// synthetic datasets, each built from a cold analytics cache the way the site build runs it (the
// nine loaders, each its own process, then the static API export), with wall time, CPU time, peak
// RSS and the size of the exported API tree; the 10-year figure is projected on the line through
// the two. (The incremental nightly is not built yet: docs/ARCHITECTURE.md "Growing to a decade".)
//   npm run bench -- years
// Environment: CCASS_BENCH_YEARS ("1,3"), CCASS_BENCH_STOCKS (2800), CCASS_BENCH_YEARS_DATA
// (folder of the datasets, default .cache/bench-years; <N>y/ is written with the replica's
// synthetic market when missing or made with other options). A year is 248 settlement days, so
// 3 years (744 days) is a long market: listings, delistings, participants coming and going.
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { writeSyntheticDataset } from "../src/replica/dataset-writer.ts";
import { LOADERS, REPO, runMeasured } from "./child-run.ts";
import { diskUsage } from "./disk-usage.ts";

const DAYS_PER_YEAR = 248;
const SEED = 1;
const END = "2026-11-20";
const years = (process.env.CCASS_BENCH_YEARS ?? "1,3").split(",").map(Number);
const stocks = Number(process.env.CCASS_BENCH_STOCKS ?? 2800);
const root = path.resolve(process.env.CCASS_BENCH_YEARS_DATA ?? path.join(REPO, ".cache", "bench-years"));
const MIB = 2 ** 20;

/** The dataset of `n` years, written unless one with the same options is there. */
async function dataset(n: number): Promise<{ dir: string; generatedSeconds: number | null }> {
  const dir = path.join(root, `${n}y`);
  const days = n * DAYS_PER_YEAR;
  const options = path.join(dir, "_truth", "options.json");
  if (existsSync(options)) {
    const o = JSON.parse(await readFile(options, "utf8")) as { seed: number; stocks: number; days: number; end: string };
    if (o.seed === SEED && o.stocks === stocks && o.days === days && o.end === END) return { dir, generatedSeconds: null };
  }
  await rm(dir, { recursive: true, force: true });
  console.log(`writing ${n} year(s): ${stocks} stocks × ${days} days to ${dir} …`);
  const s = await writeSyntheticDataset({ out: dir, seed: SEED, stocks, days, end: END });
  console.log(`  ${s.holdingsRows} holdings rows in ${s.seconds.toFixed(0)} s`);
  return { dir, generatedSeconds: s.seconds };
}

interface YearFigures {
  years: number;
  days: number;
  holdings_parquet_mib: number;
  generated_seconds: number | null;
  build_seconds: number;
  build_cpu_seconds: number;
  /** the export's own split: cache build and export proper, from its summary line */
  export_line: string;
  peak_rss_mib: number;
  api_tree_mib: number;
  api_files: number;
  steps: { step: string; seconds: number; cpu_seconds: number; peak_rss_mib: number }[];
}

async function coldBuild(n: number): Promise<YearFigures> {
  const { dir, generatedSeconds } = await dataset(n);
  const cache = await mkdtemp(path.join(tmpdir(), "ccass-bench-years-cache-"));
  const out = await mkdtemp(path.join(tmpdir(), "ccass-bench-years-api-"));
  const env = { CCASS_DATA: dir, CCASS_CACHE: cache };
  const steps: YearFigures["steps"] = [];
  try {
    // The first loader builds the cache (the cold part); the rest and the export reuse it.
    for (const name of LOADERS) {
      const r = runMeasured(path.join(REPO, "data-loaders", `${name}.ts`), [], env);
      steps.push({ step: name, seconds: r.seconds, cpu_seconds: r.cpu, peak_rss_mib: r.rss / MIB });
    }
    const e = runMeasured(path.join(REPO, "scripts", "export-api.ts"), ["--out", path.join(out, "v1"), "--quiet"], env);
    steps.push({ step: "export-api", seconds: e.seconds, cpu_seconds: e.cpu, peak_rss_mib: e.rss / MIB });
    const tree = await diskUsage(path.join(out, "v1"));
    const figures: YearFigures = {
      years: n,
      days: n * DAYS_PER_YEAR,
      holdings_parquet_mib: (await diskUsage(path.join(dir, "holdings"))).bytes / MIB,
      generated_seconds: generatedSeconds,
      build_seconds: steps.reduce((s, x) => s + x.seconds, 0),
      build_cpu_seconds: steps.reduce((s, x) => s + x.cpu_seconds, 0),
      export_line: e.stdout.trim(),
      peak_rss_mib: Math.max(...steps.map((x) => x.peak_rss_mib)),
      api_tree_mib: tree.bytes / MIB,
      api_files: tree.files,
      steps,
    };
    console.log(
      `${n} year(s): cold build ${figures.build_seconds.toFixed(1)} s wall, ${figures.build_cpu_seconds.toFixed(1)} s CPU, ` +
        `peak ${figures.peak_rss_mib.toFixed(0)} MiB (${steps.reduce((a, b) => (b.peak_rss_mib > a.peak_rss_mib ? b : a)).step}), ` +
        `API tree ${figures.api_tree_mib.toFixed(0)} MiB in ${figures.api_files} files; holdings Parquet ${figures.holdings_parquet_mib.toFixed(0)} MiB`,
    );
    console.log(`  ${figures.export_line}`);
    return figures;
  } finally {
    await rm(cache, { recursive: true, force: true });
    await rm(out, { recursive: true, force: true });
  }
}

/** The value at 10 years on the line through two measured points (x = years). */
function project(points: YearFigures[], pick: (f: YearFigures) => number, at = 10): number | null {
  if (points.length < 2) return null;
  const [a, b] = [points[0]!, points[points.length - 1]!];
  const slope = (pick(b) - pick(a)) / (b.years - a.years);
  return pick(a) + slope * (at - a.years);
}

const measured: YearFigures[] = [];
for (const n of years) measured.push(await coldBuild(n));
const projected = {
  build_seconds: project(measured, (f) => f.build_seconds),
  peak_rss_mib: project(measured, (f) => f.peak_rss_mib),
  api_tree_mib: project(measured, (f) => f.api_tree_mib),
};
if (projected.build_seconds !== null) {
  console.log(
    `10 years (projected on the line through ${measured.map((f) => `${f.years}`).join(" and ")} years): ` +
      `cold build ${projected.build_seconds.toFixed(0)} s, peak ${projected.peak_rss_mib!.toFixed(0)} MiB, API tree ${projected.api_tree_mib!.toFixed(0)} MiB`,
  );
}
await mkdir(path.join(REPO, "bench-out"), { recursive: true });
await writeFile(path.join(REPO, "bench-out", "years.json"), JSON.stringify({ stocks, measured, projected_10_years: projected, load_average: loadavg() }, null, 2));
