// How the nightly and the site grow with the years of history kept (issue #11 "Figures"): for each
// size (1 and 3 years of the full-market synthetic market by default), as the site build runs it
// (the nine loaders, each its own process, then the static API export):
//   1. the dataset less its last date, as hard links (bench/dataset-prefix.ts), built cold into a
//      state S (CCASS_CACHE) and an export folder T: the previous night;
//   2. the last date linked in, then the same commands on the same S and T: the incremental nightly
//      (today's code has no incremental path, so this is a full rebuild until it lands);
//   3. the full dataset built cold into a fresh S2 and T2: the cold full build;
//   4. T against T2, byte for byte (bench/tree-compare.ts): how many files differ, and which.
// Wall time, CPU time and peak RSS of every process, and its own steps' seconds (CCASS_TIMINGS=1); `dist/` = the cold API tree + the loaders'
// outputs + the site shell measured once with `npm run build` on a small dataset (bench/site-shell.ts);
// git growth per year from bench-out/growth.json (npm run bench -- growth). The 10- and 20-year
// columns are the line through the first and last sizes (x = years), evaluated at 10 and 20
// (bench/years-report.ts): per-year costs, projected, not measured. With closed years published as
// releases (issue #22), `main` grows by one manifest entry a year (formatManifest of a year of month
// files, measured here) and a fresh clone is the code's packed history (git pack-objects of HEAD)
// plus the manifest; the release assets are what main used to receive (growth.json).
//   npm run bench -- years
// Environment: CCASS_BENCH_YEARS ("1,3"), CCASS_BENCH_STOCKS (2800), CCASS_BENCH_DAYS_PER_YEAR (248),
// CCASS_BENCH_YEARS_DATA (folder of the datasets, default .cache/bench-years; <N>y/ is written with
// the replica's synthetic market when missing, and never removed), CCASS_BENCH_YEARS_WORK (states,
// exports and linked copies, default .cache/bench-years-work: on the datasets' filesystem, for the
// hard links), CCASS_MEMORY_LIMIT (DuckDB's, passed to every step).
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import { loadavg } from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { parseTimings } from "../data-loaders/compute/timings.ts";
import { TABLES } from "../src/dataset/layout.ts";
import { writeFileAtomic } from "../src/lib/atomic.ts";
import { assetName, formatManifest } from "../src/ops/year-manifest.ts";
import { writeSyntheticDataset } from "../src/replica/dataset-writer.ts";
import { LOADERS, loaderScript, REPO, runMeasured } from "./child-run.ts";
import { linkDatasetPrefix, treeStamp } from "./dataset-prefix.ts";
import { diskUsage } from "../src/lib/disk-usage.ts";
import { measureSiteShell } from "./site-shell.ts";
import { compareTrees, describeComparison } from "./tree-compare.ts";
import {
  checkGoals,
  checkYearGoals,
  formatGoals,
  formatStepTimings,
  markdownTable,
  MB,
  projectAt,
  projectTen,
  readGitGrowth,
  type ReleaseFigures,
  type BuildFigures,
  type SizeFigures,
  type StepFigures,
} from "./years-report.ts";

const SEED = 1;
const END = "2026-11-20";
const MIB = 2 ** 20;

/** Comma-separated positive integers from the environment: a typo must stop the bench, not measure something else. */
function positiveIntegers(name: string, fallback: string): number[] {
  const raw = process.env[name] ?? fallback;
  const values = raw.split(",").map(Number);
  if (!values.every((v) => Number.isInteger(v) && v > 0)) throw new Error(`${name}: expected positive integers, got ${JSON.stringify(raw)}`);
  return values;
}
const DAYS_PER_YEAR = positiveIntegers("CCASS_BENCH_DAYS_PER_YEAR", "248")[0]!;
const stocks = positiveIntegers("CCASS_BENCH_STOCKS", "2800")[0]!;
const years = positiveIntegers("CCASS_BENCH_YEARS", "1,3");
const root = path.resolve(process.env.CCASS_BENCH_YEARS_DATA ?? path.join(REPO, ".cache", "bench-years"));
const work = path.resolve(process.env.CCASS_BENCH_YEARS_WORK ?? path.join(REPO, ".cache", "bench-years-work"));

