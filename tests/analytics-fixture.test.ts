// Trends, concentration and transfers on a small hand-made dataset (tests/analytics-fixture.ts),
// checked against an independent computation in plain TypeScript from the same hand-made truth.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cacheStatements, openAnalytics, type Analytics } from "../data-loaders/compute/cache.ts";
import { concentration } from "../data-loaders/publish/page-data/concentration.ts";
import { southbound } from "../data-loaders/publish/page-data/southbound.ts";
import { openDb, rows } from "../data-loaders/compute/duck.ts";
import { isSynthetic } from "../data-loaders/publish/common.ts";
import { stockPages } from "../data-loaders/publish/stock-pages.ts";
import { transfers } from "../data-loaders/publish/page-data/transfers.ts";
import { trends } from "../data-loaders/publish/trends.ts";
import { participantKeys } from "../src/ingest/participant-key.ts";
import { DAYS, fixtureData, writeFixture, type StockDay } from "./analytics-fixture.ts";

let root: string;
let cache: string;
let a: Analytics;

beforeAll(async () => {
  root = await writeFixture();
  cache = await mkdtemp(path.join(tmpdir(), "ccass-cache-"));
  a = await openAnalytics(root, { cache });
});
afterAll(async () => {
  a?.db.close();
  await rm(root, { recursive: true, force: true });
  await rm(cache, { recursive: true, force: true });
});

/** The stored key of a fixture holder: the ID, or the investor key the scraper gives the name. */
function keyOf(holder: string): string {
  if (!holder.startsWith("ip:")) return holder;
  return participantKeys([{ id: null, name: holder.slice(3), address: null, shares: 1 }])[0]!;
}

/**
 * Independent split adjustment: a day is a split when issued shares change by a ratio r and most
 * holders present on both days hold exactly r times as much; earlier days are scaled by the
 * product of the later split ratios.
 */
function expectedAdjusted(days: StockDay[]): { factor: number[]; series: Map<string, number[]> } {
  const n = days.length;
  const ratio = days.map((d, i) => {
    if (i === 0) return 1;
    const prev = days[i - 1]!;
    const r = d.issued / prev.issued;
    if (r === 1) return 1;
    const both = Object.keys(d.holdings).filter((k) => k in prev.holdings);
    const scaled = both.filter((k) => d.holdings[k] === prev.holdings[k]! * r).length;
    return scaled * 2 > both.length ? r : 1;
  });
  const factor = new Array<number>(n).fill(1);
  for (let i = n - 2; i >= 0; i--) factor[i] = factor[i + 1]! * ratio[i + 1]!;
  const series = new Map<string, number[]>();
  days.forEach((d, i) => {
    for (const [holder, shares] of Object.entries(d.holdings)) {
      const k = keyOf(holder);
      if (!series.has(k)) series.set(k, new Array<number>(n).fill(0));
      series.get(k)![i] = Math.round(shares * factor[i]!);
    }
  });
  return { factor, series };
}

const round4 = (x: number) => Math.round(x * 10000) / 10000;

function expectedConcentration(d: StockDay) {
  const sorted = Object.values(d.holdings).sort((x, y) => y - x);
  const top = (k: number) => round4((sorted.slice(0, k).reduce((s, v) => s + v, 0) * 100) / d.issued);
  const total = Object.values(d.holdings).reduce((s, v) => s + v, 0) + d.nonConsenting;
  return { top1: top(1), top5: top(5), top10: top(10), ccass: round4((total * 100) / d.issued) };
}

