// The per-stock yearly history parts (data-loaders/publish/history-parts.ts) read as the pages read them
// (hyparquet + src/pages/components/trail.js), on a market that spans two calendar years (60 days
// ending 2026-01-20: 2025 is a closed year, with a 1:10 split of 00634 on 2025-11-27): the holdings
// of any stored date rebuilt from its year's part alone, the change between two dates from their two
// parts, a participant's history across the year boundary, all equal the Parquet dataset's holdings;
// across a split both dates are in the later date's basis (the ratio from the synthetic market's
// ground truth, not from the cache). A closed year's parts do not change when days are appended.
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parquetReadObjects } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openAnalytics } from "../data-loaders/compute/cache.ts";
import { createHistorySources, InsertionOrderError, OWN_PART_MIN_STOCKS, participantFolder, writeHistoryParts } from "../data-loaders/publish/history-parts.ts";
import { exportApi } from "../data-loaders/publish/export.ts";
import { openDb, rows, type Db } from "../data-loaders/compute/duck.ts";
import { sqlString } from "../src/lib/sql.ts";
import { writeSyntheticDataset } from "../src/replica/dataset-writer.ts";
import { installSqlViews } from "./helpers/sql-views.ts";

interface Day {
  date: string;
  issued_shares: number;
  basis: number;
  ca_kind: string | null;
}
interface Part {
  points: Record<string, unknown>[];
  days: Record<string, unknown>[];
}
interface History {
  days: Day[];
  dates: string[];
  keys: string[];
}
interface Trail {
  buildHistory(points: unknown[], days: unknown[]): History;
  buildHistoryFromParts(parts: Part[]): History;
  listedSharesOn(h: History, d: number): number;
  holdingsOn(h: History, d: number): { participant_key: string; shares: number; pct: number | null }[];
  compareDays(h: History, d0: number, d1: number): { participant_key: string; shares_before: number; shares_after: number; change: number; status: string }[];
  participantHistory(h: History, key: string): { date: string; shares: number }[];
  portfolioOn(hs: Map<string, History>, key: string, date: string): { stock_code: string; shares: number }[];
  portfolioChange(hs: Map<string, History>, key: string, d0: string, d1: string): { stock_code: string; shares_before: number; shares_after: number; status: string }[];
}
const trail = (await import(pathToFileURL(path.join(import.meta.dirname, "..", "src", "pages", "components", "trail.js")).href)) as Trail;

let tmp: string;
let data: string;
let api: string;
let db: Db;
let splits: { date: string; stock_code: string; ratio: number; kind: string }[];

// a small random generator with a fixed seed: the same pairs every run
function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), "ccass-history-"));
  data = path.join(tmp, "parquet");
  api = path.join(tmp, "api");
  // seed 1, 40 stocks × 60 days: the market holds a 1:10 split (stock 00634 on 2025-11-27)
  await writeSyntheticDataset({ out: data, seed: 1, stocks: 40, days: 60, end: "2026-01-20" });
  const a = await openAnalytics(data, { cache: path.join(tmp, "cache") });
  try {
    await exportApi(a, api);
  } finally {
    a.db.close();
  }
  splits = (JSON.parse(await readFile(path.join(data, "_truth", "corporate-actions.json"), "utf8")) as typeof splits).filter(
    (c) => c.kind === "split" || c.kind === "consolidation",
  );
  db = await openDb(":memory:");
});

afterAll(async () => {
  db?.close();
  await rm(tmp, { recursive: true, force: true });
});

async function readParquet(file: string): Promise<Record<string, unknown>[]> {
  const buf = await readFile(file);
  return parquetReadObjects({ file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength), compressors });
}

const YEARS = [2025, 2026];

/** One year's part of a stock as the page decodes it. */
async function part(code: string, year: number, dir = path.join(api, "history")): Promise<Part> {
  if (!existsSync(path.join(dir, code, `${year}.days.parquet`))) return { points: [], days: [] }; // not listed that year
  return { points: await readParquet(path.join(dir, code, `${year}.parquet`)), days: await readParquet(path.join(dir, code, `${year}.days.parquet`)) };
}

/** The history over `years` (every year by default) from those parts only. */
const histories = new Map<string, History>();
async function history(code: string, years: number[] = YEARS): Promise<History> {
  const id = `${code} ${years.join(",")}`;
  if (!histories.has(id)) histories.set(id, trail.buildHistoryFromParts(await Promise.all(years.map((y) => part(code, y)))));
  return histories.get(id)!;
}

