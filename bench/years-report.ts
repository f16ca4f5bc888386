// The years bench's figures, projected to 10 and 20 years and checked against issue #11's and issue
// #22's goals, as the markdown table the issues ask for. Pure functions of the measured figures
// (tests/bench-years.test.ts).
import { existsSync, readFileSync } from "node:fs";

export interface StepFigures {
  step: string;
  seconds: number;
  cpu_seconds: number;
  peak_rss_mib: number;
  stdout_bytes: number;
  /** the process's own `timing` lines (CCASS_TIMINGS=1, data-loaders/compute/timings.ts): where its seconds went */
  timings?: { step: string; seconds: number }[];
}

/** One build: the nine loaders, each its own process, then the export. */
export interface BuildFigures {
  seconds: number;
  cpu_seconds: number;
  peak_rss_mib: number;
  /** the step that reached the peak */
  peak_step: string;
  /** the export's closing summary line */
  export_line: string;
  api_tree_bytes: number;
  api_files: number;
  /** what the Framework loaders print (the site's `_file/data/*.json`) */
  loader_output_bytes: number;
  load_average: [number, number];
  steps: StepFigures[];
}

export interface SizeFigures {
  years: number;
  days: number;
  stocks: number;
  holdings_parquet_mib: number;
  /** the dataset less its last date, cold: the previous night that leaves the state behind */
  previous_night: BuildFigures;
  /** the same state and export folder, one date appended */
  incremental: BuildFigures;
  /** the full dataset from a fresh cache into a fresh folder */
  cold: BuildFigures;
  /** incremental export tree against the cold one */
  comparison: { compared: number; differing: number; only_in_incremental: number; only_in_cold: number; first_differing: string[] };
  /** cold API tree + loader outputs + the site shell */
  dist_bytes: number;
}

export interface GitGrowth {
  bytes_per_year: number;
  /** which field of growth.json it came from */
  field: string;
  stocks: number | null;
}

export const MB = 1e6;
export const GIB = 2 ** 30;

/**
 * Git growth per year from `bench-out/growth.json` (npm run bench -- growth): what `main` receives
 * a year with the open month on the data-open branch (`twoBranches.mainBytesPerYear`), else the old
 * scheme's whole git history (`perYear.gitHistoryBytes`: daily files + compacted months + the
 * dimension's copies).
 */
export function readGitGrowth(file: string): GitGrowth | null {
  if (!existsSync(file)) return null;
  const g = JSON.parse(readFileSync(file, "utf8")) as { stocks?: number } & Record<string, Record<string, unknown> | undefined>;
  const stocks = typeof g.stocks === "number" ? g.stocks : null;
  for (const [group, field] of [["twoBranches", "mainBytesPerYear"], ["perYear", "gitHistoryBytes"]] as const) {
    const v = g[group]?.[field];
    if (typeof v === "number" && Number.isFinite(v)) return { bytes_per_year: v, field: `${group}.${field}`, stocks };
  }
  return null;
}

/** The value at `at` years on the line through the first and last measured points (x = years of history). */
export function projectLinear(points: readonly { years: number; value: number }[], at = 10): number | null {
  if (points.length < 2) return null;
  const a = points[0]!;
  const b = points[points.length - 1]!;
  if (a.years === b.years) return null;
  return a.value + ((b.value - a.value) / (b.years - a.years)) * (at - a.years);
}

export interface Goal {
  goal: string;
  /** null: not measurable from this run (a size or the growth figure missing) */
  pass: boolean | null;
  detail: string;
}

const s = (x: number) => `${x.toFixed(1)} s`;

