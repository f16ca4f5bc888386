// The site's older years at month-end and quarter-end resolution (data-loaders/publish/month-end.ts,
// issue #22 "the site stays <= 1 GB"): on a market spanning three calendar years (2024-11-27 to
// 2026-01-16, 14 stocks), one export with CCASS_SITE_FULL_YEARS=1 and CCASS_SITE_MONTH_END_YEARS=2
// (2024 and 2025 month-end, 2026 full), one with =1 and =0 (2024 and 2025 quarter-end) against one
// with every year full (=3), all from the same cache. Read as the pages read them (hyparquet,
// trail.js, portfolio.js): a coarse year's parts rebuild exactly the full parts' holdings on every
// kept date (each month's or quarter's last market date), hold no other date, and the full year's
// files are the same bytes; the market JSON says the resolution and how many dates the year had; a
// stock JSON lists only the years it has a part of. Then the nightly as the site runs it: a tree kept
// from a build of 2024–2025 and the first days of 2026 appended (2024 turns month-end at the default;
// with one full and one month-end year, 2025 turns month-end and 2024 quarter-end, each rewritten
// once) equals a cold build byte for byte. A bad setting is one line and exit 1.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { gunzipSync } from "node:zlib";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { DuckDBInstance } from "@duckdb/node-api";
import { parquetReadObjects } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openAnalytics } from "../data-loaders/compute/cache.ts";
import { exportApi } from "../data-loaders/publish/export.ts";
import { DEFAULT_MONTH_END_YEARS, siteFullYears, SiteFullYearsError, siteMonthEndYears, SiteMonthEndYearsError, yearResolution } from "../data-loaders/publish/month-end.ts";
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
let coarse: string; // CCASS_SITE_FULL_YEARS=1, CCASS_SITE_MONTH_END_YEARS=2: 2024 and 2025 at month-end
let quarter: string; // CCASS_SITE_FULL_YEARS=1, CCASS_SITE_MONTH_END_YEARS=0: 2024 and 2025 at quarter-end
let full: string; // every year full

