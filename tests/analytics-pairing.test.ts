// The pairing of one stock-day's movers into likely transfers (data-loaders/compute/pairing.ts).
import { describe, expect, it } from "vitest";
import { pairDay, type DayNoise, type Mover } from "../data-loaders/compute/pairing.ts";

/** A stock-day of 100 million shares with no noise known: the tolerance is 2 % of the amount. */
const CLEAN: DayNoise = { issued: 100_000_000, noisePct: 0 };

describe("pairDay", () => {
  it("pairs a seller with the buyer whose amount matches, not with a larger or smaller one", () => {
    const pairs = pairDay([
      { key: "C00001", change: -1_000_000 },
      { key: "B00001", change: 700_000 },
      { key: "B00002", change: 1_005_000 }, // within 2 %
      { key: "B00003", change: 1_300_000 },
    ], CLEAN);
    expect(pairs).toHaveLength(1);
    expect(pairs[0]).toMatchObject({ seller: "C00001", buyer: "B00002", shares: 1_000_000, match: "one-to-one" });
    expect(pairs[0]!.confidence).toBeGreaterThan(0.5);
    expect(pairs[0]!.confidence).toBeLessThanOrEqual(1);
  });

  it("labels several sellers feeding one buyer as many-to-one, sharing one set", () => {
    const pairs = pairDay([
      { key: "C00001", change: -400_000 },
      { key: "C00002", change: -600_000 },
      { key: "B00001", change: 1_000_000 },
    ], CLEAN);
    expect(pairs.map((p) => [p.seller, p.buyer, p.shares, p.match])).toEqual([
      ["C00002", "B00001", 600_000, "many-to-one"],
      ["C00001", "B00001", 400_000, "many-to-one"],
    ]);
    expect(new Set(pairs.map((p) => p.set)).size).toBe(1);
  });

  it("pairs nothing when amounts differ by more than the tolerance or only one side moved", () => {
    expect(pairDay([{ key: "C00001", change: -1_000_000 }, { key: "B00001", change: 950_000 }], CLEAN)).toEqual([]);
    expect(pairDay([{ key: "C00001", change: -1_000_000 }, { key: "C00002", change: -1_000_000 }], CLEAN)).toEqual([]);
  });

  it("uses each mover once: two equal sellers and one buyer give one pair", () => {
    const pairs = pairDay([
      { key: "C00001", change: -500_000 },
      { key: "C00002", change: -500_000 },
      { key: "B00001", change: 500_000 },
    ], CLEAN);
    expect(pairs).toHaveLength(1);
    // an ambiguous match is reported with lower confidence than a unique exact one
    const unique = pairDay([{ key: "C00001", change: -500_000 }, { key: "B00001", change: 500_000 }], CLEAN);
    expect(pairs[0]!.confidence).toBeLessThan(unique[0]!.confidence);
  });
});

/**
 * Noisy stock-days, each hand-made: 1,000 million shares issued whose positions usually move by
 * 0.02 % of issued a day (200,000 shares), so the tolerance is 2 % of the amount + 400,000 shares
 * and movers under 3 × 200,000 shares are the stock's everyday flows.
 */
const NOISY: DayNoise = { issued: 1_000_000_000, noisePct: 0.02 };
const pairsOf = (movers: Mover[]) => pairDay(movers, NOISY).map((p) => [p.seller, p.buyer, p.match]);

describe("pairDay on noisy stock-days", () => {
  it("two similar blocks on one day: the best overall pairing wins, not the closest single match", () => {
    // S2 → B2 and S1 → B1, each buyer trading a little on its own; S2 and B1 are the closest
    // amounts (50,000 apart), but pairing them leaves S1 with B2, 500,000 apart
    const movers = [
      { key: "C00001", change: -10_000_000 },
      { key: "C00002", change: -10_350_000 },
      { key: "B00001", change: 10_300_000 },
      { key: "B00002", change: 10_500_000 },
    ];
    expect(pairsOf(movers).sort()).toEqual([
      ["C00001", "B00001", "one-to-one"],
      ["C00002", "B00002", "one-to-one"],
    ]);
    // when the other pairing fits almost as well, the confidence says so
    const clear = pairDay([{ key: "C00001", change: -10_000_000 }, { key: "B00001", change: 10_300_000 }], NOISY)[0]!;
    for (const p of pairDay(movers, NOISY)) expect(p.confidence).toBeLessThan(clear.confidence);
  });

  it("a 3 % blur: the buyer's own trading on the day does not hide the transfer", () => {
    const pairs = pairDay(
      [
        { key: "C00001", change: -20_000_000 },
        { key: "B00001", change: 20_600_000 },
        { key: "B00002", change: 350_000 }, // everyday flows
        { key: "C00003", change: -420_000 },
      ],
      NOISY,
    );
    expect(pairs.map((p) => [p.seller, p.buyer, p.shares])).toEqual([["C00001", "B00001", 20_000_000]]);
  });

  it("a sell-out and a newcomer: the whole of one holding to a holder new to the stock", () => {
    // the seller's row disappears (change = minus its holding), the buyer's row appears
    expect(pairsOf([{ key: "C00001", change: -7_300_000 }, { key: "B00009", change: 7_150_000 }])).toEqual([["C00001", "B00009", "one-to-one"]]);
  });

  it("a split sale under noise: one seller to three buyers, each blurred", () => {
    const pairs = pairDay(
      [
        { key: "C00001", change: -30_000_000 },
        { key: "B00001", change: 15_300_000 },
        { key: "B00002", change: 9_800_000 },
        { key: "B00003", change: 5_100_000 },
        { key: "B00004", change: 450_000 }, // everyday flows, not part of the sale
      ],
      NOISY,
    );
    expect(pairs.map((p) => [p.seller, p.buyer, p.match])).toEqual([
      ["C00001", "B00001", "one-to-many"],
      ["C00001", "B00002", "one-to-many"],
      ["C00001", "B00003", "one-to-many"],
    ]);
    expect(new Set(pairs.map((p) => p.set)).size).toBe(1);
  });

  it("never pairs two unrelated small movers on a quiet day, however close their amounts", () => {
    // all below 3 × the stock's noise: the old fixed 2 % tolerance paired the first two
    const quiet = [
      { key: "C00001", change: -550_000 },
      { key: "B00001", change: 551_000 },
      { key: "C00002", change: -300_000 },
      { key: "B00002", change: 200_000 },
      { key: "B00003", change: 100_000 },
    ];
    expect(pairDay(quiet, NOISY)).toEqual([]);
    // the same amounts on a stock whose positions barely move are far above its noise: a pair
    expect(pairDay(quiet, { issued: 1_000_000_000, noisePct: 0.001 }).map((p) => [p.seller, p.buyer])).toContainEqual(["C00001", "B00001"]);
  });

  it("the tolerance grows with the stock's noise: a 5 % mismatch pairs on a noisy stock only", () => {
    const movers = [
      { key: "C00001", change: -10_000_000 },
      { key: "B00001", change: 10_500_000 },
    ];
    expect(pairDay(movers, { issued: 1_000_000_000, noisePct: 0.005 })).toEqual([]); // tolerance 2 % + 100,000
    expect(pairDay(movers, { issued: 1_000_000_000, noisePct: 0.02 })).toHaveLength(1); // 2 % + 400,000
  });
});