// The Framework loaders (src/pages/data/NAME.json.ts): their stdout is what the site serves under
// _file/data/; `trends` runs in the build but is published per stock by the export instead.
const FRAMEWORK_LOADERS = new Set((await readdir(path.join(REPO, "src", "pages", "data"))).filter((f) => f.endsWith(".json.ts")).map((f) => f.slice(0, -".json.ts".length)));

/** The dataset of `n` years, written when missing. One made with other options is an error, never removed: the folder may be shared. */
async function dataset(n: number): Promise<string> {
  const dir = path.join(root, `${n}y`);
  const days = n * DAYS_PER_YEAR;
  const options = path.join(dir, "_truth", "options.json");
  if (existsSync(options)) {
    const o = JSON.parse(await readFile(options, "utf8")) as { seed: number; stocks: number; days: number; end: string };
    if (o.seed === SEED && o.stocks === stocks && o.days === days && o.end === END) return dir;
    throw new Error(`${dir} holds ${o.stocks} stocks × ${o.days} days (seed ${o.seed}, end ${o.end}), not ${stocks} × ${days}: pick another CCASS_BENCH_YEARS_DATA or remove it`);
  }
  if (existsSync(dir)) throw new Error(`${dir} exists without _truth/options.json: not a dataset this bench wrote; pick another CCASS_BENCH_YEARS_DATA`);
  console.log(`writing ${n} year(s): ${stocks} stocks × ${days} days to ${dir} …`);
  const s = await writeSyntheticDataset({ out: dir, seed: SEED, stocks, days, end: END });
  console.log(`  ${s.holdingsRows} holdings rows in ${s.seconds.toFixed(0)} s`);
  return dir;
}

/** One build as the site runs it: the loaders, each its own process, then the export into `out`. */
async function build(label: string, data: string, cache: string, out: string, today: string): Promise<BuildFigures> {
  // CCASS_TIMINGS: every process prints where its seconds go (data-loaders/compute/timings.ts)
  const env = { CCASS_DATA: data, CCASS_CACHE: cache, CCASS_TODAY: today, CCASS_TIMINGS: "1" };
  const steps: StepFigures[] = [];
  const load0 = loadavg()[0]!;
  const measure = (step: string, script: string, args: string[]) => {
    const r = runMeasured(script, args, env);
    steps.push({ step, seconds: r.seconds, cpu_seconds: r.cpu, peak_rss_mib: r.rss / MIB, stdout_bytes: r.stdoutBytes, timings: parseTimings(r.stderr) });
    return r;
  };
  for (const name of LOADERS) measure(name, loaderScript(name), []);
  const e = measure("export-api", path.join(REPO, "scripts", "export-api.ts"), ["--out", out, "--quiet"]);
  const tree = await diskUsage(out);
  const peak = steps.reduce((a, b) => (b.peak_rss_mib > a.peak_rss_mib ? b : a));
  const f: BuildFigures = {
    seconds: steps.reduce((a, x) => a + x.seconds, 0),
    cpu_seconds: steps.reduce((a, x) => a + x.cpu_seconds, 0),
    peak_rss_mib: peak.peak_rss_mib,
    peak_step: peak.step,
    export_line: e.stdout.trim(),
    api_tree_bytes: tree.bytes,
    api_files: tree.files,
    loader_output_bytes: steps.filter((x) => FRAMEWORK_LOADERS.has(x.step)).reduce((a, x) => a + x.stdout_bytes, 0),
    load_average: [load0, loadavg()[0]!],
    steps,
  };
  console.log(
    `  ${label}: ${f.seconds.toFixed(1)} s wall, ${f.cpu_seconds.toFixed(1)} s CPU, peak ${(f.peak_rss_mib / 1024).toFixed(2)} GiB (${f.peak_step}), ` +
      `API tree ${(f.api_tree_bytes / MB).toFixed(0)} MB in ${f.api_files} files; load ${f.load_average.map((x) => x.toFixed(1)).join(" → ")}`,
  );
  console.log(`    ${f.export_line}`);
  console.log(formatStepTimings(f));
  return f;
}

