// The site's older years at month-end resolution (data-loaders/publish/month-end.ts, issue #22 "the
// site stays <= 1 GB"): on a market spanning three calendar years (2024-11-27 to 2026-01-16, 14 stocks),
// one export with CCASS_SITE_FULL_YEARS=1 (2024 and 2025 month-end, 2026 full) against one with every
// year full (=3), both from the same cache. Read as the pages read them (hyparquet, trail.js,
// portfolio.js): a month-end year's parts rebuild exactly the full parts' holdings on every kept date
// (each month's last market date), hold no other date, and the full year's files are the same bytes;
// the market JSON says the resolution and how many dates the year had. Then the nightly as the
// site runs it: a tree kept from a build of 2024–2025 (both full at the default 2) and the first
// days of 2026 appended (2024 turns month-end) equals a cold build byte for byte. A bad setting is
// one line and exit 1.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parquetReadObjects } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openAnalytics } from "../data-loaders/compute/cache.ts";
import { exportApi } from "../data-loaders/publish/export.ts";
import { siteFullYears, SiteFullYearsError, yearResolution } from "../data-loaders/publish/month-end.ts";
import { writeSyntheticDataset } from "../src/replica/dataset-writer.ts";
import { copyDays } from "./helpers/dataset-days.ts";

const REPO = path.resolve(import.meta.dirname, "..");

interface Part {
  points: Record<string, unknown>[];
  days: Record<string, unknown>[];
}
interface History {
  days: { date: string; issued_shares: number; basis: number }[];
  dates: string[];
  keys: string[];
}
type Holding = { participant_key: string; shares: number; pct: number | null };
interface Trail {
  buildHistoryFromParts(parts: Part[]): History;
  holdingsOn(h: History, d: number): Holding[];
  compareDays(h: History, d0: number, d1: number): unknown[];
  participantHistory(h: History, key: string): { date: string; shares: number }[];
  portfolioOn(hs: Map<string, History>, key: string, date: string): unknown[];
}
interface Portfolio {
  buildPortfolioYear(year: number, points: unknown[], market: unknown[], dates: string[]): unknown;
  portfolioOnYears(books: Map<number, unknown>, date: string): unknown[];
  portfolioDates(books: Map<number, unknown>, year: number): string[];
}
const component = async <T>(name: string) => (await import(pathToFileURL(path.join(REPO, "src", "pages", "components", name)).href)) as T;
const trail = await component<Trail>("trail.js");
const pf = await component<Portfolio>("portfolio.js");

const MARKET = { seed: 7, stocks: 14, days: 280, end: "2026-01-16" };
const YEARS = [2024, 2025, 2026];
let tmp: string;
let data: string;
let coarse: string; // CCASS_SITE_FULL_YEARS=1: 2024 and 2025 at month-end
let full: string; // every year full

async function withFullYears<T>(value: string, work: () => Promise<T>): Promise<T> {
  const before = process.env.CCASS_SITE_FULL_YEARS;
  process.env.CCASS_SITE_FULL_YEARS = value;
  try {
    return await work();
  } finally {
    if (before === undefined) delete process.env.CCASS_SITE_FULL_YEARS;
    else process.env.CCASS_SITE_FULL_YEARS = before;
  }
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), "ccass-month-end-"));
  data = path.join(tmp, "parquet");
  coarse = path.join(tmp, "coarse");
  full = path.join(tmp, "full");
  await writeSyntheticDataset({ out: data, ...MARKET });
  const a = await openAnalytics(data, { cache: path.join(tmp, "cache") });
  try {
    await withFullYears("1", () => exportApi(a, coarse));
    await withFullYears("3", () => exportApi(a, full));
  } finally {
    a.db.close();
  }
}, 600_000);

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function readParquet(file: string): Promise<Record<string, unknown>[]> {
  const buf = await readFile(file);
  return parquetReadObjects({ file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength), compressors });
}
const iso = (d: unknown) => (d instanceof Date ? d.toISOString().slice(0, 10) : String(d));

async function part(tree: string, code: string, year: number): Promise<Part> {
  const dir = path.join(tree, "history", code);
  if (!existsSync(path.join(dir, `${year}.days.parquet`))) return { points: [], days: [] };
  return { points: await readParquet(path.join(dir, `${year}.parquet`)), days: await readParquet(path.join(dir, `${year}.days.parquet`)) };
}