async function withFullYears<T>(value: string, work: () => Promise<T>, monthEndYears = "2"): Promise<T> {
  const before = [process.env.CCASS_SITE_FULL_YEARS, process.env.CCASS_SITE_MONTH_END_YEARS];
  process.env.CCASS_SITE_FULL_YEARS = value;
  process.env.CCASS_SITE_MONTH_END_YEARS = monthEndYears;
  try {
    return await work();
  } finally {
    for (const [name, was] of [["CCASS_SITE_FULL_YEARS", before[0]], ["CCASS_SITE_MONTH_END_YEARS", before[1]]] as const) {
      if (was === undefined) delete process.env[name];
      else process.env[name] = was;
    }
  }
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), "ccass-month-end-"));
  data = path.join(tmp, "parquet");
  coarse = path.join(tmp, "coarse");
  quarter = path.join(tmp, "quarter");
  full = path.join(tmp, "full");
  await writeSyntheticDataset({ out: data, ...MARKET });
  const a = await openAnalytics(data, { cache: path.join(tmp, "cache") });
  try {
    await withFullYears("1", () => exportApi(a, coarse));
    await withFullYears("1", () => exportApi(a, quarter), "0");
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

/** Each calendar quarter's last date among `dates` (Jan–Mar, Apr–Jun, Jul–Sep, Oct–Dec). */
function quarterEnds(dates: string[]): string[] {
  const last = new Map<string, string>();
  for (const d of [...dates].sort()) last.set(`${d.slice(0, 4)}Q${Math.ceil(Number(d.slice(5, 7)) / 3)}`, d);
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
    expect([2026, 2025, 2024].map((y) => yearResolution(y, 2026, 2, 1))).toEqual(["full", "full", "month-end"]);
    expect([2026, 2025].map((y) => yearResolution(y, 2026, 1, 1))).toEqual(["full", "month-end"]);
  });

  it("CCASS_SITE_MONTH_END_YEARS is an integer of at least 0 (default DEFAULT_MONTH_END_YEARS); anything else is a one-line SiteMonthEndYearsError", () => {
    expect(siteMonthEndYears(undefined)).toBe(DEFAULT_MONTH_END_YEARS);
    expect(siteMonthEndYears("")).toBe(DEFAULT_MONTH_END_YEARS);
    expect(siteMonthEndYears("0")).toBe(0);
    expect(siteMonthEndYears(" 3 ")).toBe(3);
    expect(siteMonthEndYears("18")).toBe(18);
    for (const bad of ["-1", "1.5", "two", "2y", "1e3", "0x2"]) {
      expect(() => siteMonthEndYears(bad), bad).toThrow(SiteMonthEndYearsError);
      expect(() => siteMonthEndYears(bad), bad).toThrow(/^CCASS_SITE_MONTH_END_YEARS must be an integer of at least 0/);
    }
  });

  it("the tiers: the newest FULL years full, the next M month-end, every older year quarter-end", () => {
    const tiers = (full: number, monthEnd: number) => [2026, 2025, 2024, 2023, 2022, 2021, 2007].map((y) => yearResolution(y, 2026, full, monthEnd));
    expect(tiers(2, 2)).toEqual(["full", "full", "month-end", "month-end", "quarter-end", "quarter-end", "quarter-end"]);
    expect(tiers(2, 0)).toEqual(["full", "full", "quarter-end", "quarter-end", "quarter-end", "quarter-end", "quarter-end"]);
    expect(tiers(1, 3)).toEqual(["full", "month-end", "month-end", "month-end", "quarter-end", "quarter-end", "quarter-end"]);
    expect(tiers(3, 20)).toEqual(["full", "full", "full", "month-end", "month-end", "month-end", "month-end"]);
  });

  it("export-api with CCASS_SITE_FULL_YEARS=0 or CCASS_SITE_MONTH_END_YEARS=-1, and build-site with CCASS_SITE_MONTH_END_YEARS=two, say so on one line, exit 1 and write nothing", async () => {
    const cases = [
      ["export-api", "CCASS_SITE_FULL_YEARS", "0", /^export-api: SiteFullYearsError: CCASS_SITE_FULL_YEARS must be an integer of at least 1 .*got "0"\n$/],
      ["export-api", "CCASS_SITE_MONTH_END_YEARS", "-1", /^export-api: SiteMonthEndYearsError: CCASS_SITE_MONTH_END_YEARS must be an integer of at least 0 .*got "-1"\n$/],
      ["build-site", "CCASS_SITE_MONTH_END_YEARS", "two", /^build-site: SiteMonthEndYearsError: CCASS_SITE_MONTH_END_YEARS must be an integer of at least 0 .*got "two"\n$/],
    ] as const;
    for (const [script, name, value, message] of cases) {
      const out = path.join(tmp, `refused-${script}-${name}`);
      const cache = path.join(tmp, `refused-cache-${script}-${name}`);
      const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, ["--import", "tsx", path.join(REPO, "scripts", `${script}.ts`), "--data", data, "--out", out], {
          cwd: REPO,
          env: { ...process.env, CCASS_SITE_FULL_YEARS: "", CCASS_SITE_MONTH_END_YEARS: "", [name]: value, CCASS_CACHE: cache },
          stdio: ["ignore", "ignore", "pipe"],
        });
        let stderr = "";
        child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
        child.on("exit", (code) => resolve({ code, stderr }));
      });
      expect(r.code, `${script} ${name}`).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(existsSync(out)).toBe(false);
      expect(existsSync(cache)).toBe(false);
    }
  }, 120_000);
});

