// The likely rule (data-loaders/publish/likely.ts, docs/DATASETS.md "Likely transfers") against the
// replica's ground truth, on the default and the noisy market, which plant transfers from 0.05 % of
// issued up: recall and precision of the likely pairs per size band, the calibration per band
// (printed), and the published files agreeing with the rule (meta's count, the download's `likely`).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { calibrationByBand, likelyByBand, readPairs, readTruth, type ScoredPair, type Truth } from "../bench/transfer-score.ts";
import { openAnalytics, type Analytics } from "../data-loaders/compute/cache.ts";
import { meta } from "../data-loaders/publish/page-data/meta.ts";
import { transfers } from "../data-loaders/publish/page-data/transfers.ts";
import { createDownloadSources } from "../data-loaders/publish/downloads.ts";
import { rows } from "../data-loaders/compute/duck.ts";
import { LIKELY_MIN_CONFIDENCE } from "../data-loaders/publish/likely.ts";
import { writeSyntheticDataset } from "../src/replica/dataset-writer.ts";

let scratch: string;
const markets: Record<"default" | "noisy", { a: Analytics; truth: Truth; pairs: ScoredPair[] }> = {} as never;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), "ccass-likely-"));
  for (const noise of [false, true]) {
    const data = path.join(scratch, noise ? "noisy" : "default");
    await writeSyntheticDataset({ out: data, seed: 2, stocks: 100, days: 60, end: "2026-11-20", noise });
    const a = await openAnalytics(data, { cache: path.join(scratch, `cache-${noise ? "noisy" : "default"}`) });
    markets[noise ? "noisy" : "default"] = { a, truth: (await readTruth(data))!, pairs: await readPairs(a) };
  }
}, 1_500_000);

afterAll(async () => {
  for (const m of Object.values(markets)) m.a.db.close();
  await rm(scratch, { recursive: true, force: true });
});

/** Print a market's table: the figures the README and docs quote come from the bench, these from the test's market. */
function report(name: string, bands: ReturnType<typeof likelyByBand>, m: { pairs: ScoredPair[]; truth: Truth }) {
  const lines = bands.map((b) => `  ${b.band.padEnd(11)} planted ${b.planted}, pairs ${b.pairs}, likely ${b.likely}, recall ${b.recall}, precision ${b.precision}`);
  for (const c of calibrationByBand(m.pairs, m.truth)) {
    lines.push(`  calibration ${c.band}: ${c.table.map((t) => `${t.band} ${t.real}/${t.pairs}`).join("; ")}`);
  }
  console.log(`${name} market, likely = confidence ≥ ${LIKELY_MIN_CONFIDENCE}:\n${lines.join("\n")}`);
}

describe("likely pairs per size band, against the planted transfers", () => {
  it("both markets plant transfers in every band, more small ones than large ones", () => {
    for (const m of Object.values(markets)) {
      const bands = likelyByBand(m.pairs, m.truth, LIKELY_MIN_CONFIDENCE);
      for (const b of bands) expect(b.planted, b.band).toBeGreaterThan(5);
      expect(bands[0]!.planted + bands[1]!.planted).toBeGreaterThan(bands[2]!.planted + bands[3]!.planted);
    }
  });

  it("default market: from 0.3 % up, the likely pairs find ≥ 75 % of the planted transfers with ≥ 95 % precision", () => {
    const bands = likelyByBand(markets.default.pairs, markets.default.truth, LIKELY_MIN_CONFIDENCE);
    report("default", bands, markets.default);
    // the two bands together (this small market plants about ten transfers of 1 % or more)
    const big = bands.slice(2);
    const planted = big.reduce((n, b) => n + b.planted, 0);
    const found = big.reduce((n, b) => n + (b.recall ?? 0) * b.planted, 0);
    const likely = big.reduce((n, b) => n + b.likely, 0);
    const real = big.reduce((n, b) => n + b.likely_planted, 0);
    expect(planted).toBeGreaterThan(30);
    expect(found / planted).toBeGreaterThanOrEqual(0.75);
    expect(real / likely).toBeGreaterThanOrEqual(0.95);
  });

  it("noisy market: at 1 % and more, recall ≥ 80 % and precision ≥ 90 %", () => {
    const bands = likelyByBand(markets.noisy.pairs, markets.noisy.truth, LIKELY_MIN_CONFIDENCE);
    report("noisy", bands, markets.noisy);
    expect(bands[3]!.recall).toBeGreaterThanOrEqual(0.8);
    expect(bands[3]!.precision).toBeGreaterThanOrEqual(0.9);
  });

  it("in every band of either market with 20 likely pairs or more, most likely pairs are planted transfers", () => {
    for (const [name, m] of Object.entries(markets)) {
      for (const b of likelyByBand(m.pairs, m.truth, LIKELY_MIN_CONFIDENCE)) {
        if (b.likely >= 20) expect(b.precision, `${name} ${b.band}`).toBeGreaterThanOrEqual(LIKELY_MIN_CONFIDENCE);
      }
    }
  });
});

describe("the published files follow the rule", () => {
  it("meta's count of likely transfers is the download's count of rows marked likely, and `likely` is confidence ≥ the rule", async () => {
    for (const [name, m] of Object.entries(markets)) {
      await createDownloadSources(m.a.db.conn, m.a.data);
      const [d] = await rows<{ likely: number; wrong: number; n: number }>(
        m.a.db.conn,
        `SELECT count(*) FILTER (WHERE likely) AS likely, count(*) FILTER (WHERE likely <> (confidence >= ${LIKELY_MIN_CONFIDENCE})) AS wrong, count(*) AS n FROM dl_transfers`,
      );
      const counts = (await meta(m.a)).counts as { likely_transfers: number; transfer_pairs: number };
      expect(Number(counts.likely_transfers), name).toBe(Number(d!.likely));
      expect(Number(counts.transfer_pairs), name).toBe(Number(d!.n));
      expect(Number(d!.wrong), name).toBe(0);
      expect(Number(d!.likely), name).toBeLessThan(Number(d!.n));
      const t = await transfers(m.a);
      expect(t.likely_min_confidence).toBe(LIKELY_MIN_CONFIDENCE);
      const conf = t.pairs.confidence as number[];
      (t.pairs.likely as boolean[]).forEach((l, i) => expect(l, `${name} pair ${i}`).toBe(conf[i]! >= LIKELY_MIN_CONFIDENCE));
      expect(t.likely_total).toBe((t.pairs.likely as boolean[]).filter(Boolean).length);
    }
  });
});
