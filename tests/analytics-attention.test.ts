// The attention metric as values (docs/DATASETS.md "attention.json"), against a hand computation
// on a small dataset: per stock-day, Σ |change| ÷ issued × 100; per stock, the p25/p75/p95 bands
// (linear interpolation between order statistics) over its stored days; the latest day's level
// quiet (< p25) / normal (≤ p75) / high (≤ p95) / extreme (> p95). The first stored day has no
// day-over-day change and is left out of every assertion here.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openAnalytics, type Analytics } from "../data-loaders/compute/cache.ts";
import { attention } from "../data-loaders/publish/page-data/attention.ts";
import { DAYS, writeFixture, type StockDay } from "./analytics-fixture.ts";

/**
 * Per stock: issued shares and the attention (% of issued) planted on days 1..7. Each day moves
 * half of it from C00001 to B00001, so out + in = the planted figure.
 */
const PLANTED: Record<string, { issued: number; attention: number[] }> = {
  "00011": { issued: 1_000_000, attention: [1, 0, 0.4, 3, 0.2, 2, 6] }, // latest above p95: extreme
  "00012": { issued: 2_000_000, attention: [1, 2, 3, 4, 5, 6, 0.5] }, // below p25: quiet (twice the issued, twice the shares)
  "00013": { issued: 1_000_000, attention: [1, 2, 3, 4, 5, 6, 3.5] }, // normal
  "00014": { issued: 1_000_000, attention: [1, 2, 3, 4, 5, 6, 5.5] }, // between p75 and p95: high
  "00015": { issued: 1_000_000, attention: [2, 2, 2, 2, 2, 2, 2] }, // every band 2, latest 2: normal (the bounds are inclusive)
};

function plantedData(): Record<string, { name: string; days: StockDay[] }> {
  const out: Record<string, { name: string; days: StockDay[] }> = {};
  for (const [code, p] of Object.entries(PLANTED)) {
    let seller = p.issued / 2;
    let buyer = p.issued / 10;
    const days: StockDay[] = [{ issued: p.issued, holdings: { C00001: seller, B00001: buyer, B00002: p.issued / 5 }, nonConsenting: 0 }];
    for (const a of p.attention) {
      const moved = (a / 100) * p.issued / 2; // shares from seller to buyer
      seller -= moved;
      buyer += moved;
      days.push({ issued: p.issued, holdings: { C00001: seller, B00001: buyer, B00002: p.issued / 5 }, nonConsenting: 0 });
    }
    out[code] = { name: `ATTENTION ${code}`, days };
  }
  return out;
}

/** quantile_cont by hand: linear interpolation at q × (n − 1) of the sorted values. */
function quantile(values: number[], q: number): number {
  const s = [...values].sort((x, y) => x - y);
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos);
  return s[lo]! + (pos - lo) * ((s[Math.min(lo + 1, s.length - 1)] ?? 0) - s[lo]!);
}

function level(v: number, b: { p25: number; p75: number; p95: number }): string {
  return v < b.p25 ? "quiet" : v <= b.p75 ? "normal" : v <= b.p95 ? "high" : "extreme";
}

let scratch: string;
let root: string;
let a: Analytics;
let result: Awaited<ReturnType<typeof attention>>;
beforeAll(async () => {
  expect(DAYS).toHaveLength(8); // day 0 plus the seven planted days
  for (const [code, p] of Object.entries(PLANTED)) {
    for (const v of p.attention) expect(Number.isInteger((v / 100) * p.issued / 2), `${code}: whole shares`).toBe(true);
  }
  scratch = await mkdtemp(path.join(tmpdir(), "attention-"));
  root = await writeFixture(plantedData());
  a = await openAnalytics(root, { cache: path.join(scratch, "cache") });
  result = await attention(a);
});
afterAll(async () => {
  a?.db.close();
  for (const dir of [scratch, root]) if (dir) await rm(dir, { recursive: true, force: true });
});

describe("attention as values", () => {
  it("hand-computed bands for one stock: 00011", () => {
    // sorted [0, 0.2, 0.4, 1, 2, 3, 6]; positions 1.5, 4.5 and 5.7
    const row = result.board.find((r) => r.stock_code === "00011")!;
    expect(row).toMatchObject({ attention_pct: 6, level: "extreme" });
    expect(row.p25 as number).toBeCloseTo(0.3, 4);
    expect(row.p75 as number).toBeCloseTo(2.5, 4);
    expect(row.p95 as number).toBeCloseTo(5.1, 4);
  });

  it("the board: the latest day's attention, bands and level of every stock, most moved first", () => {
    const expected = Object.entries(PLANTED)
      .map(([code, p]) => {
        const bands = { p25: quantile(p.attention, 0.25), p75: quantile(p.attention, 0.75), p95: quantile(p.attention, 0.95) };
        return { stock_code: code, attention_pct: p.attention.at(-1)!, ...bands, level: level(p.attention.at(-1)!, bands) };
      })
      .sort((x, y) => y.attention_pct - x.attention_pct);
    expect(expected.map((r) => r.level)).toEqual(["extreme", "high", "normal", "normal", "quiet"]);
    expect(result.latest_date).toBe(DAYS.at(-1));
    expect(result.board.map((r) => r.stock_code)).toEqual(expected.map((r) => r.stock_code));
    for (const [i, want] of expected.entries()) {
      const got = result.board[i]!;
      expect(got.level, want.stock_code).toBe(want.level);
      for (const k of ["attention_pct", "p25", "p75", "p95"] as const) expect(got[k] as number, `${want.stock_code} ${k}`).toBeCloseTo(want[k], 4);
    }
  });

  it("the daily totals: attention summed over stocks, stocks moved, positions changed (days 1..7)", () => {
    const daily = result.daily as Record<string, unknown[]>;
    // The first stored date has no day before it, so it is left out of the series (issue #9).
    expect(daily.date).toEqual(DAYS.slice(1));
    for (let d = 1; d < DAYS.length; d++) {
      const moves = Object.values(PLANTED).map((p) => p.attention[d - 1]!);
      const moved = moves.filter((v) => v > 0).length;
      expect(daily.attention_sum![d - 1] as number, DAYS[d]).toBeCloseTo(moves.reduce((s, v) => s + v, 0), 4);
      expect(Number(daily.stocks_moved![d - 1]), DAYS[d]).toBe(moved);
      expect(Number(daily.positions_changed![d - 1]), DAYS[d]).toBe(2 * moved); // seller and buyer
    }
  });

  it("the top of each date ranks by attention (days 1..7)", () => {
    const top = result.top_by_date as Record<string, unknown[]>;
    for (let d = 1; d < DAYS.length; d++) {
      const want = Object.entries(PLANTED)
        .map(([code, p]) => [code, p.attention[d - 1]!] as const)
        .filter(([, v]) => v > 0)
        .sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1));
      const at = top.date!.flatMap((x, i) => (x === DAYS[d] ? [i] : []));
      expect(at.map((i) => top.stock_code![i]), DAYS[d]).toEqual(want.map(([c]) => c));
      expect(at.map((i) => top.rank![i])).toEqual(want.map((_, k) => k + 1));
      at.forEach((i, k) => expect(top.attention_pct![i] as number).toBeCloseTo(want[k]![1], 4));
    }
  });
});
