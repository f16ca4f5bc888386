// The analytics over an imported Webb-site archive (issue #21): a synthetic market written as a
// Webb-site dump (src/replica/webbsite-dump.ts) holds a recycled code (39003: security 900002 for
// the first half of the days, then 900003, with the same two holders) and a code change (security
// 900001 as 39001, then 39002). Imported, analysed and exported, no history, trend, transfer or
// stock page may merge the two securities of 39003: on 900003's first day the broker's holding
// jumps and the investor's falls to 0, which a history keyed by code alone reads as a transfer.
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { gunzipSync } from "node:zlib";
import { parquetReadObjects } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importArchive, rebuildDim } from "../src/archive/import.ts";
import { DUMP_ONLY, writeWebbsiteDump } from "../src/replica/webbsite-dump.ts";
import { createMarket } from "../src/replica/market.ts";
import { openAnalytics } from "../data-loaders/compute/cache.ts";
import { exportApi } from "../data-loaders/publish/export.ts";
import { meta } from "../data-loaders/publish/page-data/meta.ts";
import { stocks } from "../data-loaders/publish/page-data/stocks.ts";
import { openDb, rows, type Db } from "../data-loaders/compute/duck.ts";
import { sqlString } from "../src/lib/sql.ts";
import { installSqlViews } from "./helpers/sql-views.ts";

const MARKET = { seed: 3, stocks: 6, days: 30, end: "2026-06-30" };
const RECYCLED = DUMP_ONLY.recycledCode;
const [OLD_ID, NEW_ID] = DUMP_ONLY.recycledIssues.map((i) => `wb:${i}`) as [string, string];
const MOVED_ID = `wb:${DUMP_ONLY.movedIssue}`;
const CREDIT = "Webb-site (David M. Webb), CC-BY 4.0";

interface Part {
  points: Record<string, unknown>[];
  days: Record<string, unknown>[];
}
interface Trail {
  buildHistoryFromParts(parts: Part[]): { dates: string[] };
  holdingsOn(h: { dates: string[] }, d: number): { participant_key: string; shares: number }[];
}
const trail = (await import(pathToFileURL(path.join(import.meta.dirname, "..", "src", "pages", "components", "trail.js")).href)) as Trail;

let tmp: string;
let data: string;
let api: string;
let db: Db;
let dates: string[];
let seam: string; // the new security's first day on the recycled code
let metaJson: { sources: { credit: string | null }[] };
let stocksJson: { stocks: Record<string, unknown[]> };
const plain = (x: unknown) => JSON.parse(JSON.stringify(x, (_k, v) => (typeof v === "bigint" ? Number(v) : v)));

const iso = (d: unknown) => (d instanceof Date ? d.toISOString().slice(0, 10) : String(d));
async function readParquet(file: string): Promise<Record<string, unknown>[]> {
  const buf = await readFile(file);
  return parquetReadObjects({ file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength), compressors });
}
async function stockJson(code: string): Promise<Record<string, any>> {
  return JSON.parse(gunzipSync(await readFile(path.join(api, "stocks", `${code}.json.gz`))).toString("utf8"));
}
const table = (t: string) => sqlString(path.join(data, t, "*", "*.parquet"));

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), "archive-analytics-"));
  data = path.join(tmp, "parquet");
  api = path.join(tmp, "api");
  const market = createMarket(MARKET);
  dates = market.dates;
  seam = dates[Math.floor(dates.length / 2)]!;
  writeWebbsiteDump(market, { dir: path.join(tmp, "dump") });
  await importArchive({ dump: path.join(tmp, "dump"), out: data });
  await rebuildDim(data);
  const a = await openAnalytics(data, { cache: path.join(tmp, "cache") });
  try {
    await exportApi(a, api);
    metaJson = plain(await meta(a));
    stocksJson = plain(await stocks(a));
  } finally {
    a.db.close();
  }
  db = await openDb(":memory:");
}, 240_000);

afterAll(async () => {
  db?.close();
  await rm(tmp, { recursive: true, force: true });
});