describe("coarse years (CCASS_SITE_FULL_YEARS=1 with 2 or 0 month-end years, against every year full)", () => {
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

  it("the market JSON of a quarter-end year lists each quarter's last market date and says so; the full year's is unchanged", async () => {
    for (const y of [2024, 2025]) {
      const f = await marketJson(full, y);
      expect(await marketJson(quarter, y)).toEqual({ year: y, dates: quarterEnds(f.dates), resolution: "quarter-end", stored_dates: f.dates.length });
    }
    expect((await marketJson(quarter, 2025)).dates.map((d) => d.slice(5, 7))).toEqual(["03", "06", "09", "12"]);
    expect((await marketJson(quarter, 2024)).dates.map((d) => d.slice(0, 7))).toEqual(["2024-12"]);
    expect(await marketJson(quarter, 2026)).toEqual(await marketJson(full, 2026));
  });

  it("every file of the full year (and every file outside the history years' parts) is the same bytes as in the all-full build", async () => {
    const inF = await filesUnder(full);
    const yearOf = (f: string) => /\/(20\d\d)(?:\.days)?\.(?:parquet|json)$/.exec(f)?.[1] ?? /year=(20\d\d)\//.exec(f)?.[1];
    // a stock JSON's history_years lists a coarse year only where the stock has a part (checked below)
    const bytes = async (tree: string, f: string) => {
      const b = await readFile(path.join(tree, f));
      return f.startsWith("stocks/") ? Buffer.from(gunzipSync(b).toString("utf8").replace(/"history_years":\[[\d,]*\]/, "")) : b;
    };
    for (const tree of [coarse, quarter]) {
      const inC = await filesUnder(tree);
      const same = inC.filter((f) => f !== "index.json" && (!f.startsWith("history/") || yearOf(f) === "2026" || f.startsWith("history/held/")));
      const history2026 = same.filter((f) => f.startsWith("history/") && yearOf(f) === "2026");
      expect(history2026.length).toBeGreaterThan(MARKET.stocks * 2);
      const differing: string[] = [];
      for (const f of same) {
        if (!inF.includes(f)) differing.push(`${f} (only in the coarse build)`);
        else if (!(await bytes(tree, f)).equals(await bytes(full, f))) differing.push(f);
      }
      // downloads' yearly parts hold every date whatever the site's resolution
      expect(differing, tree).toEqual([]);
      expect(inF.filter((f) => !f.startsWith("history/") && f !== "index.json")).toEqual(inC.filter((f) => !f.startsWith("history/") && f !== "index.json"));
    }
  });

  for (const [label, tree, ends] of [["month-end", () => coarse, monthEnds], ["quarter-end", () => quarter, quarterEnds]] as const) {
    it(`a ${label} year's parts hold its kept dates only and rebuild, through trail.js, the full parts' holdings on every kept date of every stock`, async () => {
      let checked = 0;
      let dropped = 0;
      for (const code of await stockCodes(full)) {
        for (const y of [2024, 2025]) {
          const [f, c] = await Promise.all([part(full, code, y), part(tree(), code, y)]);
          const kept = new Set(ends((await marketJson(full, y)).dates));
          const keptOfStock = f.days.map((d) => iso(d.date)).filter((d) => kept.has(d));
          expect(c.days.map((d) => iso(d.date)), `${code} ${y} days`).toEqual(keptOfStock);
          // the kept days' rows are the full days part's rows of those dates
          expect(c.days).toEqual(f.days.filter((d) => kept.has(iso(d.date))));
          expect(new Set(c.points.map((p) => iso(p.date))).size).toBeLessThanOrEqual(keptOfStock.length);
          for (const p of c.points) expect(keptOfStock, `${code} ${y} row on ${iso(p.date)}`).toContain(iso(p.date));
          // no kept date: no part at all
          expect(existsSync(path.join(tree(), "history", code, `${y}.parquet`)), `${code} ${y} part`).toBe(keptOfStock.length > 0);
          if (!keptOfStock.length) continue;
          const hf = trail.buildHistoryFromParts([f]);
          const hc = trail.buildHistoryFromParts([c]);
          expect(hc.dates).toEqual(keptOfStock);
          dropped += hf.dates.length - hc.dates.length;
          for (const [i, d] of hc.dates.entries()) {
            expect(trail.holdingsOn(hc, i), `${code} on ${d}`).toEqual(trail.holdingsOn(hf, hf.dates.indexOf(d)));
            checked++;
          }
          // a two-date view between the first and last kept dates
          expect(trail.compareDays(hc, 0, hc.dates.length - 1)).toEqual(trail.compareDays(hf, hf.dates.indexOf(keptOfStock[0]!), hf.dates.indexOf(keptOfStock.at(-1)!)));
        }
      }
      // 2025: 12 month-ends or 4 quarter-ends a stock; 2024 (from late November): 2 or 1
      expect(checked).toBeGreaterThan(MARKET.stocks * (label === "month-end" ? 12 : 4));
      expect(dropped).toBeGreaterThan(MARKET.stocks * 200);
    });

    it(`a participant's history over ${label} and full years is the full history on the kept dates and every date of the full year`, async () => {
      let compared = 0;
      for (const code of (await stockCodes(full)).slice(0, 6)) {
        const hf = trail.buildHistoryFromParts(await Promise.all(YEARS.map((y) => part(full, code, y))));
        const hc = trail.buildHistoryFromParts(await Promise.all(YEARS.map((y) => part(tree(), code, y))));
        for (const key of hf.keys.slice(0, 8)) {
          const want = trail.participantHistory(hf, key).filter((x) => hc.dates.includes(x.date));
          expect(trail.participantHistory(hc, key), `${code} ${key}`).toEqual(want);
          compared++;
        }
        expect(hc.dates.filter((d) => d.startsWith("2026-"))).toEqual(hf.dates.filter((d) => d.startsWith("2026-")));
        expect(hc.dates.filter((d) => d < "2026-01-01").every((d) => ends(hf.dates.filter((x) => x.startsWith(d.slice(0, 4)))).length > 0)).toBe(true);
      }
      expect(compared).toBeGreaterThan(20);
    });

    it(`a stock's JSON lists the ${label} years only where it has a part (the stock page's year picker)`, async () => {
      for (const code of await stockCodes(full)) {
        const stockJson = async (t: string) => JSON.parse(gunzipSync(await readFile(path.join(t, "stocks", `${code}.json.gz`))).toString("utf8")) as { history_years: number[] };
        const [stock, fullStock] = await Promise.all([stockJson(tree()), stockJson(full)]);
        const withPart = YEARS.filter((y) => existsSync(path.join(tree(), "history", code, `${y}.days.parquet`)));
        expect(stock.history_years, code).toEqual(withPart);
        expect(fullStock.history_years, code).toEqual(YEARS.filter((y) => existsSync(path.join(full, "history", code, `${y}.days.parquet`))));
      }
    });
  }
});