describe("trends", () => {
  for (const code of ["00001", "00002", "00003"]) {
    it(`${code}: every holder's split-adjusted series, change and % of issued match an independent computation`, async () => {
      const t = await trends(a, code);
      const data = fixtureData()[code]!;
      const { factor, series } = expectedAdjusted(data.days);
      expect(t.dates).toEqual(DAYS);
      expect(t.series.length).toBe(series.size);
      for (const s of t.series) {
        const want = series.get(s.key);
        expect(want, s.key).toBeDefined();
        expect(s.shares).toEqual(want);
        expect(s.change).toEqual(want!.map((v, i) => (i === 0 ? null : v - want![i - 1]!)));
        // % of issued from that day's unadjusted shares and issued shares
        const raw = data.days.map((d) => Object.entries(d.holdings).find(([h]) => keyOf(h) === s.key)?.[1] ?? 0);
        expect(s.pct).toEqual(raw.map((v, i) => round4((v * 100) / data.days[i]!.issued)));
      }
      expect(t.issued_adj).toEqual(data.days.map((d, i) => Math.round(d.issued * factor[i]!)));
    });
  }

  it("a split is not a jump: 00001's holders are flat across the 1→2 split day", async () => {
    const t = await trends(a, "00001");
    const c1 = t.series.find((s) => s.key === "C00001")!;
    expect(new Set(c1.shares)).toEqual(new Set([800_000])); // 400,000 before ×2, 800,000 after
    expect(c1.change.slice(1).every((c) => c === 0)).toBe(true);
  });

  it("run without CCASS_STOCK, the loader picks the most-held stock on the last day, not a delisted one", async () => {
    // 00004 has 8 holders but left after day 3; on the last day 00002 has the most (5)
    const t = await trends(a, null);
    expect(t.stock_code).toBe("00002");
  });

  it("latest holdings of a stock that left the market (00004) and of one still listed (00003): its holders on its own last day, 1-day change against the stored day before", async () => {
    const data = fixtureData();
    for (const code of ["00003", "00004"]) {
      const stored = data[code]!.days.flatMap((d, i) => (d ? [i] : []));
      const [last, before] = [stored.at(-1)!, stored.at(-2)!];
      const held = (i: number) => new Map(Object.entries(data[code]!.days[i]!.holdings).filter(([, n]) => n > 0).map(([h, n]) => [keyOf(h), n]));
      const [now, prev] = [held(last), held(before)];
      const want = [...now].map(([pkey, shares]) => ({ pkey, date: DAYS[last], shares, chg_1d: shares - (prev.get(pkey) ?? 0) })).sort((x, y) => (x.pkey < y.pkey ? -1 : 1));
      const got = await rows(a.db.conn, `SELECT pkey, strftime(date, '%Y-%m-%d') AS date, shares, chg_1d FROM latest_holdings WHERE stock_code = '${code}' ORDER BY pkey`);
      expect(got, code).toEqual(want);
    }
  });

  it("series keys: the top 10 now, then former top-10 holders by days in the top 10, then the next largest now", async () => {
    const stmt = cacheStatements().find((x) => x.includes("CREATE TABLE series_holders"))!;
    const db = await openDb(":memory:");
    try {
      const key = (r: number) => (r === 12 ? "F3" : r === 15 ? "F1" : `L${String(r).padStart(2, "0")}`);
      const latest = [...Array(25).keys()].map((i) => `('S', '${key(i + 1)}', ${i + 1})`).join(", ");
      // F2 no longer holds; it was in the top 10 on 5 days, F3 (rank 12 now) on 3, F1 (rank 15 now) on 1
      const tops = [
        ...Array<string>(5).fill("['F2']"),
        ...Array<string>(3).fill("['F3']"),
        "['F1']",
        `[${[...Array(10).keys()].map((i) => `'${key(i + 1)}'`).join(", ")}]`,
      ];
      await db.conn.run(`CREATE TABLE latest_holdings AS SELECT * FROM (VALUES ${latest}) t(stock_code, pkey, rank)`);
      await db.conn.run(`CREATE TABLE window_top_holdings AS SELECT * FROM (VALUES ${tops.map((t) => `('S', ${t})`).join(", ")}) t(stock_code, top_keys)`);
      await db.conn.run(stmt);
      const got = (await rows<{ pkey: string }>(db.conn, "SELECT pkey FROM series_holders ORDER BY ord")).map((r) => r.pkey);
      expect(got).toEqual([...[...Array(10).keys()].map((i) => key(i + 1)), "F2", "F3", "F1", "L11", "L13", "L14", "L16", "L17", "L18", "L19"]);
    } finally {
      db.close();
    }
  });

  it("default keys are the 10 largest holders on the end date, largest first", async () => {
    const t = await trends(a, "00002");
    const last = fixtureData()["00002"]!.days.at(-1)!;
    const want = Object.entries(last.holdings).sort((x, y) => y[1] - x[1]).map(([k]) => keyOf(k));
    expect(t.default_keys).toEqual(want.slice(0, 10));
  });
});

