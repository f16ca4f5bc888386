// bench/site-projection.ts: dist/'s bytes sorted into fixed files, years' history files and years'
// download parts; a year fitted as a fixed part plus a part per market date; the projection of N
// years for each way of publishing the older ones, and how many years fit a limit.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fitPerDate, fullYear, measureSite, projectSite, yearsWithin, type SiteComponents } from "../bench/site-projection.ts";

let dist: string;
const API = "_file/api/v1";
const FILES: Record<string, number> = {
  "index.html": 1000,
  "_file/components/vendor/duckdb/duckdb.wasm": 9000,
  [`${API}/stocks/00001.json`]: 500,
  [`${API}/history/held/B01000.json`]: 70,
  [`${API}/history/00001/2025.parquet`]: 3000,
  [`${API}/history/00001/2025.days.parquet`]: 800,
  [`${API}/history/by-participant/B01000/2025.parquet`]: 1200,
  [`${API}/history/00001/2026.parquet`]: 9000,
  [`${API}/history/00001/2026.days.parquet`]: 900,
  [`${API}/downloads/transfers/year=2025/transfers-2025.parquet`]: 400,
  [`${API}/downloads/transfers/year=2026/transfers-2026.parquet`]: 1400,
  [`${API}/downloads/concentration.parquet`]: 600,
};

beforeAll(async () => {
  dist = await mkdtemp(path.join(tmpdir(), "site-projection-"));
  for (const [f, n] of Object.entries(FILES)) {
    await mkdir(path.dirname(path.join(dist, f)), { recursive: true });
    await writeFile(path.join(dist, f), "x".repeat(n));
  }
  await mkdir(path.join(dist, API, "history/market"), { recursive: true });
  await writeFile(path.join(dist, API, "history/market/2025.json"), JSON.stringify({ dates: Array(10).fill("d") }));
  await writeFile(path.join(dist, API, "history/market/2026.json"), JSON.stringify({ dates: Array(30).fill("d") }));
});
afterAll(async () => {
  if (dist) await rm(dist, { recursive: true, force: true });
});

describe("measureSite", () => {
  it("sorts every file of dist/ into fixed bytes, a year's history and a year's download parts", async () => {
    const c = await measureSite(dist);
    const marketBytes = (y: number) => JSON.stringify({ dates: Array(y === 2025 ? 10 : 30).fill("d") }).length;
    expect(c.years).toEqual([
      { year: 2025, dates: 10, history: 3000 + 800 + 1200 + marketBytes(2025), daysParts: 800, downloads: 400 },
      { year: 2026, dates: 30, history: 9000 + 900 + marketBytes(2026), daysParts: 900, downloads: 1400 },
    ]);
    expect(c.fixed).toBe(1000 + 9000 + 500 + 70 + 600);
  });
});

describe("the projection", () => {
  const c: SiteComponents = {
    fixed: 100,
    years: [
      { year: 2025, dates: 10, history: 50 + 10 * 4, daysParts: 0, downloads: 10 * 2 },
      { year: 2026, dates: 30, history: 50 + 30 * 4, daysParts: 0, downloads: 30 * 2 },
    ],
  };
  it("fits a year as a fixed part plus a part per market date", () => {
    expect(fitPerDate([{ dates: 10, bytes: 90 }, { dates: 30, bytes: 170 }])).toEqual({ perYear: 50, perDate: 4 });
    expect(fitPerDate([{ dates: 20, bytes: 100 }])).toEqual({ perYear: 0, perDate: 5 });
    expect(fullYear(c, 100)).toEqual({ history: 450, downloads: 200 });
  });

  it("adds full years, coarse years at their share, and nothing for years on a data host", () => {
    const year = fullYear(c); // 248 dates: history 1042, downloads 496
    expect(year).toEqual({ history: 50 + 4 * 248, downloads: 2 * 248 });
    const monthEnd = { fullYears: 2, older: { host: false as const, monthEndYears: Infinity, monthEndRatio: 0.25, quarterEndRatio: 0.1 } };
    expect(projectSite(c, 1, monthEnd)).toBe(100 + 1042 + 496);
    expect(projectSite(c, 5, monthEnd)).toBe(100 + 2 * (1042 + 496) + 3 * (0.25 * 1042 + 496));
    const host = { fullYears: 2, older: { host: true as const } };
    expect(projectSite(c, 20, host)).toBe(projectSite(c, 2, host));
    expect(yearsWithin(c, host, 10_000)).toBe(Infinity);
    // 100 + 2 × 1538 = 3176, then 756.5 a year: 5 more years within 7000 (3176 + 5 × 756.5 = 6958.5)
    expect(yearsWithin(c, monthEnd, 7000)).toBe(7);
    expect(yearsWithin(c, monthEnd, 1000)).toBe(0);
    // one month-end year, then quarter-end ones
    const tiers = { fullYears: 2, older: { host: false as const, monthEndYears: 1, monthEndRatio: 0.25, quarterEndRatio: 0.1 } };
    expect(projectSite(c, 3, tiers)).toBe(projectSite(c, 3, monthEnd));
    expect(projectSite(c, 5, tiers)).toBe(100 + 2 * (1042 + 496) + (0.25 * 1042 + 496) + 2 * (0.1 * 1042 + 496));
  });
});