async function marketJson(tree: string, year: number): Promise<{ year: number; dates: string[]; resolution?: string; stored_dates?: number }> {
  return JSON.parse(await readFile(path.join(tree, "history", "market", `${year}.json`), "utf8"));
}

/** Each month's last date among `dates` (the definition, computed here from the full tree's market dates). */
function monthEnds(dates: string[]): string[] {
  const last = new Map<string, string>();
  for (const d of [...dates].sort()) last.set(d.slice(0, 7), d);
  return [...last.values()];
}

async function stockCodes(tree: string): Promise<string[]> {
  return (await readdir(path.join(tree, "history"))).filter((x) => /^\d{5}$/.test(x)).sort();
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort();
}

describe("CCASS_SITE_FULL_YEARS", () => {
  it("is an integer of at least 1 (default 2); anything else is a one-line SiteFullYearsError", () => {
    expect(siteFullYears(undefined)).toBe(2);
    expect(siteFullYears("")).toBe(2);
    expect(siteFullYears("1")).toBe(1);
    expect(siteFullYears("20")).toBe(20);
    for (const bad of ["0", "-1", "1.5", "two", "2y", "1e3"]) {
      expect(() => siteFullYears(bad), bad).toThrow(SiteFullYearsError);
      expect(() => siteFullYears(bad), bad).toThrow(/^CCASS_SITE_FULL_YEARS must be an integer of at least 1/);
    }
    expect([2026, 2025, 2024].map((y) => yearResolution(y, 2026, 2))).toEqual(["full", "full", "month-end"]);
    expect([2026, 2025].map((y) => yearResolution(y, 2026, 1))).toEqual(["full", "month-end"]);
  });

  it("export-api with CCASS_SITE_FULL_YEARS=0 says so on one line, exits 1 and writes nothing", async () => {
    const out = path.join(tmp, "refused");
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ["--import", "tsx", path.join(REPO, "scripts", "export-api.ts"), "--data", data, "--out", out], {
        cwd: REPO,
        env: { ...process.env, CCASS_SITE_FULL_YEARS: "0", CCASS_CACHE: path.join(tmp, "refused-cache") },
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
      child.on("exit", (code) => resolve({ code, stderr }));
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^export-api: SiteFullYearsError: CCASS_SITE_FULL_YEARS must be an integer of at least 1 .*got "0"\n$/);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(path.join(tmp, "refused-cache"))).toBe(false);
  }, 120_000);
});