/** The dataset's own holdings of a stock on a date: participant_key → shares. */
async function parquetHoldings(code: string, date: string): Promise<Map<string, number>> {
  const r = await rows<{ participant_key: string; shares: number }>(
    db.conn,
    `SELECT participant_key, shares FROM read_parquet(${sqlString(path.join(data, "holdings", "*", "*.parquet"))})
     WHERE stock_code = ${sqlString(code)} AND date = DATE ${sqlString(date)} AND shares > 0`,
  );
  return new Map(r.map((x) => [x.participant_key, x.shares]));
}

async function storedDates(code: string): Promise<string[]> {
  const r = await rows<{ d: string }>(
    db.conn,
    `SELECT DISTINCT strftime(date, '%Y-%m-%d') AS d FROM read_parquet(${sqlString(path.join(data, "summary", "*", "*.parquet"))}) WHERE stock_code = ${sqlString(code)} ORDER BY 1`,
  );
  return r.map((x) => x.d);
}

async function stockCodes(): Promise<string[]> {
  const r = await rows<{ c: string }>(db.conn, `SELECT DISTINCT stock_code AS c FROM read_parquet(${sqlString(path.join(data, "summary", "*", "*.parquet"))}) ORDER BY 1`);
  return r.map((x) => x.c);
}