describe("concentration", () => {
  it("per stock and date, top 1/5/10 and CCASS % match an independent computation", async () => {
    const synthetic = await isSynthetic(a);
    const seen: string[] = [];
    for await (const page of stockPages(a, synthetic)) {
      seen.push(page.code);
      const j = JSON.parse(page.text) as {
        concentration: { top1_pct: number[]; top5_pct: number[]; top10_pct: number[] };
        summary: { ccass_pct: number[] };
      };
      const days = fixtureData()[page.code]!.days;
      const want = days.map(expectedConcentration);
      expect(j.concentration.top1_pct).toEqual(want.map((w) => w.top1));
      expect(j.concentration.top5_pct).toEqual(want.map((w) => w.top5));
      expect(j.concentration.top10_pct).toEqual(want.map((w) => w.top10));
      expect(j.summary.ccass_pct).toEqual(want.map((w) => w.ccass));
    }
    // Every stock of the fixture came back (an empty loop would check nothing).
    expect(seen.sort()).toEqual(Object.keys(fixtureData()).sort());
  });

  it("the ranking carries the latest values and their 1- and 5-day changes", async () => {
    const c = await concentration(a);
    const codes = c.ranking.stock_code as string[];
    expect(codes.sort()).toEqual(["00001", "00002", "00003"]);
    const c2 = await concentration(a);
    const i = (c2.ranking.stock_code as string[]).indexOf("00002");
    const days = fixtureData()["00002"]!.days.map(expectedConcentration);
    const n = days.length - 1;
    expect(c2.ranking.top10_pct![i]).toBe(days[n]!.top10);
    expect(c2.ranking.top10_chg_1d![i]).toBeCloseTo(days[n]!.top10 - days[n - 1]!.top10, 3);
    expect(c2.ranking.top10_chg_5d![i]).toBeCloseTo(days[n]!.top10 - days[n - 5]!.top10, 3);
    expect(c2.ranking.top10_chg_20d![i]).toBeNull(); // only 8 days stored
    // sorted by top10 descending
    const top10 = c2.ranking.top10_pct as number[];
    expect([...top10].sort((x, y) => y - x)).toEqual(top10);
    // movers: stocks whose top-10 share rose over 5 days, largest rise first
    const rise = Object.entries(fixtureData())
      .filter(([, st]) => st.days.length === DAYS.length) // the ranking holds stocks on the last day only
      .map(([code, st]) => {
        const d = st.days.map(expectedConcentration);
        return { code, v: d[d.length - 1]!.top10 - d[d.length - 6]!.top10 };
      })
      .filter((x) => x.v > 1e-9)
      .sort((x, y) => y.v - x.v);
    expect(c2.movers.up_5d).toEqual(rise.map((x) => x.code));
    expect(c2.movers.down_5d).toEqual([]);
  });
});

describe("southbound", () => {
  it("lists every stock of the table on the last day; one without a summary keeps its shares, with pct null", async () => {
    const sb = await southbound(a);
    const n = DAYS.length - 1;
    expect(sb.latest.stock_code).toEqual(["00003", "00005"]); // pct desc, nulls last
    expect(sb.latest.name).toEqual(["SYNTHETIC THREE", "SYNTHETIC FIVE"]);
    expect(sb.latest.shares).toEqual([1_500_000 + n * 10_000, 2_000_000]);
    expect(sb.latest.pct).toEqual([round4(((1_500_000 + n * 10_000) * 100) / 10_000_000), null]);
    expect(sb.latest.chg_1d_pp![0]).toBeCloseTo(0.1, 6);
    expect(sb.latest.chg_1d_pp![1]).toBeNull();
    expect(sb.latest.clearing_shares).toEqual([1_500_000, null]);
    expect((sb.daily.stocks as number[]).at(-1)).toBe(2);
  });
});

describe("transfers", () => {
  it("finds exactly the planted transfers, one-to-many labelled, none on the split or placing day", async () => {
    const t = await transfers(a);
    const got = (t.pairs.date as string[]).map((d, i) => ({
      date: d,
      stock: t.pairs.stock_code![i],
      seller: t.pairs.seller_id![i],
      buyer: t.pairs.buyer_id![i],
      shares: t.pairs.shares![i],
      pct: t.pairs.pct_of_issued![i],
      match: t.pairs.match![i],
    }));
    const want = [
      { date: DAYS[7], stock: "00003", seller: "B00004", buyer: "C00001", shares: 400_000, pct: 4, match: "one-to-one" },
      { date: DAYS[5], stock: "00002", seller: "C00002", buyer: "B00003", shares: 600_000, pct: 0.6, match: "one-to-many" },
      { date: DAYS[5], stock: "00002", seller: "C00002", buyer: "B00004", shares: 300_000, pct: 0.3, match: "one-to-many" },
      { date: DAYS[3], stock: "00002", seller: "C00001", buyer: "B00002", shares: 1_000_000, pct: 1, match: "one-to-one" },
    ];
    expect(got).toEqual(want);
    // the two pieces of the one-to-many share a group; the others do not (a group is numbered
    // within its stock-day: the stock and date are part of its name)
    const groups = (t.pairs.group as number[]).map((g, i) => `${t.pairs.stock_code![i]} ${t.pairs.date![i]} ${g}`);
    expect(groups[1]).toBe(groups[2]);
    expect(new Set(groups).size).toBe(3);
    expect(t.names.C00002).toBe("BETA TRUST");
  });
});
