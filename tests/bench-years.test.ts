// The years bench's helpers (bench/dataset-prefix.ts, bench/tree-compare.ts, bench/years-report.ts):
// the night-before copy holds every file but the last date's, as hard links that leave the source
// as it was, also when the last month is compacted; the tree comparison finds every kind of
// difference; the projection and the goals follow the measured figures.
import { DuckDBInstance } from "@duckdb/node-api";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DatasetPrefixError, linkDatasetPrefix, treeStamp } from "../bench/dataset-prefix.ts";
import { compareTrees, describeComparison, relativeFiles } from "../bench/tree-compare.ts";
import { checkGoals, checkYearGoals, cloneBytes, markdownTable, projectAt, projectLinear, projectTen, readGitGrowth, type BuildFigures, type SizeFigures } from "../bench/years-report.ts";
import { compact } from "../src/ingest/compact.ts";
import { sqlString } from "../src/lib/sql.ts";
import { TABLES } from "../src/dataset/layout.ts";
import { writeSyntheticDataset } from "../src/replica/dataset-writer.ts";

let work: string;
let source: string;
let dates: string[];

/** Every table's rows as sorted text lines, optionally without one date. */
async function rows(dir: string, without?: string): Promise<Record<string, string[]>> {
  const db = await DuckDBInstance.create(":memory:");
  const c = await db.connect();
  try {
    const out: Record<string, string[]> = {};
    for (const t of TABLES) {
      const glob = sqlString(path.join(dir, t, "month=*", "*.parquet"));
      const where = without ? ` WHERE date <> DATE '${without}'` : "";
      const r = await c.runAndReadAll(`SELECT * FROM read_parquet(${glob}, hive_partitioning = false)${where}`);
      out[t] = r.getRows().map((row) => JSON.stringify(row, (_, v) => (typeof v === "bigint" ? String(v) : v))).sort();
    }
    return out;
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "bench-years-test-"));
  source = path.join(work, "source");
  await writeSyntheticDataset({ out: source, seed: 3, stocks: 6, days: 8, end: "2026-11-20" });
  dates = (JSON.parse(await readFile(path.join(source, "_truth", "options.json"), "utf8")) as { dates: string[] }).dates;
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("the night-before copy (linkDatasetPrefix)", () => {
  it("links every file but the last date's, leaves the source as it was, and the append completes it", async () => {
    const before = await treeStamp(source);
    const copy = path.join(work, "copy");
    const p = await linkDatasetPrefix(source, copy);
    expect([p.previousDate, p.lastDate]).toEqual(dates.slice(-2));
    expect(p.decompacted).toBe(false);

    const all = await relativeFiles(source);
    const last = all.filter((f) => f.endsWith(`${p.lastDate}.parquet`));
    expect(last.length).toBe(TABLES.length); // one file per table on the last date
    expect(await relativeFiles(copy)).toEqual(all.filter((f) => !last.includes(f)));
    for (const f of await relativeFiles(copy)) expect((await stat(path.join(copy, f))).ino).toBe((await stat(path.join(source, f))).ino);

    await p.appendLastDate();
    expect(await relativeFiles(copy)).toEqual(all);
    for (const f of last) expect((await stat(path.join(copy, f))).ino).toBe((await stat(path.join(source, f))).ino);
    expect(await treeStamp(source)).toBe(before);

    // Run again on the same folder: replaced, not merged with what the append left.
    const again = await linkDatasetPrefix(source, copy);
    expect(await relativeFiles(copy)).toEqual(all.filter((f) => !last.includes(f)));
    expect(again.files).toBe(all.length - last.length);
  });

  it("writes a compacted last month out as daily files, the last date held until the append", async () => {
    const compacted = path.join(work, "compacted");
    await cp(source, compacted, { recursive: true });
    await compact(compacted, { before: "2026-12" });
    expect(existsSync(path.join(compacted, "holdings", "month=2026-11", "2026-11.parquet"))).toBe(true);
    const before = await treeStamp(compacted);

    const copy = path.join(work, "compacted-copy");
    const p = await linkDatasetPrefix(compacted, copy);
    expect(p.decompacted).toBe(true);
    expect(p.lastDate).toBe(dates.at(-1));
    // every table, the empty one (no southbound stock among 6) too
    for (const t of TABLES) expect((await readdir(path.join(copy, t, "month=2026-11"))).sort()).toEqual(dates.slice(0, -1).map((d) => `${d}.parquet`));
    expect(await rows(copy)).toEqual(await rows(compacted, p.lastDate));

    await p.appendLastDate();
    for (const t of TABLES) expect((await readdir(path.join(copy, t, "month=2026-11"))).sort()).toEqual(dates.map((d) => `${d}.parquet`));
    expect(await rows(copy)).toEqual(await rows(compacted));
    expect(await treeStamp(compacted)).toBe(before);
  });

  it("refuses a copy inside the dataset and a dataset of one date", async () => {
    await expect(linkDatasetPrefix(source, path.join(source, "copy"))).rejects.toThrow(DatasetPrefixError);
    const one = path.join(work, "one-day");
    await writeSyntheticDataset({ out: one, seed: 3, stocks: 3, days: 1, end: "2026-11-20" });
    await expect(linkDatasetPrefix(one, path.join(work, "one-copy"))).rejects.toThrow(/at least two stored dates/);
  });
});