/** Issue #11's goals. Times are wall seconds (the issue's measure); CPU seconds are shown beside them because wall time depends on the neighbours. */
export function checkGoals(sizes: readonly SizeFigures[], git: GitGrowth | null, distAt10: number | null): Goal[] {
  const one = sizes.find((f) => f.years === 1);
  const three = sizes.find((f) => f.years === 3);
  const goals: Goal[] = [];
  const needs = (goal: string, sizes = "the 1- and 3-year sizes") => goals.push({ goal, pass: null, detail: `needs ${sizes}` });
  // "x vs limit (= factor × y)", in wall seconds, then the same in CPU seconds
  const compare = (goal: string, x: BuildFigures, y: BuildFigures, factor: number, factorLabel: string) => {
    const limit = (v: number) => (factor === 1 ? s(v) : `${s(factor * v)} (${factorLabel} × ${s(v)})`);
    const pass = x.seconds <= factor * y.seconds;
    const cpu = x.cpu_seconds <= factor * y.cpu_seconds ? "pass" : "fail";
    goals.push({ goal, pass, detail: `${s(x.seconds)} vs ${limit(y.seconds)}; CPU ${s(x.cpu_seconds)} vs ${limit(y.cpu_seconds)}: ${cpu}` });
  };
  if (three) compare("incremental at 3 years ≤ 1/3 of the cold 3-year build", three.incremental, three.cold, 1 / 3, "1/3");
  else needs("incremental at 3 years ≤ 1/3 of the cold 3-year build", "the 3-year size");
  if (one && three) {
    compare("incremental at 3 years ≤ the cold 1-year build", three.incremental, one.cold, 1, "1");
    compare("cold 3-year build ≤ 3 × the cold 1-year build", three.cold, one.cold, 3, "3");
  } else {
    needs("incremental at 3 years ≤ the cold 1-year build");
    needs("cold 3-year build ≤ 3 × the cold 1-year build");
  }
  goals.push(
    distAt10 === null
      ? { goal: "dist/ ≤ 1 GB at 10 years", pass: null, detail: "needs two sizes" }
      : { goal: "dist/ ≤ 1 GB at 10 years", pass: distAt10 <= 1e9, detail: `${(distAt10 / MB).toFixed(0)} MB projected (1 GB = 10^9 bytes)` },
  );
  goals.push(
    git === null
      ? { goal: "git ≤ 150 MB per year", pass: null, detail: "run the growth bench (npm run bench -- growth)" }
      : { goal: "git ≤ 150 MB per year", pass: git.bytes_per_year <= 150 * MB, detail: `${(git.bytes_per_year / MB).toFixed(1)} MB (${git.field})` },
  );
  goals.push(
    three
      ? { goal: "cold 3-year peak ≤ 6 GiB", pass: three.cold.peak_rss_mib * 2 ** 20 <= 6 * GIB, detail: `${(three.cold.peak_rss_mib / 1024).toFixed(2)} GiB (${three.cold.peak_step})` }
      : { goal: "cold 3-year peak ≤ 6 GiB", pass: null, detail: "needs the 3-year size" },
  );
  return goals;
}

export interface Projection {
  cold_seconds: number | null;
  cold_cpu_seconds: number | null;
  incremental_seconds: number | null;
  incremental_cpu_seconds: number | null;
  peak_rss_mib: number | null;
  dist_bytes: number | null;
}

export function projectTen(sizes: readonly SizeFigures[]): Projection {
  return projectAt(sizes, 10);
}

/** Every figure at `at` years, on the line through the first and last measured sizes (the per-year cost between them). */
export function projectAt(sizes: readonly SizeFigures[], at: number): Projection {
  const p = (pick: (f: SizeFigures) => number) => projectLinear(sizes.map((f) => ({ years: f.years, value: pick(f) })), at);
  return {
    cold_seconds: p((f) => f.cold.seconds),
    cold_cpu_seconds: p((f) => f.cold.cpu_seconds),
    incremental_seconds: p((f) => f.incremental.seconds),
    incremental_cpu_seconds: p((f) => f.incremental.cpu_seconds),
    peak_rss_mib: p((f) => f.cold.peak_rss_mib),
    dist_bytes: p((f) => f.dist_bytes),
  };
}

const time = (wall: number | null, cpu: number | null) => (wall === null || cpu === null ? "—" : `${wall.toFixed(1)} s (CPU ${cpu.toFixed(1)} s)`);
const gib = (mib: number | null) => (mib === null ? "—" : `${(mib / 1024).toFixed(2)} GiB`);
const mb = (bytes: number | null) => (bytes === null ? "—" : `${(bytes / MB).toFixed(0)} MB`);

/**
 * Closed years published once (issue #22): what `main` and a fresh clone of it hold when each
 * closed year is a release and main keeps only its manifest entry (src/ops/year-manifest.ts).
 */
export interface ReleaseFigures {
  /** bytes one closed year adds to data/releases.json (formatManifest of one year's entry) */
  manifest_bytes_per_year: number;
  /** month files of the dataset per table a year (12 per table) */
  files_per_year: number;
  /** a packed clone of main's history without data (git pack-objects of the code's commits) */
  code_clone_bytes: number;
  /** what a year's release assets weigh (the compacted months main used to receive, bench -- growth) */
  release_bytes_per_year: number | null;
}

/** main's data at `years`: the manifest (one entry a closed year; the open year lives on data-open). */
export function cloneBytes(r: ReleaseFigures, years: number): number {
  return r.code_clone_bytes + Math.max(0, years - 1) * r.manifest_bytes_per_year;
}