describe("a stock stored in a quarter-end year but on none of its kept dates (CCASS_SITE_FULL_YEARS=1, CCASS_SITE_MONTH_END_YEARS=0)", () => {
  // the three-year market with one stock's rows taken out of 2024's one quarter-end (its last market date)
  let gap: string;
  let code: string;
  beforeAll(async () => {
    const dates = (await Promise.all(YEARS.map(async (y) => (await marketJson(full, y)).dates))).flat();
    const gapData = path.join(tmp, "gap", "parquet");
    await copyDays(data, gapData, dates);
    const lastOf2024 = quarterEnds((await marketJson(full, 2024)).dates).at(-1)!;
    code = (await stockCodes(full)).find((c) => existsSync(path.join(full, "history", c, "2024.days.parquet")))!;
    const db = await DuckDBInstance.create(":memory:");
    const conn = await db.connect();
    try {
      for (const t of ["holdings", "summary", "stocks", "southbound"]) {
        const file = path.join(gapData, t, `month=${lastOf2024.slice(0, 7)}`, `${lastOf2024}.parquet`);
        if (!existsSync(file)) continue;
        await conn.run(`COPY (SELECT * FROM read_parquet('${file}') WHERE stock_code <> '${code}') TO '${file}.tmp' (FORMAT parquet)`);
        await rename(`${file}.tmp`, file);
      }
    } finally {
      conn.closeSync();
      db.closeSync();
    }
    const a = await openAnalytics(gapData, { cache: path.join(tmp, "gap", "cache") });
    try {
      gap = path.join(tmp, "gap", "tree");
      await withFullYears("1", () => exportApi(a, gap), "0");
    } finally {
      a.db.close();
    }
  }, 600_000);

  it("has no 2024 part, and its JSON does not offer 2024 (the stock page's year picker lists history_years)", async () => {
    const stockJson = async (t: string) => JSON.parse(gunzipSync(await readFile(path.join(t, "stocks", `${code}.json.gz`))).toString("utf8")) as { history_years: number[]; dates: string[] };
    const days2024 = (await part(full, code, 2024)).days.length;
    expect(days2024, `${code}: stored on other 2024 dates`).toBeGreaterThan(1);
    expect((await marketJson(gap, 2024)).resolution).toBe("quarter-end");
    expect(existsSync(path.join(gap, "history", code, "2024.days.parquet"))).toBe(false);
    expect((await stockJson(full)).history_years).toEqual(YEARS);
    expect((await stockJson(gap)).history_years).toEqual([2025, 2026]);
    // another stock, stored on the quarter-end, keeps 2024
    const other = (await stockCodes(gap)).find((c) => c !== code && existsSync(path.join(gap, "history", c, "2024.days.parquet")))!;
    expect(JSON.parse(gunzipSync(await readFile(path.join(gap, "stocks", `${other}.json.gz`))).toString("utf8")).history_years).toContain(2024);
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
function exportTree(dataDir: string, out: string, cache: string, settings: Record<string, string> = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(REPO, "scripts", "export-api.ts"), "--data", dataDir, "--out", out, "--quiet"], {
      cwd: REPO,
      env: { ...process.env, CCASS_CACHE: cache, CCASS_TODAY: "2026-01-19", CCASS_SITE_FULL_YEARS: "", CCASS_SITE_MONTH_END_YEARS: "", CCASS_DATA_HOST: "", ...settings },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`export-api exited ${code}: ${stderr}`))));
  });
}