describe("history parts", () => {
  it("the holdings of 20 random (stock, date) pairs, each rebuilt from its year's part alone, equal the Parquet holdings row for row", async () => {
    const codes = await stockCodes();
    const rand = rng(42);
    let checked = 0;
    for (let i = 0; checked < 20; i++) {
      const code = codes[Math.floor(rand() * codes.length)]!;
      const year = YEARS[i % 2]!; // half of them in the closed year
      const h = await history(code, [year]);
      if (!h.dates.length) continue;
      expect(h.dates.every((d) => d.startsWith(String(year)))).toBe(true);
      const d = Math.floor(rand() * h.dates.length);
      const shown = trail.holdingsOn(h, d);
      const expected = await parquetHoldings(code, h.dates[d]!);
      expect(shown.length, `${code} ${h.dates[d]}`).toBe(expected.size);
      for (const row of shown) expect(row.shares, `${code} ${h.dates[d]} ${row.participant_key}`).toBe(expected.get(row.participant_key));
      // largest first, as listed
      for (let j = 1; j < shown.length; j++) expect(shown[j - 1]!.shares).toBeGreaterThanOrEqual(shown[j]!.shares);
      checked++;
    }
  });

  it("a day's listed holdings, rebuilt from the closed year's part, add up to the summary's intermediaries + consenting shares", async () => {
    const h = await history("00634", [2025]);
    const r = await rows<{ d: string; t: number }>(
      db.conn,
      `SELECT strftime(date, '%Y-%m-%d') AS d, intermediaries_shares + consenting_shares AS t FROM read_parquet(${sqlString(path.join(data, "summary", "*", "*.parquet"))})
       WHERE stock_code = '00634' AND year(date) = 2025`,
    );
    expect(r.length).toBe(h.dates.length);
    for (const x of r) expect(trail.listedSharesOn(h, h.dates.indexOf(x.d)), x.d).toBe(x.t);
  });

  it("20 two-date views from the dates' parts equal the Parquet holdings of both dates; across the 2025 split to a 2026 date in the later basis", async () => {
    expect(splits.length).toBeGreaterThan(0);
    const codes = await stockCodes();
    const rand = rng(7);
    const split = splits[0]!;
    expect(split.date.slice(0, 4)).toBe("2025");
    const whole = await history(split.stock_code);
    const sd = whole.dates.indexOf(split.date);
    expect(sd).toBeGreaterThan(0);
    const first2026 = whole.dates.findIndex((d) => d.startsWith("2026"));
    const pairs: [string, string, string][] = [[split.stock_code, whole.dates[sd - 5]!, whole.dates[first2026 + 3]!]];
    while (pairs.length < 20) {
      const code = codes[Math.floor(rand() * codes.length)]!;
      const h = await history(code);
      const a = Math.floor(rand() * h.dates.length);
      const b = Math.floor(rand() * h.dates.length);
      if (a !== b) pairs.push([code, h.dates[Math.min(a, b)]!, h.dates[Math.max(a, b)]!]);
    }
    for (const [code, date0, date1] of pairs) {
      const years = [...new Set([Number(date0.slice(0, 4)), Number(date1.slice(0, 4))])];
      const h = await history(code, years);
      const [d0, d1] = [h.dates.indexOf(date0), h.dates.indexOf(date1)];
      // the basis ratio from the ground truth: every split/consolidation after date0 up to date1
      const ratio = splits.filter((c) => c.stock_code === code && c.date > date0 && c.date <= date1).reduce((r, c) => r * c.ratio, 1);
      if (code === split.stock_code) expect(ratio).toBe(10);
      const before = await parquetHoldings(code, date0);
      const after = await parquetHoldings(code, date1);
      const shown = trail.compareDays(h, d0, d1);
      const keys = new Set([...before.keys(), ...after.keys()]);
      expect(shown.length, `${code} ${date0}→${date1}`).toBe(keys.size);
      for (const row of shown) {
        const b = Math.round((before.get(row.participant_key) ?? 0) * ratio);
        const a = after.get(row.participant_key) ?? 0;
        expect([row.shares_before, row.shares_after, row.change], `${code} ${row.participant_key}`).toEqual([b, a, a - b]);
        expect(row.status).toBe(!before.has(row.participant_key) ? "entered" : !after.has(row.participant_key) ? "left" : "");
      }
      for (let j = 1; j < shown.length; j++) expect(Math.abs(shown[j - 1]!.change)).toBeGreaterThanOrEqual(Math.abs(shown[j]!.change));
    }
  });

  it("a participant's history over both parts is its Parquet holding on every stored date, continuous across the year boundary", async () => {
    const glob = sqlString(path.join(data, "holdings", "*", "*.parquet"));
    // positions held on a stock's last 2025 date that are gone on its first 2026 date (the part
    // boundary is where the series must drop to 0), and ones held through it
    const boundary = await rows<{ c: string; k: string; through: boolean }>(
      db.conn,
      `WITH d AS (SELECT stock_code, max(date) FILTER (WHERE year(date) = 2025) AS a, min(date) FILTER (WHERE year(date) = 2026) AS b
                  FROM read_parquet(${sqlString(path.join(data, "summary", "*", "*.parquet"))}) GROUP BY 1),
       h AS (SELECT * FROM read_parquet(${glob}) WHERE shares > 0)
       SELECT x.stock_code AS c, x.participant_key AS k, y.participant_key IS NOT NULL AS through
       FROM h x JOIN d ON d.stock_code = x.stock_code AND x.date = d.a
       LEFT JOIN h y ON y.stock_code = x.stock_code AND y.participant_key = x.participant_key AND y.date = d.b
       ORDER BY through, c, k`,
    );
    const gone = boundary.filter((x) => !x.through).slice(0, 3);
    const kept = boundary.filter((x) => x.through).slice(0, 2);
    expect(gone.length).toBeGreaterThan(0);
    for (const { c: code, k: key } of [...gone, ...kept]) {
      const h = await history(code);
      const series = trail.participantHistory(h, key);
      expect(series.map((x) => x.date)).toEqual(await storedDates(code));
      const want = new Map(
        (await rows<{ d: string; s: number }>(db.conn, `SELECT strftime(date, '%Y-%m-%d') AS d, shares AS s FROM read_parquet(${glob}) WHERE stock_code = ${sqlString(code)} AND participant_key = ${sqlString(key)} AND shares > 0`)).map((x) => [x.d, x.s]),
      );
      for (const point of series) expect(point.shares, `${code} ${key} ${point.date}`).toBe(want.get(point.date) ?? 0);
    }
  });

  it("participant portfolios on 20 random (participant, date) pairs and their change between two dates, from the held/ years' parts, equal the Parquet holdings", async () => {
    const glob = sqlString(path.join(data, "holdings", "*", "*.parquet"));
    const keys = (await rows<{ k: string }>(db.conn, `SELECT DISTINCT participant_key AS k FROM read_parquet(${glob}) ORDER BY 1`)).map((x) => x.k);
    const dates = (await history("00634")).dates;
    const split = splits[0]!;
    const rand = rng(99);
    // the split stock's biggest holder too, so one change crosses the split (and the year)
    const splitHolder = (await rows<{ k: string }>(db.conn, `SELECT participant_key AS k FROM read_parquet(${glob}) WHERE stock_code = '00634' ORDER BY shares DESC, 1 LIMIT 1`))[0]!.k;
    for (let i = 0; i < 20; i++) {
      const key = i === 0 ? splitHolder : keys[Math.floor(rand() * keys.length)]!;
      const held = JSON.parse(await readFile(path.join(api, "history", "held", `${key.replace(":", "-").replace("#", "-")}.json`), "utf8")) as { stocks: Record<string, number[]> };
      const [d0, d1] = i === 0 ? [dates[dates.indexOf(split.date) - 3]!, dates.find((d) => d.startsWith("2026"))!] : [dates[Math.floor(rand() * 30)]!, dates[30 + Math.floor(rand() * 30)]!];
      const years = [...new Set([Number(d0.slice(0, 4)), Number(d1.slice(0, 4))])];
      // as the page loads them: the parts of those years of the stocks held in them, dates only for the other year
      const hs = new Map<string, History>();
      for (const [code, ys] of Object.entries(held.stocks)) {
        if (!ys.some((y) => years.includes(y))) continue;
        const parts = await Promise.all(years.map(async (y) => (ys.includes(y) ? part(code, y) : { points: [], days: (await part(code, y)).days })));
        hs.set(code, trail.buildHistoryFromParts(parts));
      }
      const on = async (d: string) =>
        new Map(
          (await rows<{ c: string; s: number }>(db.conn, `SELECT stock_code AS c, shares AS s FROM read_parquet(${glob}) WHERE participant_key = ${sqlString(key)} AND date = DATE ${sqlString(d)} AND shares > 0`)).map((x) => [x.c, x.s]),
        );
      const [b, a] = [await on(d0), await on(d1)];
      const shown = trail.portfolioOn(hs, key, d1);
      expect(new Map(shown.map((r) => [r.stock_code, r.shares])), `${key} ${d1}`).toEqual(a);
      const change = trail.portfolioChange(hs, key, d0, d1);
      expect(change.length, `${key} ${d0}→${d1}`).toBe(new Set([...b.keys(), ...a.keys()]).size);
      for (const r of change) {
        const ratio = splits.filter((c) => c.stock_code === r.stock_code && c.date > d0 && c.date <= d1).reduce((x, c) => x * c.ratio, 1);
        expect([r.shares_before, r.shares_after], `${key} ${r.stock_code}`).toEqual([Math.round((b.get(r.stock_code) ?? 0) * ratio), a.get(r.stock_code) ?? 0]);
      }
      if (i === 0) expect(change.find((r) => r.stock_code === "00634")!.shares_before).toBe(Math.round(b.get("00634")! * 10));
    }
  });

  it("each participant's own parts (by-participant/ + market/) give every portfolio, change and date list the per-stock parts give", async () => {
    const pf = (await import(pathToFileURL(path.join(import.meta.dirname, "..", "src", "pages", "components", "portfolio.js")).href)) as {
      buildPortfolioYear(year: number, points: unknown[], market: unknown[], dates: string[]): unknown;
      buildPortfolioYearFromStocks(year: number, key: string, stocks: ({ code: string } & Part)[]): unknown;
      portfolioDates(books: Map<number, unknown>, year: number): string[];
      portfolioOnYears(books: Map<number, unknown>, date: string): unknown[];
      portfolioChangeYears(books: Map<number, unknown>, d0: string, d1: string): unknown[];
    };
    const dir = path.join(api, "history");
    const market = new Map<number, { dates: string[]; rows: Record<string, unknown>[] }>();
    for (const y of YEARS) {
      market.set(y, { dates: (JSON.parse(await readFile(path.join(dir, "market", `${y}.json`), "utf8")) as { dates: string[] }).dates, rows: await readParquet(path.join(dir, "market", `${y}.parquet`)) });
    }
    const dates = [...market.values()].flatMap((m) => m.dates);
    expect(dates).toEqual((await history("00634")).dates); // 00634 is stored on every market date of the fixture
    const split = splits[0]!;
    // a comparison across the split (and the year), one inside 2025, one inside 2026, one across the year
    const pairs: [string, string][] = [
      [dates[dates.indexOf(split.date) - 3]!, dates.find((d) => d.startsWith("2026"))!],
      [dates[2]!, dates[dates.indexOf(split.date) + 1]!],
      [dates[dates.length - 10]!, dates[dates.length - 1]!],
      [dates[0]!, dates[dates.length - 1]!],
    ];
    // the five widest holders, the split stock's biggest holder and 14 others at random (reading
    // every participant's per-stock parts is minutes on this machine)
    const all = await Promise.all((await readdir(path.join(dir, "held"))).sort().map(async (f) => ({ f, n: Object.keys((JSON.parse(await readFile(path.join(dir, "held", f), "utf8")) as { stocks: object }).stocks).length })));
    const rand = rng(7);
    const splitHolder = (await rows<{ k: string }>(db.conn, `SELECT participant_key AS k FROM read_parquet(${sqlString(path.join(data, "holdings", "*", "*.parquet"))}) WHERE stock_code = '00634' ORDER BY shares DESC, 1 LIMIT 1`))[0]!.k;
    const files = [...new Set([
      ...[...all].sort((a, b) => b.n - a.n || (a.f < b.f ? -1 : 1)).slice(0, 5).map((x) => x.f),
      `${splitHolder.replace(":", "-").replace("#", "-")}.json`,
      ...Array.from({ length: 14 }, () => all[Math.floor(rand() * all.length)]!.f),
    ])];
    const parts = new Map<string, Promise<Part>>();
    const cachedPart = (code: string, y: number) => {
      if (!parts.has(`${code}/${y}`)) parts.set(`${code}/${y}`, part(code, y));
      return parts.get(`${code}/${y}`)!;
    };
    let compared = 0;
    const usedOwn: [number, number] = [0, 0]; // books from stock parts, from own parts: both paths run
    for (const f of files) {
      const { participant_key: key, stocks, own = [] } = JSON.parse(await readFile(path.join(dir, "held", f), "utf8")) as { participant_key: string; stocks: Record<string, number[]>; own?: number[] };
      const folder = path.join(dir, "by-participant", f.replace(/\.json$/, ""));
      for (const [d0, d1] of pairs) {
        const years = [...new Set([Number(d0.slice(0, 4)), Number(d1.slice(0, 4))])];
        if (!Object.values(stocks).some((ys) => ys.some((y) => years.includes(y)))) continue;
        // the old path: the parts of those years of the stocks held in them, dates only for the other year
        const hs = new Map<string, History>();
        for (const [code, ys] of Object.entries(stocks).sort()) {
          if (!ys.some((y) => years.includes(y))) continue;
          hs.set(code, trail.buildHistoryFromParts(await Promise.all(years.map(async (y) => (ys.includes(y) ? cachedPart(code, y) : { points: [], days: (await cachedPart(code, y)).days })))));
        }
        // the new path: its own file of each year and the year's market file where held/ lists the
        // year in `own`, else (few stocks) the stock parts of that year, both as the page builds them
        const books = new Map<number, unknown>();
        for (const y of years) {
          const file = path.join(folder, `${y}.parquet`);
          expect(existsSync(file), `${key} ${y}`).toBe(own.includes(y));
          if (own.includes(y)) books.set(y, pf.buildPortfolioYear(y, await readParquet(file), market.get(y)!.rows, market.get(y)!.dates));
          else {
            const held = Object.keys(stocks).filter((c) => stocks[c]!.some((x) => years.includes(x)));
            books.set(y, pf.buildPortfolioYearFromStocks(y, key, await Promise.all(held.map(async (code) => ({ code, ...(stocks[code]!.includes(y) ? await cachedPart(code, y) : { points: [], days: (await cachedPart(code, y)).days }) })))));
          }
          usedOwn[own.includes(y) ? 1 : 0]! += 1;
        }
        for (const d of [d0, d1]) {
          expect(pf.portfolioOnYears(books, d), `${key} on ${d}`).toEqual(trail.portfolioOn(hs, key, d));
          const y = Number(d.slice(0, 4));
          const oldDates = [...new Set([...hs.values()].flatMap((h) => h.dates.filter((x) => x.startsWith(`${y}-`))))].sort().reverse();
          expect(pf.portfolioDates(books, y), `${key} dates of ${y}`).toEqual(oldDates);
        }
        expect(pf.portfolioChangeYears(books, d0, d1), `${key} ${d0}→${d1}`).toEqual(trail.portfolioChange(hs, key, d0, d1));
        compared++;
      }
    }
    expect(files.length).toBeGreaterThan(15);
    expect(usedOwn[0]).toBeGreaterThan(5);
    expect(usedOwn[1]).toBeGreaterThan(5);
    expect(compared).toBeGreaterThan(files.length * 3);
    // every row of the stock parts is in its participant's file of that year (where it has one), and no other row
    const glob = (g: string) => sqlString(path.join(dir, g));
    const [diff] = await rows<{ a: number; b: number; n: number }>(
      db.conn,
      `WITH s AS (SELECT regexp_extract(filename, '/(\\d{5})/\\d{4}\\.parquet$', 1) AS stock_code, participant_key, date, shares FROM read_parquet(${glob("[0-9]*/[0-9][0-9][0-9][0-9].parquet")}, filename = true)),
            p AS (SELECT stock_code, date, shares, regexp_extract(filename, '/by-participant/([^/]+)/', 1) AS f FROM read_parquet(${glob("by-participant/*/*.parquet")}, filename = true))
       SELECT (SELECT count(*) FROM (SELECT stock_code, replace(replace(participant_key, ':', '-'), '#', '-') AS f, date, shares FROM s
                 WHERE (replace(replace(participant_key, ':', '-'), '#', '-'), year(date)) IN (SELECT (f, year(date)) FROM p) EXCEPT ALL SELECT stock_code, f, date, shares FROM p)) AS a,
              (SELECT count(*) FROM (SELECT stock_code, f, date, shares FROM p EXCEPT ALL SELECT stock_code, replace(replace(participant_key, ':', '-'), '#', '-'), date, shares FROM s)) AS b,
              (SELECT count(*) FROM p) AS n`,
    );
    expect(diff).toEqual({ a: 0, b: 0, n: expect.any(Number) });
    expect(Number(diff!.n)).toBeGreaterThan(100);
  }, 600_000);

  it("held/ lists, per stock, exactly the years in which the participant held it on a stored date", async () => {
    const glob = sqlString(path.join(data, "holdings", "*", "*.parquet"));
    const want = await rows<{ k: string; c: string; y: number[] }>(
      db.conn,
      `SELECT participant_key AS k, stock_code AS c, list(DISTINCT year(date)::INTEGER ORDER BY year(date)::INTEGER) AS y FROM read_parquet(${glob})
       WHERE shares > 0 GROUP BY 1, 2 ORDER BY 1, 2`,
    );
    const byKey = new Map<string, Record<string, number[]>>();
    for (const x of want) byKey.set(x.k, { ...(byKey.get(x.k) ?? {}), [x.c]: x.y.map(Number) });
    // own: the years in which it held at least OWN_PART_MIN_STOCKS stocks (those with a by-participant part)
    const ownOf = (stocks: Record<string, number[]>) => YEARS.filter((y) => Object.values(stocks).filter((ys) => ys.includes(y)).length >= OWN_PART_MIN_STOCKS);
    const files = await readdir(path.join(api, "history", "held"));
    expect(files.length).toBe(byKey.size);
    expect([...byKey.values()].some((s) => Object.values(s).some((y) => y.length === 1))).toBe(true);
    for (const [key, stocks] of byKey) {
      const got = JSON.parse(await readFile(path.join(api, "history", "held", `${key.replace(":", "-").replace("#", "-")}.json`), "utf8")) as { participant_key: string; stocks: Record<string, number[]> };
      const own = ownOf(stocks);
      expect(got, key).toEqual(own.length ? { participant_key: key, stocks, own } : { participant_key: key, stocks });
      expect(existsSync(path.join(api, "history", "by-participant", participantFolder(key))), key).toBe(own.length > 0);
    }
  });

  it("the SQL console's stock_history(code) over both years' parts equals the Parquet holdings of every stock (count and checksum)", async () => {
    const views = await installSqlViews(db.conn);
    const dir = path.join(api, "history");
    for (const code of await stockCodes()) {
      // the statements the console runs on each part it inserted as _points and _days
      for (const year of YEARS) {
        if (!existsSync(path.join(dir, code, `${year}.parquet`))) continue;
        await db.conn.run(`CREATE OR REPLACE TEMP TABLE _points AS SELECT * FROM read_parquet(${sqlString(path.join(dir, code, `${year}.parquet`))})`);
        await db.conn.run(`CREATE OR REPLACE TEMP TABLE _days AS SELECT * FROM read_parquet(${sqlString(path.join(dir, code, `${year}.days.parquet`))})`);
        for (const stmt of views.historyPartsSql(code, year)) await db.conn.run(stmt);
      }
      const [got] = await rows<{ n: number; s: number; k: number }>(db.conn, `SELECT count(*) AS n, sum(shares) AS s, sum(hash(participant_key, date, shares) % 1000003) AS k FROM stock_history('${code}')`);
      const [want] = await rows<{ n: number; s: number; k: number }>(
        db.conn,
        `SELECT count(*) AS n, sum(shares) AS s, sum(hash(participant_key, date, shares) % 1000003) AS k FROM read_parquet(${sqlString(path.join(data, "holdings", "*", "*.parquet"))})
         WHERE stock_code = ${sqlString(code)} AND shares > 0`,
      );
      expect(got, code).toEqual(want);
    }
    const years = await rows<{ n: number }>(db.conn, "SELECT count(DISTINCT year(date)) AS n FROM history_days WHERE stock_code = '00634'");
    expect(years[0]!.n).toBe(2);
  });

  it("every file is in its documented order (the COPYs read the writer's sorted tables without sorting again): parts by participant then date, days and market by date, own parts by stock then date", async () => {
    const h = path.join(api, "history");
    // rows out of order in any file: a row whose sort key is not above the previous row's in the same file
    const outOfOrder = async (glob: string, key: string) =>
      (
        await rows<{ n: number; files: number }>(
          db.conn,
          `SELECT count(*) FILTER (WHERE prev IS NOT NULL AND k <= prev) AS n, count(DISTINCT filename) AS files FROM (
             SELECT filename, k, lag(k) OVER (PARTITION BY filename ORDER BY file_row_number) AS prev
             FROM (SELECT filename, file_row_number, ${key} AS k FROM read_parquet(${sqlString(path.join(h, glob))}, filename = true, file_row_number = true)))`,
        )
      )[0]!;
    const parts = await outOfOrder("[0-9][0-9][0-9][0-9][0-9]/[0-9][0-9][0-9][0-9].parquet", "(participant_key, date)");
    expect(parts.files).toBeGreaterThan(60); // 40 stocks × 2 years, less those not stored in a year
    expect(parts.n).toBe(0);
    const days = await outOfOrder("*/*.days.parquet", "date");
    expect(days.files).toBe(parts.files);
    expect(days.n).toBe(0);
    const own = await outOfOrder("by-participant/*/*.parquet", "(stock_code, date)");
    expect(own.files).toBeGreaterThan(0);
    expect(own.n).toBe(0);
    expect((await outOfOrder("market/*.parquet", "(stock_code, date)")).n).toBe(0);
  });

  it("files are deterministic: a second export writes the same bytes", async () => {
    const again = path.join(tmp, "api2");
    const a = await openAnalytics(data, { cache: path.join(tmp, "cache") });
    try {
      await exportApi(a, again);
    } finally {
      a.db.close();
    }
    const own = (await readdir(path.join(api, "history", "by-participant"))).sort()[0]!;
    for (const f of ["00634/2025.parquet", "00634/2025.days.parquet", "00634/2026.parquet", "00634/2026.days.parquet", "held/A00003.json",
      `by-participant/${own}/2026.parquet`, "market/2025.parquet", "market/2025.json", "market/2026.parquet"]) {
      expect((await readFile(path.join(again, "history", f))).equals(await readFile(path.join(api, "history", f))), f).toBe(true);
    }
  });

  it("the closed year's parts are the same bytes with fewer 2026 days; writing one year leaves the other year's files alone", async () => {
    const a = await openAnalytics(data, { cache: path.join(tmp, "cache") });
    const conn = await a.db.instance.connect();
    try {
      const cut = (await rows<{ d: string }>(conn, "SELECT strftime(min(date) + 3, '%Y-%m-%d') AS d FROM stock_days_window WHERE year(date) = 2026"))[0]!.d;
      // the same market with its 2026 days cut short (temp tables shadow the cache's): as if fewer days had been appended
      await conn.run(`CREATE TEMP TABLE stock_days_history AS SELECT * FROM main.stock_days_history WHERE date <= DATE ${sqlString(cut)}`);
      await conn.run(`CREATE TEMP TABLE history_points AS SELECT * FROM main.history_points WHERE date <= DATE ${sqlString(cut)}`);
      await createHistorySources(conn);
      const short = path.join(tmp, "short");
      const written = await writeHistoryParts(conn, data, short, { years: [2025], level: () => 19 });
      expect(written.years).toEqual([2025]);
      const codes = (await readdir(short)).filter((x) => /^\d{5}$/.test(x));
      expect(codes.length).toBeGreaterThan(30);
      for (const code of codes) {
        expect((await readdir(path.join(short, code))).sort(), code).toEqual(["2025.days.parquet", "2025.parquet"]);
      }
      // the participant and market files of the closed year too
      for (const f of ["market/2025.parquet", "market/2025.json", ...(await readdir(path.join(short, "by-participant"))).map((x) => `by-participant/${x}/2025.parquet`)]) {
        expect((await readFile(path.join(short, f))).equals(await readFile(path.join(api, "history", f))), f).toBe(true);
      }
      for (const code of codes) {
        for (const f of ["2025.parquet", "2025.days.parquet"]) {
          expect((await readFile(path.join(short, code, f))).equals(await readFile(path.join(api, "history", code, f))), `${code}/${f}`).toBe(true);
        }
      }
      // a 2026 run beside it at another level: the 2025 files keep their bytes and times
      const before = await stat(path.join(short, "00634", "2025.parquet"));
      await writeHistoryParts(conn, data, short, { years: [2026], level: () => 3 });
      const after = await stat(path.join(short, "00634", "2025.parquet"));
      expect(after.mtimeMs).toBe(before.mtimeMs);
      expect(existsSync(path.join(short, "00634", "2026.parquet"))).toBe(true);
      await expect(writeHistoryParts(conn, data, short, { years: [2026.5], level: () => 19 })).rejects.toThrow("not a calendar year: 2026.5");
      await expect(writeHistoryParts(conn, data, short, { years: [2026], level: () => 40 })).rejects.toThrow("zstd level for 2026 must be an integer from 1 to 22, not 40");
      // a connection that does not keep insertion order would write parts in any order: refused before any file
      await conn.run("SET preserve_insertion_order = false");
      const refused = path.join(tmp, "refused");
      await expect(writeHistoryParts(conn, data, refused, { years: [2026], level: () => 3 })).rejects.toThrow(InsertionOrderError);
      expect(existsSync(refused)).toBe(false);
    } finally {
      conn.closeSync();
      a.db.close();
    }
  });
});