async function measureSize(n: number, shellBytes: number): Promise<SizeFigures> {
  const dir = await dataset(n);
  const before = await treeStamp(dir);
  const base = path.join(work, `${n}y`);
  await rm(base, { recursive: true, force: true });
  await mkdir(base, { recursive: true });
  try {
    const prefix = await linkDatasetPrefix(dir, path.join(base, "data"));
    console.log(
      `${n} year(s) from ${dir}: ${prefix.files} files linked into ${prefix.dir} without ${prefix.lastDate}` +
        (prefix.decompacted ? " (its compacted month written out as daily files)" : ""),
    );
    const state = path.join(base, "state");
    const tree = path.join(base, "api", "v1");
    const previous = await build(`previous night (cold, to ${prefix.previousDate})`, prefix.dir, state, tree, prefix.previousDate);
    await prefix.appendLastDate();
    const incremental = await build(`nightly (+ ${prefix.lastDate}, same state)`, prefix.dir, state, tree, prefix.lastDate);
    await rm(state, { recursive: true, force: true }); // disk: a 3-year cache is several GB
    const coldTree = path.join(base, "cold-api", "v1");
    const cold = await build("cold full build (fresh state)", prefix.dir, path.join(base, "cold-state"), coldTree, prefix.lastDate);
    const c = await compareTrees(tree, coldTree);
    console.log(`  ${describeComparison(c, ["nightly", "cold"])}`);
    if ((await treeStamp(dir)) !== before) throw new Error(`${dir} changed during the bench: a step wrote through a hard link`);
    return {
      years: n,
      days: n * DAYS_PER_YEAR,
      stocks,
      holdings_parquet_mib: (await diskUsage(path.join(dir, "holdings"))).bytes / MIB,
      previous_night: previous,
      incremental,
      cold,
      comparison: {
        compared: c.compared,
        differing: c.differing.length,
        only_in_incremental: c.onlyInFirst.length,
        only_in_cold: c.onlyInSecond.length,
        first_differing: [...c.differing, ...c.onlyInFirst, ...c.onlyInSecond].slice(0, 20),
      },
      dist_bytes: cold.api_tree_bytes + cold.loader_output_bytes + shellBytes,
    };
  } finally {
    await rm(base, { recursive: true, force: true });
  }
}

await mkdir(work, { recursive: true });
const loadAtStart = loadavg();
console.log(`site shell: npm run build on 20 stocks × 10 days (pages, bundles, DuckDB-WASM; added to every size's API tree and loader outputs) …`);
const shell = await measureSiteShell(work);
console.log(`  ${(shell.bytes / MB).toFixed(1)} MB (dist ${(shell.dist_bytes / MB).toFixed(1)} MB less API ${(shell.api_bytes / MB).toFixed(1)} MB and loader outputs ${(shell.loader_output_bytes / MB).toFixed(2)} MB), built in ${shell.build_seconds.toFixed(0)} s`);

const gitFile = path.join(REPO, "bench-out", "growth.json");
const git = readGitGrowth(gitFile);