describe("a recycled code is two securities in every analytic", () => {
  it("the dataset has the case: one code, two securities, the same two holders, a holding that falls to 0 on the seam", async () => {
    const ids = await rows<{ s: string; n: bigint }>(db.conn, `SELECT security_id AS s, count(*) AS n FROM read_parquet(${table("summary")}) WHERE stock_code = '${RECYCLED}' GROUP BY 1 ORDER BY 1`);
    expect(ids.map((r) => r.s)).toEqual([OLD_ID, NEW_ID]);
    const held = await rows<{ k: string; before: boolean }>(
      db.conn,
      `SELECT DISTINCT participant_key AS k, date < DATE '${seam}' AS before FROM read_parquet(${table("holdings")}) WHERE stock_code = '${RECYCLED}' ORDER BY 1, 2`,
    );
    expect(new Set(held.filter((r) => r.before).map((r) => r.k))).toEqual(new Set(held.filter((r) => !r.before).map((r) => r.k)));
  });

  it("the stock page shows the current security only, names it and links the other security of the code", async () => {
    const s = await stockJson(RECYCLED);
    expect(s.security).toEqual({ security_id: NEW_ID, name: DUMP_ONLY.names[2], first_date: seam, last_date: dates.at(-1) });
    expect((s.dates as string[]).every((d) => d >= seam)).toBe(true);
    expect(s.dates).toHaveLength(dates.length - dates.indexOf(seam));
    expect(s.related).toEqual([{ relation: "same_code", security_id: OLD_ID, stock_code: RECYCLED, name: DUMP_ONLY.names[1], first_date: dates[0], last_date: dates[dates.indexOf(seam) - 1] }]);
    // the trends start on the security's own first day: no series carries the old security's holding
    for (const series of s.trends.series as { seq: number[] }[]) expect(series.seq[0]).toBeGreaterThanOrEqual(0);
    // on its first day there is nothing to compare: no attention, no transfer
    expect(s.attention.attention_pct[0]).toBeNull();
    expect((s.transfers.date as string[]).includes(seam)).toBe(false);
    expect(s.corporate_actions).toEqual([]);
  });

  it("a code change: each code's page shows its own dates and links the same security under the other code", async () => {
    const before = await stockJson(DUMP_ONLY.movedCodes[0]);
    const after = await stockJson(DUMP_ONLY.movedCodes[1]);
    expect(before.security.security_id).toBe(MOVED_ID);
    expect(after.security.security_id).toBe(MOVED_ID);
    expect(after.related).toEqual([expect.objectContaining({ relation: "same_security", stock_code: DUMP_ONLY.movedCodes[0], security_id: MOVED_ID, last_date: dates[dates.indexOf(seam) - 1] })]);
    expect(before.related).toEqual([expect.objectContaining({ relation: "same_security", stock_code: DUMP_ONLY.movedCodes[1], first_date: seam })]);
    const at = (stocksJson.stocks.code as string[]).indexOf(RECYCLED);
    expect(stocksJson.stocks.security_id![at]).toBe(NEW_ID);
  });

  it("no transfer pairs holdings across the seam: every pair's day has a day before it of the same security", async () => {
    const parts = readdirSync(path.join(api, "downloads", "transfers")).flatMap((y) => readdirSync(path.join(api, "downloads", "transfers", y)).map((f) => path.join(api, "downloads", "transfers", y, f)));
    const pairs = (await Promise.all(parts.map(readParquet))).flat();
    expect(pairs.length).toBeGreaterThan(0);
    const summary = await rows<{ c: string; d: string; s: string; first: boolean }>(
      db.conn,
      `SELECT stock_code AS c, strftime(date, '%Y-%m-%d') AS d, security_id AS s, date = min(date) OVER (PARTITION BY stock_code, security_id) AS first FROM read_parquet(${table("summary")})`,
    );
    const day = new Map(summary.map((r) => [`${r.c} ${r.d}`, r]));
    for (const p of pairs) {
      const d = day.get(`${p.stock_code} ${iso(p.date)}`)!;
      expect(p.security_id, `${p.stock_code} ${iso(p.date)}`).toBe(d.s);
      expect(d.first, `a pair on ${p.stock_code}'s first day of ${d.s}`).toBe(false);
    }
    // the big-changes feed compares one security on both dates of its spans
    const big = JSON.parse(gunzipSync(await readFile(path.join(api, "big-changes.json.gz"))).toString("utf8"));
    const spans = new Map((big.spans as { days: number; from: string }[]).map((x) => [x.days, x.from]));
    expect([...spans.values()].some((from) => from < seam)).toBe(true);
    (big.changes.stock_code as string[]).forEach((code, i) => {
      if (code === RECYCLED) expect(spans.get(big.changes.days[i])! >= seam, `a change of ${code} over a span from ${spans.get(big.changes.days[i])}`).toBe(true);
    });
  });

  it("the history parts: every row carries its date's security, and the holdings of every date rebuilt from them are that security's only", async () => {
    const year = Number(seam.slice(0, 4));
    const part = { points: await readParquet(path.join(api, "history", RECYCLED, `${year}.parquet`)), days: await readParquet(path.join(api, "history", RECYCLED, `${year}.days.parquet`)) };
    const securityOf = new Map(part.days.map((d) => [iso(d.date), d.security_id]));
    expect(new Set(securityOf.values())).toEqual(new Set([OLD_ID, NEW_ID]));
    for (const p of part.points) expect(p.security_id).toBe(securityOf.get(iso(p.date)));
    const h = trail.buildHistoryFromParts([part]);
    const truth = await rows<{ d: string; k: string; n: number }>(
      db.conn,
      `SELECT strftime(date, '%Y-%m-%d') AS d, participant_key AS k, shares::DOUBLE AS n FROM read_parquet(${table("holdings")}) WHERE stock_code = '${RECYCLED}' AND shares > 0 ORDER BY 1, 2`,
    );
    for (const [i, d] of h.dates.entries()) {
      const rebuilt = trail.holdingsOn(h, i).map((x) => [x.participant_key, x.shares]).sort();
      expect(rebuilt, d).toEqual(truth.filter((t) => t.d === d).map((t) => [t.k, t.n]));
    }
    const market = await readParquet(path.join(api, "history", "market", `${year}.parquet`));
    const seamRow = market.find((r) => r.stock_code === RECYCLED && iso(r.date) === seam);
    expect(seamRow?.security_id).toBe(NEW_ID);
  });

  it("the SQL console's stock_history(code) over the recycled code: the holdings of each date, each with that date's security", async () => {
    const views = await installSqlViews(db.conn);
    for (const year of new Set(dates.map((d) => Number(d.slice(0, 4))))) {
      const dir = path.join(api, "history", RECYCLED);
      await db.conn.run(`CREATE OR REPLACE TEMP TABLE _points AS SELECT * FROM read_parquet(${sqlString(path.join(dir, `${year}.parquet`))})`);
      await db.conn.run(`CREATE OR REPLACE TEMP TABLE _days AS SELECT * FROM read_parquet(${sqlString(path.join(dir, `${year}.days.parquet`))})`);
      for (const stmt of views.historyPartsSql(RECYCLED, year)) await db.conn.run(stmt);
    }
    const want = `SELECT h.date, h.participant_key, h.shares, s.security_id FROM read_parquet(${table("holdings")}) h JOIN read_parquet(${table("summary")}) s USING (date, stock_code)
      WHERE h.stock_code = '${RECYCLED}' AND h.shares > 0`;
    const got = `SELECT date, participant_key, shares, security_id FROM stock_history('${RECYCLED}')`;
    const [diff] = await rows<{ a: number; b: number; n: number }>(db.conn, `SELECT (SELECT count(*) FROM ((${got}) EXCEPT ALL (${want}))) AS a, (SELECT count(*) FROM ((${want}) EXCEPT ALL (${got}))) AS b, (SELECT count(*) FROM (${want})) AS n`);
    expect([diff!.a, diff!.b]).toEqual([0, 0]);
    expect(diff!.n).toBeGreaterThan(dates.length);
  });

  it("meta.json and index.json name Webb-site's archive with its credit and the dates it gave", async () => {
    const index = JSON.parse(await readFile(path.join(api, "index.json"), "utf8"));
    for (const doc of [metaJson, index]) {
      const webb = doc.sources.find((s: { credit: string | null }) => s.credit === CREDIT);
      expect(webb).toMatchObject({ license: "CC-BY-4.0", first_date: dates[0], last_date: dates.at(-1), dates: dates.length });
    }
    expect(existsSync(path.join(data, "_archive", "months"))).toBe(true);
  });
});
