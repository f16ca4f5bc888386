// The transfer finder against the replica's ground truth: a small synthetic market (written by the
// ingest engineer's writeSyntheticDataset straight from the replica's model) with planted
// transfers, splits, consolidations and placings, scored at the 0.5 % threshold.
import { readFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openAnalytics, type Analytics } from "../data-loaders/compute/cache.ts";
import { rows } from "../data-loaders/compute/duck.ts";
import { transfers } from "../data-loaders/publish/page-data/transfers.ts";
import { writeSyntheticDataset } from "../src/replica/dataset-writer.ts";
import type { CorporateAction, PlantedTransfer } from "../src/replica/market.ts";

let root: string;
let cache: string;
let a: Analytics;
let truth: PlantedTransfer[];
let actions: CorporateAction[];

// Seed 2 with 100 stocks × 60 days holds two splits, a consolidation and three placings.
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "ccass-synth-"));
  cache = await mkdtemp(path.join(tmpdir(), "ccass-cache-"));
  await writeSyntheticDataset({ out: root, seed: 2, stocks: 100, days: 60, end: "2026-11-20" });
  truth = JSON.parse(await readFile(path.join(root, "_truth", "transfers.json"), "utf8")) as PlantedTransfer[];
  actions = JSON.parse(await readFile(path.join(root, "_truth", "corporate-actions.json"), "utf8")) as CorporateAction[];
  a = await openAnalytics(root, { cache });
});
afterAll(async () => {
  a?.db.close();
  await rm(root, { recursive: true, force: true });
  await rm(cache, { recursive: true, force: true });
});

const THRESHOLD = 0.5;
const key = (date: unknown, stock: unknown, seller: unknown, buyer: unknown) => `${date}|${stock}|${seller}|${buyer}`;

describe("transfer finder on the replica's planted transfers", () => {
  it("the market holds enough events to score", () => {
    // since issue #24 most planted transfers are under 0.3 % (a power law from 0.05 %): about 40 reach 0.5 % here
    expect(truth.filter((t) => t.pct_of_issued >= THRESHOLD).length).toBeGreaterThan(25);
    expect(actions.some((c) => c.kind === "split")).toBe(true);
    expect(actions.some((c) => c.kind === "consolidation")).toBe(true);
    expect(actions.some((c) => c.kind === "placing")).toBe(true);
  });

  it("at 0.5 %: recall ≥ 95 % with the right seller and buyer, precision ≥ 90 %", async () => {
    const t = await transfers(a);
    const found = (t.pairs.date as string[])
      .map((d, i) => ({ k: key(d, t.pairs.stock_code![i], t.pairs.seller_id![i], t.pairs.buyer_id![i]), pct: t.pairs.pct_of_issued![i] as number }))
      .filter((f) => f.pct >= THRESHOLD);
    const planted = truth.filter((x) => x.pct_of_issued >= THRESHOLD);
    const foundKeys = new Set(found.map((f) => f.k));
    const truthKeys = new Set(truth.map((x) => key(x.date, x.stock_code, x.seller_id, x.buyer_id)));
    const recall = planted.filter((x) => foundKeys.has(key(x.date, x.stock_code, x.seller_id, x.buyer_id))).length / planted.length;
    const precision = found.filter((f) => truthKeys.has(f.k)).length / found.length;
    console.log(`accuracy at ${THRESHOLD}%: planted ${planted.length}, reported ${found.length}, recall ${recall.toFixed(3)}, precision ${precision.toFixed(3)}`);
    expect(recall).toBeGreaterThanOrEqual(0.95);
    expect(precision).toBeGreaterThanOrEqual(0.9);
  });

  it("a planted one-to-many sale is reported with every buyer under one group", async () => {
    const groups = new Map<string, PlantedTransfer[]>();
    // sales whose every piece is 0.3 % or more: under that the finder cannot see a piece (docs/DATASETS.md "Transfers under noise")
    for (const x of truth) if (x.group) groups.set(x.group, [...(groups.get(x.group) ?? []), x]);
    for (const [g, pieces] of groups) if (pieces.some((p) => p.pct_of_issued < 0.3)) groups.delete(g);
    expect(groups.size).toBeGreaterThan(0);
    const t = await transfers(a);
    let matched = 0;
    for (const pieces of groups.values()) {
      const idx = pieces.map((p) =>
        (t.pairs.date as string[]).findIndex(
          (d, i) => d === p.date && t.pairs.stock_code![i] === p.stock_code && t.pairs.seller_id![i] === p.seller_id && t.pairs.buyer_id![i] === p.buyer_id,
        ),
      );
      if (idx.some((i) => i < 0)) continue;
      expect(new Set(idx.map((i) => t.pairs.group![i])).size).toBe(1);
      expect(idx.every((i) => t.pairs.match![i] === "one-to-many")).toBe(true);
      matched++;
    }
    expect(matched / groups.size).toBeGreaterThanOrEqual(0.9);
  });

  it("no corporate-action day yields a transfer, and each is detected with the right kind", async () => {
    const t = await transfers(a);
    const pairDays = new Set((t.pairs.date as string[]).map((d, i) => `${d}|${t.pairs.stock_code![i]}`));
    for (const c of actions) expect(pairDays.has(`${c.date}|${c.stock_code}`), `${c.kind} ${c.stock_code} ${c.date}`).toBe(false);
    const detected = await rows<{ date: string; stock_code: string; ca_kind: string }>(
      a.db.conn,
      "SELECT strftime(date, '%Y-%m-%d') AS date, stock_code, ca_kind FROM stock_days_window WHERE ca_kind IS NOT NULL ORDER BY date, stock_code",
    );
    const want = actions.map((c) => ({ date: c.date, stock_code: c.stock_code, ca_kind: c.kind }));
    const order = (x: { date: string; stock_code: string }, y: { date: string; stock_code: string }) =>
      x.date.localeCompare(y.date) || x.stock_code.localeCompare(y.stock_code);
    expect(detected).toEqual(want.sort(order));
  });

  it("a split or consolidation leaves the adjusted series of the largest holder without a jump", async () => {
    for (const c of actions.filter((x) => x.kind !== "placing")) {
      const [r] = await rows<{ before: number; after: number; raw_before: number; raw_after: number }>(
        a.db.conn,
        `WITH s AS (SELECT seq FROM stock_days_window WHERE stock_code = '${c.stock_code}' AND date = DATE '${c.date}'),
              top AS (SELECT pkey FROM latest_holdings WHERE stock_code = '${c.stock_code}' AND rank = 1)
         SELECT (SELECT shares FROM series_points WHERE stock_code = '${c.stock_code}' AND pkey = (SELECT pkey FROM top) AND seq < (SELECT seq FROM s) ORDER BY seq DESC LIMIT 1) AS before,
                (SELECT shares FROM series_points WHERE stock_code = '${c.stock_code}' AND pkey = (SELECT pkey FROM top) AND seq <= (SELECT seq FROM s) ORDER BY seq DESC LIMIT 1) AS after`,
      );
      // on the action day the holder's adjusted holding moves by noise only (≤ 1 % of itself), not by the ratio
      expect(Math.abs(r!.after / r!.before - 1), `${c.kind} ${c.stock_code}`).toBeLessThan(0.01);
    }
  });
});
