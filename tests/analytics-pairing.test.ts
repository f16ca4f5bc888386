// The pairing of one stock-day's movers into likely transfers (data-loaders/lib/pairing.ts).
import { describe, expect, it } from "vitest";
import { alongside } from "../data-loaders/lib/cache.ts";
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

describe("alongside (the cache build's overlap of pairing and SQL)", () => {
  const tick = () => new Promise((r) => setImmediate(r));

  it("a background failure while the foreground still yields is reported once both settle, not as an unhandled rejection", async () => {
    let foregroundDone = false;
    const p = alongside(
      async () => {
        await tick();
        throw new Error("corrupt southbound file");
      },
      async () => {
        for (let i = 0; i < 20; i++) await tick(); // pairMovers yields to the event loop like this
        foregroundDone = true;
        return 1;
      },
    );
    await expect(p).rejects.toThrow("corrupt southbound file");
    expect(foregroundDone).toBe(true);
  });

  it("a foreground failure waits for the background and wins", async () => {
    let backgroundDone = false;
    const p = alongside(
      async () => {
        for (let i = 0; i < 5; i++) await tick();
        backgroundDone = true;
      },
      async () => {
        throw new Error("pairing failed");
      },
    );
    await expect(p).rejects.toThrow("pairing failed");
    expect(backgroundDone).toBe(true);
  });
});