describe("the SQL console's catalogue (index.json's files)", () => {
  it("a download table is its single file or every yearly part of it, years ascending; a stock's history is every year's part", async () => {
    const { downloadPaths, historyPartYears } = (await import(pathToFileURL(path.join(import.meta.dirname, "..", "src", "pages", "components", "sql-views.js")).href)) as {
      downloadPaths: (files: { path: string }[], name: string) => string[];
      historyPartYears: (files: { path: string }[], code: string) => number[];
    };
    const files = [
      "downloads/transfers/year=2026/transfers-2026.parquet",
      "downloads/transfers/year=2025/transfers-2025.parquet",
      "downloads/transfers/year=2025/transfers-2024.parquet", // a part under the wrong year: not the table's
      "downloads/transfers-latest.csv",
      "downloads/trends-top10.parquet",
      "downloads/stocks.csv",
      "history/00634/2026.parquet",
      "history/00634/2025.parquet",
      "history/00634/2025.days.parquet",
      "history/06340/2024.parquet",
    ].map((p) => ({ path: p }));
    expect(downloadPaths(files, "transfers")).toEqual(["downloads/transfers/year=2025/transfers-2025.parquet", "downloads/transfers/year=2026/transfers-2026.parquet"]);
    expect(downloadPaths(files, "trends_top10")).toEqual(["downloads/trends-top10.parquet"]);
    expect(downloadPaths(files, "stocks")).toEqual(["downloads/stocks.csv"]);
    expect(downloadPaths(files, "concentration")).toEqual([]);
    expect(() => downloadPaths(files, "secrets")).toThrow("not a download table: secrets");
    expect(historyPartYears(files, "00634")).toEqual([2025, 2026]);
    expect(historyPartYears(files, "00001")).toEqual([]);
  });
});