describe("month-end years (CCASS_SITE_FULL_YEARS=1 against every year full)", () => {
  it("the market JSON of a month-end year lists its month-ends and says the resolution and how many dates it had; the full year's is unchanged", async () => {
    for (const y of [2024, 2025]) {
      const f = await marketJson(full, y);
      const c = await marketJson(coarse, y);
      expect(f.resolution).toBeUndefined();
      expect(c).toEqual({ year: y, dates: monthEnds(f.dates), resolution: "month-end", stored_dates: f.dates.length });
    }
    expect((await marketJson(coarse, 2025)).dates).toHaveLength(12);
    expect((await marketJson(coarse, 2024)).dates.map((d) => d.slice(0, 7))).toEqual(["2024-11", "2024-12"]);
    expect(await marketJson(coarse, 2026)).toEqual(await marketJson(full, 2026));
  });

  it("every file of the full year (and every file outside the history years' parts) is the same bytes as in the all-full build", async () => {
    const [inC, inF] = await Promise.all([filesUnder(coarse), filesUnder(full)]);
    const yearOf = (f: string) => /\/(20\d\d)(?:\.days)?\.(?:parquet|json)$/.exec(f)?.[1] ?? /year=(20\d\d)\//.exec(f)?.[1];
    const same = inC.filter((f) => f !== "index.json" && (!f.startsWith("history/") || yearOf(f) === "2026" || f.startsWith("history/held/")));
    const history2026 = same.filter((f) => f.startsWith("history/") && yearOf(f) === "2026");
    expect(history2026.length).toBeGreaterThan(MARKET.stocks * 2);
    const differing: string[] = [];
    for (const f of same) {
      if (!inF.includes(f)) differing.push(`${f} (only in the month-end build)`);
      else if (!(await readFile(path.join(coarse, f))).equals(await readFile(path.join(full, f)))) differing.push(f);
    }
    // downloads' yearly parts hold every date whatever the site's resolution
    expect(differing).toEqual([]);
    expect(inF.filter((f) => !f.startsWith("history/") && f !== "index.json")).toEqual(inC.filter((f) => !f.startsWith("history/") && f !== "index.json"));
  });

  it("a month-end year's parts hold its kept dates only and rebuild, through trail.js, the full parts' holdings on every kept date of every stock", async () => {
    let checked = 0;
    let dropped = 0;
    for (const code of await stockCodes(full)) {
      for (const y of [2024, 2025]) {
        const [f, c] = await Promise.all([part(full, code, y), part(coarse, code, y)]);
        const ends = new Set(monthEnds((await marketJson(full, y)).dates));
        const kept = f.days.map((d) => iso(d.date)).filter((d) => ends.has(d));
        expect(c.days.map((d) => iso(d.date)), `${code} ${y} days`).toEqual(kept);
        // the kept days' rows are the full days part's rows of those dates
        expect(c.days).toEqual(f.days.filter((d) => ends.has(iso(d.date))));
        expect(new Set(c.points.map((p) => iso(p.date))).size).toBeLessThanOrEqual(kept.length);
        for (const p of c.points) expect(kept, `${code} ${y} row on ${iso(p.date)}`).toContain(iso(p.date));
        if (!kept.length) continue;
        const hf = trail.buildHistoryFromParts([f]);
        const hc = trail.buildHistoryFromParts([c]);
        expect(hc.dates).toEqual(kept);
        dropped += hf.dates.length - hc.dates.length;
        for (const [i, d] of hc.dates.entries()) {
          expect(trail.holdingsOn(hc, i), `${code} on ${d}`).toEqual(trail.holdingsOn(hf, hf.dates.indexOf(d)));
          checked++;
        }
        // a two-date view between the first and last kept dates
        expect(trail.compareDays(hc, 0, hc.dates.length - 1)).toEqual(trail.compareDays(hf, hf.dates.indexOf(kept[0]!), hf.dates.indexOf(kept.at(-1)!)));
      }
    }
    expect(checked).toBeGreaterThan(MARKET.stocks * 12);
    expect(dropped).toBeGreaterThan(MARKET.stocks * 200);
  });

  it("a participant's history over month-end and full years is the full history on the kept dates and every date of the full year", async () => {
    let compared = 0;
    for (const code of (await stockCodes(full)).slice(0, 6)) {
      const hf = trail.buildHistoryFromParts(await Promise.all(YEARS.map((y) => part(full, code, y))));
      const hc = trail.buildHistoryFromParts(await Promise.all(YEARS.map((y) => part(coarse, code, y))));
      for (const key of hf.keys.slice(0, 8)) {
        const want = trail.participantHistory(hf, key).filter((x) => hc.dates.includes(x.date));
        expect(trail.participantHistory(hc, key), `${code} ${key}`).toEqual(want);
        compared++;
      }
      expect(hc.dates.filter((d) => d.startsWith("2026-"))).toEqual(hf.dates.filter((d) => d.startsWith("2026-")));
    }
    expect(compared).toBeGreaterThan(20);
  });
});