/** What main and a clone hold once closed years are releases: one manifest entry a year, the code's history. */
function releaseFigures(): ReleaseFigures {
  const year = 2025;
  const files = TABLES.flatMap((t) =>
    Array.from({ length: 12 }, (_, i) => {
      const month = `${year}-${String(i + 1).padStart(2, "0")}`;
      const p = `${t}/month=${month}/${month}.parquet`;
      // a real download URL's length, a digest's 64 hex digits, a size of 8 digits
      return { path: p, asset: assetName(p), url: `https://github.com/owner-name/ccass-observatory/releases/download/data-${year}/${assetName(p)}`, bytes: 12_345_678, sha256: "0".repeat(64) };
    }),
  );
  const empty = formatManifest({ version: 1, years: {} }).length;
  const one = formatManifest({ version: 1, years: { [String(year)]: { tag: `data-${year}`, files } } }).length;
  const pack = execFileSync("sh", ["-c", "git rev-list --objects HEAD | git pack-objects --stdout -q | wc -c"], { cwd: REPO, encoding: "utf8" });
  return { manifest_bytes_per_year: one - empty, files_per_year: files.length, code_clone_bytes: Number(pack.trim()), release_bytes_per_year: git?.bytes_per_year ?? null };
}
const releases = releaseFigures();

/** bench-out/years.json, rewritten after each size: a run stopped at 3 years still leaves the 1-year figures. */
async function writeFigures(measured: SizeFigures[], complete: boolean): Promise<{ table: string; goals: ReturnType<typeof checkGoals> }> {
  const projection = projectTen(measured);
  const twenty = projectAt(measured, 20);
  const goals = [...checkGoals(measured, git, projection.dist_bytes), ...checkYearGoals(twenty, releases)];
  const table = markdownTable(measured, projection, git, [{ at: 20, projection: twenty }], releases);
  const figures = {
    complete,
    stocks,
    days_per_year: DAYS_PER_YEAR,
    memory_limit: process.env.CCASS_MEMORY_LIMIT ?? "default (4GB)",
    load_average: { start: loadAtStart, now: loadavg() },
    site_shell: shell,
    git_growth: git,
    sizes: measured,
    projection_method: "linear in years of history, through the first and last measured sizes, evaluated at 10 and 20",
    projected_10_years: projection,
    projected_20_years: twenty,
    releases,
    goals,
    table,
  };
  await writeFileAtomic(path.join(REPO, "bench-out", "years.json"), JSON.stringify(figures, null, 2) + "\n");
  return { table, goals };
}

const measured: SizeFigures[] = [];
for (const n of years) {
  measured.push(await measureSize(n, shell.bytes));
  await writeFigures(measured, false);
}
const { table, goals } = await writeFigures(measured, true);

console.log(`\n${stocks} securities, ${DAYS_PER_YEAR} settlement days a year; times: wall (CPU), sum of the ten processes`);
console.log(table);
console.log(
  (measured.length < 2
    ? "\n10 years: not projected (one size measured; the line needs two)."
    : `\n10 years: on the line through the ${measured[0]!.years}- and ${measured.at(-1)!.years}-year figures (value(10) = a + (b − a) / (years_b − years_a) × (10 − years_a)).`) +
    `\ndist/ = cold API tree + Framework loader outputs + site shell ${(shell.bytes / MB).toFixed(1)} MB (measured once with npm run build on ${shell.dataset.stocks} stocks × ${shell.dataset.days} days, not on the full market).` +
    `\ngit growth: ${git ? `${gitFile} ${git.field}${git.stocks !== null && git.stocks !== stocks ? ` (measured on ${git.stocks} stocks, not ${stocks})` : ""}` : "run the growth bench (npm run bench -- growth)"}.` +
    `\nnightly vs cold export: ${measured.map((f) => `${f.years} y ${f.comparison.differing + f.comparison.only_in_cold + f.comparison.only_in_incremental} of ${f.comparison.compared} files differ`).join("; ")}.`,
);
console.log(`\ngoals\n${formatGoals(goals)}`);
console.log(`load average ${loadAtStart.map((x) => x.toFixed(1)).join(" ")} at the start, ${loadavg().map((x) => x.toFixed(1)).join(" ")} at the end`);