describe("compareTrees", () => {
  it("names files that differ by one byte and files present on one side only", async () => {
    const a = path.join(work, "tree-a");
    const b = path.join(work, "tree-b");
    for (const d of [a, b]) {
      await mkdir(path.join(d, "stocks"), { recursive: true });
      await writeFile(path.join(d, "index.json"), "{}");
      await writeFile(path.join(d, "stocks", "00001.json"), "[1,2,3]");
    }
    expect(await compareTrees(a, b)).toEqual({ compared: 2, differing: [], onlyInFirst: [], onlyInSecond: [] });
    await writeFile(path.join(b, "stocks", "00001.json"), "[1,2,4]");
    await writeFile(path.join(a, "stocks", "00002.json"), "[]");
    await writeFile(path.join(b, "health.json"), "{}");
    const c = await compareTrees(a, b);
    expect(c).toEqual({ compared: 2, differing: ["stocks/00001.json"], onlyInFirst: ["stocks/00002.json"], onlyInSecond: ["health.json"] });
    expect(describeComparison(c, ["nightly", "cold"])).toContain("1 of 2 files differ");
  });
});

function buildOf(seconds: number, cpu: number, peakMib: number, apiBytes: number): BuildFigures {
  return {
    seconds,
    cpu_seconds: cpu,
    peak_rss_mib: peakMib,
    peak_step: "meta",
    export_line: "",
    api_tree_bytes: apiBytes,
    api_files: 1,
    loader_output_bytes: 0,
    load_average: [0, 0],
    steps: [],
  };
}

function sizeOf(years: number, cold: BuildFigures, incremental: BuildFigures, dist: number): SizeFigures {
  return {
    years,
    days: years * 248,
    stocks: 2800,
    holdings_parquet_mib: 0,
    previous_night: cold,
    incremental,
    cold,
    comparison: { compared: 1, differing: 0, only_in_incremental: 0, only_in_cold: 0, first_differing: [] },
    dist_bytes: dist,
  };
}