const kb = (bytes: number) => `${(bytes / 1e3).toFixed(1)} kB`;

/** The issues' table: one column per measured size, then the projections (10 and 20 years by default). */
export function markdownTable(
  sizes: readonly SizeFigures[],
  projection: Projection,
  git: GitGrowth | null,
  more: { at: number; projection: Projection }[] = [],
  releases: ReleaseFigures | null = null,
): string {
  const projections = [{ at: 10, projection }, ...more];
  const head = [...sizes.map((f) => `${f.years} year${f.years === 1 ? "" : "s"}`), ...projections.map((p) => `${p.at} years (projected)`)];
  const gitCell = git === null ? "run the growth bench" : `${(git.bytes_per_year / MB).toFixed(1)} MB`;
  const per = <T,>(measured: (f: SizeFigures) => T, projected: (p: Projection, at: number) => T) => [...sizes.map(measured), ...projections.map((p) => projected(p.projection, p.at))];
  const rows: [string, string[]][] = [
    ["cold full build (loaders + export)", per((f) => time(f.cold.seconds, f.cold.cpu_seconds), (p) => time(p.cold_seconds, p.cold_cpu_seconds))],
    ["incremental nightly (one day appended)", per((f) => time(f.incremental.seconds, f.incremental.cpu_seconds), (p) => time(p.incremental_seconds, p.incremental_cpu_seconds))],
    ["peak memory", per((f) => `${gib(f.cold.peak_rss_mib)} (nightly ${gib(f.incremental.peak_rss_mib)})`, (p) => gib(p.peak_rss_mib))],
    ["`dist/` size", per((f) => mb(f.dist_bytes), (p) => mb(p.dist_bytes))],
  ];
  if (releases === null) rows.push(["git growth per year", per(() => gitCell, () => gitCell)]);
  else {
    const main = `${kb(releases.manifest_bytes_per_year)} (manifest)`;
    rows.push(["`main`'s growth per year (closed years as releases)", per(() => main, () => main)]);
    rows.push(["fresh clone of `main`", per((f) => mb(cloneBytes(releases, f.years)), (_p, at) => mb(cloneBytes(releases, at)))]);
    const rel = releases.release_bytes_per_year === null ? "run the growth bench" : `${(releases.release_bytes_per_year / MB).toFixed(1)} MB`;
    rows.push(["release assets per closed year", per(() => rel, () => rel)]);
  }
  return [`| | ${head.join(" | ")} |`, `| --- |${" --- |".repeat(head.length)}`, ...rows.map(([label, cells]) => `| ${label} | ${cells.join(" | ")} |`)].join("\n");
}

/** Issue #22's goals at twenty years, from the projection and the release figures. */
export function checkYearGoals(at20: Projection, releases: ReleaseFigures): Goal[] {
  const clone = cloneBytes(releases, 20);
  return [
    { goal: "main grows ≤ 10 MB a year", pass: releases.manifest_bytes_per_year <= 10 * MB, detail: `${kb(releases.manifest_bytes_per_year)} (one manifest entry)` },
    { goal: "fresh clone ≤ 100 MB at 20 years", pass: clone <= 100 * MB, detail: `${(clone / MB).toFixed(1)} MB` },
    at20.dist_bytes === null
      ? { goal: "dist/ ≤ 1 GB at 20 years", pass: null, detail: "needs two sizes" }
      : { goal: "dist/ ≤ 1 GB at 20 years", pass: at20.dist_bytes <= 1e9, detail: `${(at20.dist_bytes / MB).toFixed(0)} MB projected with every year's history in dist/` },
  ];
}

export function formatGoals(goals: readonly Goal[]): string {
  return goals.map((g) => `${g.pass === null ? "n/a " : g.pass ? "PASS" : "FAIL"}  ${g.goal}: ${g.detail}`).join("\n");
}

/**
 * One line per process of a build: its wall and CPU seconds, then its own `timing` lines of at
 * least `min` seconds (nested steps included, so they overlap their parents).
 */
export function formatStepTimings(f: BuildFigures, min = 0.2): string {
  return f.steps
    .map((s) => {
      const parts = (s.timings ?? []).filter((t) => t.seconds >= min).map((t) => `${t.step} ${t.seconds.toFixed(1)}`);
      return `    ${s.step.padEnd(13)} ${s.seconds.toFixed(1).padStart(5)} s (CPU ${s.cpu_seconds.toFixed(1)})${parts.length ? `: ${parts.join(", ")}` : ""}`;
    })
    .join("\n");
}
