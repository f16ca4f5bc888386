// The pairing of one stock-day's movers into likely transfers (data-loaders/lib/pairing.ts).
import { describe, expect, it } from "vitest";
import { pairDay } from "../data-loaders/lib/pairing.ts";

describe("pairDay", () => {
  it("pairs a seller with the buyer whose amount matches, not with a larger or smaller one", () => {
    const pairs = pairDay([
      { key: "C00001", change: -1_000_000 },
      { key: "B00001", change: 700_000 },
      { key: "B00002", change: 1_005_000 }, // within 2 %
      { key: "B00003", change: 1_300_000 },
    ]);
    expect(pairs).toHaveLength(1);
    expect(pairs[0]).toMatchObject({ seller: "C00001", buyer: "B00002", shares: 1_000_000, match: "one-to-one" });
    expect(pairs[0]!.confidence).toBeGreaterThan(0.5);
    expect(pairs[0]!.confidence).toBeLessThan(1);
  });

  it("labels several sellers feeding one buyer as many-to-one, sharing one set", () => {
    const pairs = pairDay([
      { key: "C00001", change: -400_000 },
      { key: "C00002", change: -600_000 },
      { key: "B00001", change: 1_000_000 },
    ]);
    expect(pairs.map((p) => [p.seller, p.buyer, p.shares, p.match])).toEqual([
      ["C00002", "B00001", 600_000, "many-to-one"],
      ["C00001", "B00001", 400_000, "many-to-one"],
    ]);
    expect(new Set(pairs.map((p) => p.set)).size).toBe(1);
  });

  it("pairs nothing when amounts differ by more than the tolerance or only one side moved", () => {
    expect(pairDay([{ key: "C00001", change: -1_000_000 }, { key: "B00001", change: 950_000 }])).toEqual([]);
    expect(pairDay([{ key: "C00001", change: -1_000_000 }, { key: "C00002", change: -1_000_000 }])).toEqual([]);
  });

  it("uses each mover once: two equal sellers and one buyer give one pair", () => {
    const pairs = pairDay([
      { key: "C00001", change: -500_000 },
      { key: "C00002", change: -500_000 },
      { key: "B00001", change: 500_000 },
    ]);
    expect(pairs).toHaveLength(1);
    // an ambiguous match is reported with lower confidence than a unique exact one
    const unique = pairDay([{ key: "C00001", change: -500_000 }, { key: "B00001", change: 500_000 }]);
    expect(pairs[0]!.confidence).toBeLessThan(unique[0]!.confidence);
  });
});
