// The per-stock history files (data-loaders/lib/history.ts) read as the stock page reads them
// (hyparquet + src/pages/components/trail.js): the holdings of any stored date, and the change
// between two dates, equal the Parquet dataset's holdings; across a split both dates are in the
// later date's basis (the ratio from the synthetic market's ground truth, not from the cache).
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parquetReadObjects } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openAnalytics } from "../data-loaders/lib/cache.ts";
import { exportApi } from "../data-loaders/lib/export.ts";
import { openDb, rows, type Db } from "../data-loaders/lib/duck.ts";
import { sqlString } from "../src/ingest/sql.ts";
import { writeSyntheticDataset } from "../src/replica/dataset-writer.ts";

interface Day {
  date: string;
  issued_shares: number;
  factor: number;
  ca_kind: string | null;
}
interface History {
  days: Day[];
  dates: string[];
  keys: string[];
}
interface Trail {
  buildHistory(points: unknown[], days: unknown[]): History;
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
  // seed 1, 40 stocks × 60 days: the market holds a 1:10 split (stock 00634 on 2026-09-30)
  await writeSyntheticDataset({ out: data, seed: 1, stocks: 40, days: 60, end: "2026-11-20" });
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

const histories = new Map<string, History>();
async function history(code: string): Promise<History> {
  if (!histories.has(code)) {
    const dir = path.join(api, "history");
    histories.set(code, trail.buildHistory(await readParquet(path.join(dir, `${code}.parquet`)), await readParquet(path.join(dir, `${code}.days.parquet`))));
  }
  return histories.get(code)!;
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

async function stockCodes(): Promise<string[]> {
  const r = await rows<{ c: string }>(db.conn, `SELECT DISTINCT stock_code AS c FROM read_parquet(${sqlString(path.join(data, "summary", "*", "*.parquet"))}) ORDER BY 1`);
  return r.map((x) => x.c);
}

describe("history files", () => {
  it("the holdings of 20 random (stock, date) pairs equal the Parquet holdings row for row", async () => {
    const codes = await stockCodes();
    const rand = rng(42);
    for (let i = 0; i < 20; i++) {
      const code = codes[Math.floor(rand() * codes.length)]!;
      const h = await history(code);
      const d = Math.floor(rand() * h.dates.length);
      const shown = trail.holdingsOn(h, d);
      const expected = await parquetHoldings(code, h.dates[d]!);
      expect(shown.length, `${code} ${h.dates[d]}`).toBe(expected.size);
      for (const row of shown) expect(row.shares, `${code} ${h.dates[d]} ${row.participant_key}`).toBe(expected.get(row.participant_key));
      // largest first, as listed
      for (let j = 1; j < shown.length; j++) expect(shown[j - 1]!.shares).toBeGreaterThanOrEqual(shown[j]!.shares);
    }
  });

  it("20 two-date views equal the Parquet holdings of both dates, one across a split in the later basis", async () => {
    expect(splits.length).toBeGreaterThan(0);
    const codes = await stockCodes();
    const rand = rng(7);
    const split = splits[0]!;
    const pairs: [string, number, number][] = [];
    const hs = await history(split.stock_code);
    const sd = hs.dates.indexOf(split.date);
    expect(sd).toBeGreaterThan(0);
    pairs.push([split.stock_code, Math.max(0, sd - 5), Math.min(hs.dates.length - 1, sd + 3)]);
    while (pairs.length < 20) {
      const code = codes[Math.floor(rand() * codes.length)]!;
      const h = await history(code);
      const a = Math.floor(rand() * h.dates.length);
      const b = Math.floor(rand() * h.dates.length);
      if (a !== b) pairs.push([code, Math.min(a, b), Math.max(a, b)]);
    }
    for (const [code, d0, d1] of pairs) {
      const h = await history(code);
      const [date0, date1] = [h.dates[d0]!, h.dates[d1]!];
      // the basis ratio from the ground truth: every split/consolidation after date0 up to date1
      const ratio = splits.filter((c) => c.stock_code === code && c.date > date0 && c.date <= date1).reduce((r, c) => r * c.ratio, 1);
      if (code === split.stock_code) expect(ratio).not.toBe(1);
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

  it("a participant's history has its Parquet holding on every stored date (0 when absent)", async () => {
    const code = (await stockCodes())[3]!;
    const h = await history(code);
    const r = await rows<{ participant_key: string; n: number }>(
      db.conn,
      `SELECT participant_key, count(*) AS n FROM read_parquet(${sqlString(path.join(data, "holdings", "*", "*.parquet"))})
       WHERE stock_code = ${sqlString(code)} AND shares > 0 GROUP BY 1 ORDER BY n, participant_key LIMIT 1`,
    );
    const key = r[0]!.participant_key;
    const series = trail.participantHistory(h, key);
    expect(series.map((x) => x.date)).toEqual(h.dates);
    for (const point of series) expect(point.shares, point.date).toBe((await parquetHoldings(code, point.date)).get(key) ?? 0);
    expect(series.some((x) => x.shares === 0)).toBe(true);
  });

  it("participant portfolios on 20 random (participant, date) pairs and their change between two dates equal the Parquet holdings", async () => {
    const glob = sqlString(path.join(data, "holdings", "*", "*.parquet"));
    const keys = (await rows<{ k: string }>(db.conn, `SELECT DISTINCT participant_key AS k FROM read_parquet(${glob}) ORDER BY 1`)).map((x) => x.k);
    const dates = (await history("00634")).dates;
    const rand = rng(99);
    // the split stock's biggest holder too, so one change crosses the split
    const splitHolder = (await rows<{ k: string }>(db.conn, `SELECT participant_key AS k FROM read_parquet(${glob}) WHERE stock_code = '00634' ORDER BY shares DESC, 1 LIMIT 1`))[0]!.k;
    for (let i = 0; i < 20; i++) {
      const key = i === 0 ? splitHolder : keys[Math.floor(rand() * keys.length)]!;
      const held = JSON.parse(await readFile(path.join(api, "history", "held", `${key.replace(":", "-").replace("#", "-")}.json`), "utf8")) as { stocks: string[] };
      const hs = new Map<string, History>();
      for (const code of held.stocks) hs.set(code, await history(code));
      const [d0, d1] = i === 0 ? ["2026-09-21", "2026-10-05"] : [dates[Math.floor(rand() * 30)]!, dates[30 + Math.floor(rand() * 30)]!];
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

  it("the SQL console's stock_history(code) equals the Parquet holdings of every stock (count and checksum)", async () => {
    const views = (await import(pathToFileURL(path.join(import.meta.dirname, "..", "src", "pages", "components", "sql-views.js")).href)) as {
      HISTORY_TABLES_SQL: string[];
      STOCK_HISTORY_MACRO: string;
    };
    for (const stmt of views.HISTORY_TABLES_SQL) await db.conn.run(stmt);
    await db.conn.run(views.STOCK_HISTORY_MACRO);
    const dir = path.join(api, "history");
    // the same rows the page inserts from each file
    await db.conn.run(`INSERT INTO history_points SELECT regexp_extract(filename, '(\\d{5})\\.parquet$', 1), participant_key, date, shares
      FROM read_parquet(${sqlString(path.join(dir, "?????.parquet"))}, filename = true)`);
    await db.conn.run(`INSERT INTO history_days SELECT regexp_extract(filename, '(\\d{5})\\.days\\.parquet$', 1), date
      FROM read_parquet(${sqlString(path.join(dir, "*.days.parquet"))}, filename = true)`);
    for (const code of await stockCodes()) {
      const [got] = await rows<{ n: number; s: number; k: number }>(db.conn, `SELECT count(*) AS n, sum(shares) AS s, sum(hash(participant_key, date, shares) % 1000003) AS k FROM stock_history('${code}')`);
      const [want] = await rows<{ n: number; s: number; k: number }>(
        db.conn,
        `SELECT count(*) AS n, sum(shares) AS s, sum(hash(participant_key, date, shares) % 1000003) AS k FROM read_parquet(${sqlString(path.join(data, "holdings", "*", "*.parquet"))})
         WHERE stock_code = ${sqlString(code)} AND shares > 0`,
      );
      expect(got, code).toEqual(want);
    }
  });

  it("files are deterministic: a second export writes the same bytes", async () => {
    const again = path.join(tmp, "api2");
    const a = await openAnalytics(data, { cache: path.join(tmp, "cache") });
    try {
      await exportApi(a, again);
    } finally {
      a.db.close();
    }
    for (const f of ["00634.parquet", "00634.days.parquet"]) {
      expect((await readFile(path.join(again, "history", f))).equals(await readFile(path.join(api, "history", f)))).toBe(true);
    }
  });
});

describe("the SQL console's screen (refusedSql)", () => {
  it("lets queries of the published tables through and refuses URLs, file readers and statements that change the engine", async () => {
    const { exampleQueries, refusedSql } = (await import(pathToFileURL(path.join(import.meta.dirname, "..", "src", "pages", "components", "sql-views.js")).href)) as {
      exampleQueries: (code: string) => { sql: string }[];
      refusedSql: (sql: string) => string | null;
    };
    for (const e of exampleQueries("00700")) expect(refusedSql(e.sql), e.sql).toBeNull();
    expect(refusedSql("SELECT offset_days, settlement FROM transfers LIMIT 5 OFFSET 2")).toBeNull();
    expect(refusedSql("SELECT * FROM 'https://example.com/x.csv'")).toBe("a URL");
    expect(refusedSql("select * from Read_CSV('x.csv')")).toBe("Read_CSV() (it reads files)");
    expect(refusedSql("FROM glob('*')")).toBe("glob() (it reads files)");
    expect(refusedSql("SELECT 1; set lock_configuration = false")).toBe("SET statements");
    expect(refusedSql("INSTALL httpfs")).toBe("INSTALL statements");
    expect(refusedSql("ATTACH 'x.db'")).toBe("ATTACH statements");
  });
});