describe("the SQL console's engine lockdown (ENGINE_LOCKDOWN_SQL, refusalNote)", () => {
  it("after the lockdown a file outside the page's folder is refused and no setting can be changed; the page's folder stays readable", async () => {
    const { ENGINE_LOCKDOWN_SQL, PAGE_FILES_DIR, refusalNote } = (await import(pathToFileURL(path.join(import.meta.dirname, "..", "src", "pages", "components", "sql-views.js")).href)) as {
      ENGINE_LOCKDOWN_SQL: string[];
      PAGE_FILES_DIR: string;
      refusalNote: (message: string) => string | null;
    };
    // The same statements in native DuckDB (the browser's own run is tests/sql-console-hostile.test.ts):
    // the page folder relative to the working directory, as DuckDB-WASM sees the page's buffers.
    const dir = await mkdtemp(path.join(tmpdir(), "ccass-lockdown-"));
    const cwd = process.cwd();
    const db = await openDb(":memory:");
    try {
      process.chdir(dir);
      await db.conn.run(`COPY (SELECT 1 AS a) TO 'outside.csv'`);
      await mkdir(path.join(dir, PAGE_FILES_DIR), { recursive: true });
      await writeFile(path.join(dir, PAGE_FILES_DIR, "stocks.csv"), "code,name\n00700,TENCENT\n");
      for (const stmt of ENGINE_LOCKDOWN_SQL) await db.conn.run(stmt);
      expect(await rows(db.conn, `SELECT code FROM read_csv('${PAGE_FILES_DIR}stocks.csv', header = true, all_varchar = true)`)).toEqual([{ code: "00700" }]);
      const refused = async (sql: string) => {
        const err = await db.conn.run(sql).then(() => null, (e: unknown) => String(e instanceof Error ? e.message : e));
        expect(err, sql).not.toBeNull();
        return err!;
      };
      expect(await refused("SELECT * FROM read_csv('outside.csv')")).toMatch(/Permission Error/);
      expect(await refused(`SELECT * FROM read_csv('${PAGE_FILES_DIR}../outside.csv')`)).toMatch(/Permission Error/);
      expect(await refused("SELECT * FROM 'https://example.com/x.csv'")).toMatch(/Permission Error/);
      for (const sql of ["SET enable_external_access = true", "RESET enable_external_access", "SET lock_configuration = false", "SET allowed_directories = ['/']", "SET autoload_known_extensions = true"]) {
        expect(await refused(sql)).toMatch(/configuration has been locked/);
      }
      expect(refusalNote(await refused("SELECT * FROM read_csv('outside.csv')"))).toMatch(/files, URLs and extensions are off/);
      expect(refusalNote('Parser Error: syntax error at or near "SELEC"')).toBeNull();
    } finally {
      process.chdir(cwd);
      db.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