describe("a participant's own parts of a month-end year (40 stocks, 2025-11 to 2026-01, CCASS_SITE_FULL_YEARS=1)", () => {
  // the three-year market above is too small for a participant of OWN_PART_MIN_STOCKS stocks
  let wide: string;
  let wideFull: string;
  beforeAll(async () => {
    const dir = path.join(tmp, "wide");
    await writeSyntheticDataset({ out: path.join(dir, "parquet"), seed: 1, stocks: 40, days: 50, end: "2026-01-20" });
    const a = await openAnalytics(path.join(dir, "parquet"), { cache: path.join(dir, "cache") });
    try {
      wide = path.join(dir, "coarse");
      wideFull = path.join(dir, "full");
      await withFullYears("1", () => exportApi(a, wide));
      await withFullYears("2", () => exportApi(a, wideFull));
    } finally {
      a.db.close();
    }
  }, 600_000);

  it("give, through portfolio.js, the portfolio of the full parts on every kept date, and are its rows of the month-end stock parts", async () => {
    const y = 2025;
    const heldDir = path.join(wide, "history", "held");
    const m = await marketJson(wide, y);
    expect(m.resolution).toBe("month-end");
    const marketRows = await readParquet(path.join(wide, "history", "market", `${y}.parquet`));
    let compared = 0;
    let owners = 0;
    for (const f of (await readdir(heldDir)).sort()) {
      const held = JSON.parse(await readFile(path.join(heldDir, f), "utf8")) as { participant_key: string; stocks: Record<string, number[]>; own?: number[] };
      if (!(held.own ?? []).includes(y)) continue;
      owners++;
      const file = path.join(wide, "history", "by-participant", f.replace(/\.json$/, ""), `${y}.parquet`);
      expect(existsSync(file), `${f} ${y}`).toBe(true);
      const own = await readParquet(file);
      const books = new Map([[y, pf.buildPortfolioYear(y, own, marketRows, m.dates)]]);
      const hs = new Map<string, History>();
      const expectedRows: Record<string, unknown>[] = [];
      for (const [code, ys] of Object.entries(held.stocks).sort()) {
        if (!ys.includes(y)) continue;
        hs.set(code, trail.buildHistoryFromParts([await part(wideFull, code, y)]));
        for (const r of (await part(wide, code, y)).points) if (r.participant_key === held.participant_key) expectedRows.push({ stock_code: code, date: r.date, shares: r.shares, security_id: r.security_id });
      }
      expect(own, `${held.participant_key}: its rows of the month-end stock parts`).toEqual(expectedRows);
      for (const d of m.dates) {
        expect(pf.portfolioOnYears(books, d), `${held.participant_key} on ${d}`).toEqual(trail.portfolioOn(hs, held.participant_key, d));
        compared++;
      }
      for (const d of pf.portfolioDates(books, y)) expect(m.dates).toContain(d);
    }
    expect(owners).toBeGreaterThanOrEqual(2);
    expect(m.dates.length).toBeGreaterThanOrEqual(2); // November's and December's month-ends
    expect(compared).toBe(owners * m.dates.length);
  }, 300_000);
});

/** export-api as the site build runs it: its own process, the kept tree and the cache folder given. */
function exportTree(dataDir: string, out: string, cache: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(REPO, "scripts", "export-api.ts"), "--data", dataDir, "--out", out, "--quiet"], {
      cwd: REPO,
      env: { ...process.env, CCASS_CACHE: cache, CCASS_TODAY: "2026-01-19", CCASS_SITE_FULL_YEARS: "", CCASS_DATA_HOST: "" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`export-api exited ${code}: ${stderr}`))));
  });
}

describe("a year turning month-end in the nightly", () => {
  it("the first night of 2026 rewrites 2024 once at month-end (default 2 full years), and the kept tree equals a cold build byte for byte", async () => {
    const market = JSON.parse(await readFile(path.join(full, "history", "market", "2025.json"), "utf8")) as { dates: string[] };
    const all = [...(await marketJson(full, 2024)).dates, ...market.dates, ...(await marketJson(full, 2026)).dates];
    const live = path.join(tmp, "live");
    const tree = path.join(tmp, "nightly", "v1");
    const state = path.join(tmp, "nightly-state");
    await copyDays(data, live, all.filter((d) => d < "2026-01-01"));
    await exportTree(live, tree, state);
    expect((await marketJson(tree, 2024)).resolution).toBeUndefined(); // 2024 and 2025: the newest two
    await copyDays(data, live, all.filter((d) => d >= "2026-01-01"));
    await exportTree(live, tree, state);
    const cold = path.join(tmp, "cold", "v1");
    await exportTree(live, cold, path.join(tmp, "cold-state"));
    expect((await marketJson(tree, 2024)).resolution).toBe("month-end");
    expect((await marketJson(tree, 2025)).resolution).toBeUndefined();
    const [a, b] = await Promise.all([filesUnder(tree), filesUnder(cold)]);
    expect(a.filter((f) => f.startsWith("history/")).length).toBeGreaterThan(MARKET.stocks * 6);
    expect(b).toEqual(a);
    const differing: string[] = [];
    for (const f of a) if (!(await readFile(path.join(tree, f))).equals(await readFile(path.join(cold, f)))) differing.push(f);
    expect(differing, `files differing between the nightly and a cold build: ${differing.join(", ")}`).toEqual([]);
  }, 600_000);
});