describe("years report", () => {
  it("projects on the line through the first and last sizes", () => {
    expect(projectLinear([{ years: 1, value: 10 }, { years: 3, value: 30 }])).toBe(100);
    expect(projectLinear([{ years: 1, value: 300 }, { years: 3, value: 500 }])).toBe(1200);
    expect(projectLinear([{ years: 1, value: 10 }])).toBeNull();
  });

  it("checks each goal against the figures it names", () => {
    const one = sizeOf(1, buildOf(30, 50, 2000, 0), buildOf(30, 50, 2000, 0), 300e6);
    const fast = sizeOf(3, buildOf(80, 160, 5000, 0), buildOf(20, 25, 1500, 0), 500e6);
    const byGoal = (g: ReturnType<typeof checkGoals>) => Object.fromEntries(g.map((x) => [x.goal, x.pass]));
    const git = { bytes_per_year: 120e6, field: "twoBranches.mainBytesPerYear", stocks: 2800 };
    expect(byGoal(checkGoals([one, fast], git, projectTen([one, fast]).dist_bytes))).toEqual({
      "incremental at 3 years ≤ 1/3 of the cold 3-year build": true,
      "incremental at 3 years ≤ the cold 1-year build": true,
      "cold 3-year build ≤ 3 × the cold 1-year build": true,
      "dist/ ≤ 1 GB at 10 years": false, // 300 + 100 × 9 = 1,200 MB
      "git ≤ 150 MB per year": true,
      "cold 3-year peak ≤ 6 GiB": true,
    });
    // Today's code: the nightly is a full rebuild; a slower 3-year build; more memory; no growth figure.
    const slow = sizeOf(3, buildOf(100, 200, 6200, 0), buildOf(95, 190, 6000, 0), 400e6);
    expect(byGoal(checkGoals([one, slow], null, projectTen([one, slow]).dist_bytes))).toEqual({
      "incremental at 3 years ≤ 1/3 of the cold 3-year build": false,
      "incremental at 3 years ≤ the cold 1-year build": false,
      "cold 3-year build ≤ 3 × the cold 1-year build": false,
      "dist/ ≤ 1 GB at 10 years": true, // 300 + 50 × 9 = 750 MB
      "git ≤ 150 MB per year": null,
      "cold 3-year peak ≤ 6 GiB": false,
    });
    const detail = checkGoals([one, slow], null, null).find((g) => g.goal.startsWith("incremental at 3 years ≤ 1/3"))!.detail;
    expect(detail).toBe("95.0 s vs 33.3 s (1/3 × 100.0 s); CPU 190.0 s vs 66.7 s (1/3 × 200.0 s): fail");
    // One size only: nothing that needs two sizes is judged.
    expect(byGoal(checkGoals([one], null, null))["cold 3-year build ≤ 3 × the cold 1-year build"]).toBeNull();
  });

  it("prints the issue's table with one column per size and the projection", () => {
    const one = sizeOf(1, buildOf(30, 50, 2048, 0), buildOf(12, 15, 1024, 0), 300e6);
    const three = sizeOf(3, buildOf(80, 160, 4096, 0), buildOf(14, 18, 1024, 0), 500e6);
    const t = markdownTable([one, three], projectTen([one, three]), null).split("\n");
    expect(t[0]).toBe("| | 1 year | 3 years | 10 years (projected) |");
    expect(t.slice(2).map((r) => r.split(" | ")[0])).toEqual([
      "| cold full build (loaders + export)",
      "| incremental nightly (one day appended)",
      "| peak memory",
      "| `dist/` size",
      "| git growth per year",
    ]);
    expect(t[2]).toBe("| cold full build (loaders + export) | 30.0 s (CPU 50.0 s) | 80.0 s (CPU 160.0 s) | 255.0 s (CPU 545.0 s) |");
    expect(t[5]).toBe("| `dist/` size | 300 MB | 500 MB | 1200 MB |");
    expect(t[6]).toContain("run the growth bench");
  });

  it("projects to twenty years and, with closed years as releases, shows main's growth and a clone's size in place of git growth", () => {
    const one = sizeOf(1, buildOf(30, 50, 2048, 0), buildOf(12, 15, 1024, 0), 300e6);
    const three = sizeOf(3, buildOf(80, 160, 4096, 0), buildOf(14, 18, 1024, 0), 500e6);
    const releases = { manifest_bytes_per_year: 20e3, files_per_year: 60, code_clone_bytes: 6e6, release_bytes_per_year: 102e6 };
    expect(cloneBytes(releases, 1)).toBe(6e6); // the open year is on data-open: no entry yet
    expect(cloneBytes(releases, 20)).toBe(6e6 + 19 * 20e3);
    const at20 = projectAt([one, three], 20);
    expect(at20.dist_bytes).toBe(300e6 + 100e6 * 19);
    const t = markdownTable([one, three], projectTen([one, three]), null, [{ at: 20, projection: at20 }], releases).split("\n");
    expect(t[0]).toBe("| | 1 year | 3 years | 10 years (projected) | 20 years (projected) |");
    expect(t[1]).toBe("| --- | --- | --- | --- | --- |");
    expect(t.find((r) => r.startsWith("| `dist/` size"))).toBe("| `dist/` size | 300 MB | 500 MB | 1200 MB | 2200 MB |");
    expect(t.find((r) => r.startsWith("| fresh clone"))).toBe("| fresh clone of `main` | 6 MB | 6 MB | 6 MB | 6 MB |");
    expect(t.find((r) => r.startsWith("| `main`'s growth"))).toContain("20.0 kB (manifest)");
    expect(t.some((r) => r.startsWith("| git growth per year"))).toBe(false);
    const byGoal = Object.fromEntries(checkYearGoals(at20, releases).map((g) => [g.goal, g.pass]));
    expect(byGoal).toEqual({ "main grows ≤ 10 MB a year": true, "fresh clone ≤ 100 MB at 20 years": true, "dist/ ≤ 1 GB at 20 years": false });
    const fat = { ...releases, code_clone_bytes: 99.7e6 }; // + 19 entries of 20 kB: 100.08 MB
    expect(checkYearGoals(at20, fat).find((g) => g.goal.startsWith("fresh clone"))?.pass).toBe(false);
  });

  it("reads git growth from the growth bench, preferring what main receives", async () => {
    const f = path.join(work, "growth.json");
    expect(readGitGrowth(f)).toBeNull();
    await writeFile(f, JSON.stringify({ stocks: 2800, perYear: { gitHistoryBytes: 447e6 } }));
    expect(readGitGrowth(f)).toEqual({ bytes_per_year: 447e6, field: "perYear.gitHistoryBytes", stocks: 2800 });
    await writeFile(f, JSON.stringify({ stocks: 2800, perYear: { gitHistoryBytes: 447e6 }, twoBranches: { mainBytesPerYear: 104e6 } }));
    expect(readGitGrowth(f)).toEqual({ bytes_per_year: 104e6, field: "twoBranches.mainBytesPerYear", stocks: 2800 });
  });
});