describe("a year turning month-end in the nightly", () => {
  it("the first night of 2026 rewrites 2024 once, coarse at the defaults (2 full years, DEFAULT_MONTH_END_YEARS), and the kept tree equals a cold build byte for byte", async () => {
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
    expect((await marketJson(tree, 2024)).resolution).toBe(yearResolution(2024, 2026, 2, DEFAULT_MONTH_END_YEARS));
    expect((await marketJson(tree, 2024)).resolution).not.toBe("full");
    expect((await marketJson(tree, 2025)).resolution).toBeUndefined();
    const [a, b] = await Promise.all([filesUnder(tree), filesUnder(cold)]);
    expect(a.filter((f) => f.startsWith("history/")).length).toBeGreaterThan(MARKET.stocks * 6);
    expect(b).toEqual(a);
    const differing: string[] = [];
    for (const f of a) if (!(await readFile(path.join(tree, f))).equals(await readFile(path.join(cold, f)))) differing.push(f);
    expect(differing, `files differing between the nightly and a cold build: ${differing.join(", ")}`).toEqual([]);
  }, 600_000);

  it("with one full and one month-end year, the first night of 2026 turns 2025 month-end and 2024 quarter-end, each rewritten once, and the kept tree equals a cold build", async () => {
    const settings = { CCASS_SITE_FULL_YEARS: "1", CCASS_SITE_MONTH_END_YEARS: "1" };
    const all = [2024, 2025, 2026].map(async (y) => (await marketJson(full, y)).dates);
    const dates = (await Promise.all(all)).flat();
    const live = path.join(tmp, "live-tiers");
    const tree = path.join(tmp, "nightly-tiers", "v1");
    const state = path.join(tmp, "nightly-tiers-state");
    await copyDays(data, live, dates.filter((d) => d < "2026-01-01"));
    await exportTree(live, tree, state, settings);
    expect((await marketJson(tree, 2024)).resolution).toBe("month-end");
    expect((await marketJson(tree, 2025)).resolution).toBeUndefined();
    await copyDays(data, live, dates.filter((d) => d >= "2026-01-01"));
    await exportTree(live, tree, state, settings);
    expect((await marketJson(tree, 2024)).resolution).toBe("quarter-end");
    expect((await marketJson(tree, 2025)).resolution).toBe("month-end");
    expect((await marketJson(tree, 2024)).dates).toEqual(quarterEnds((await marketJson(full, 2024)).dates));
    const cold = path.join(tmp, "cold-tiers", "v1");
    await exportTree(live, cold, path.join(tmp, "cold-tiers-state"), settings);
    const [a, b] = await Promise.all([filesUnder(tree), filesUnder(cold)]);
    expect(b).toEqual(a);
    const differing: string[] = [];
    for (const f of a) if (!(await readFile(path.join(tree, f))).equals(await readFile(path.join(cold, f)))) differing.push(f);
    expect(differing, `files differing between the nightly and a cold build: ${differing.join(", ")}`).toEqual([]);
    // once: the next night with nothing new keeps the coarse years' files (the same inodes, linked)
    const coarseFiles = a.filter((f) => /^history\/(?:\d{5}|market|by-participant\/[\w-]+)\/(2024|2025)\./.test(f));
    expect(coarseFiles.length).toBeGreaterThan(MARKET.stocks * 2);
    const inodes = async () => Promise.all(coarseFiles.map(async (f) => (await stat(path.join(tree, f))).ino));
    const before = await inodes();
    await exportTree(live, tree, state, settings);
    expect(await inodes()).toEqual(before);
  }, 600_000);
});
