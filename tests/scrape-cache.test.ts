// Stale form tokens (replica --token-ttl) are refreshed and the run completes; the raw page cache
// rebuilds the same dataset with no network (`reparse`), and a run finds its pages in the cache.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reparse } from "../src/ingest/reparse.ts";
import { runScrape } from "../src/ingest/run.ts";
import { createMarket } from "../src/replica/market.ts";
import { startReplica } from "../src/replica/server.ts";
import { diffDatasets, rowCounts, ZERO_DIFF } from "./scrape-helpers.ts";

const MARKET = { seed: 3, stocks: 50, days: 3, end: "2026-11-20" };
const market = createMarket(MARKET);
const FROM = market.dates[0]!;
const TO = market.dates.at(-1)!;

let root: string;
beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), "scrape-cache-"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("tokens and cache", () => {
  const scraped = () => path.join(root, "scraped");
  const cache = () => path.join(root, "cache");

  it("refreshes stale form tokens and completes (replica --token-ttl 1)", async () => {
    const replica = await startReplica({ ...MARKET, market, tokenTtlSeconds: 1 });
    try {
      // About 125 requests at 40/s: the run outlives several token lifetimes.
      const report = await runScrape({ out: scraped(), baseUrl: replica.url, from: FROM, to: TO, rate: 40, cache: cache() });
      expect(report.complete).toBe(true);
      expect(report.pages.rejected).toBe(0);
      expect(report.http.tokenRefreshes).toBeGreaterThanOrEqual(2);
    } finally {
      await replica.close();
    }
    // The same market scraped with tokens that never expire gives the same rows.
    const steady = await startReplica({ ...MARKET, market });
    const plain = path.join(root, "plain");
    try {
      const r = await runScrape({ out: plain, baseUrl: steady.url, from: FROM, to: TO, rate: 0 });
      expect(r.http.tokenRefreshes).toBe(0);
    } finally {
      await steady.close();
    }
    expect(await diffDatasets(plain, scraped())).toEqual(ZERO_DIFF);
  });

  it("reparse rebuilds the same dataset from the cache alone", async () => {
    // Every replica is closed by now: nothing answers on the network.
    expect(readdirSync(cache()).sort()).toEqual(market.dates.map((d) => `date=${d}`));
    const rebuilt = path.join(root, "rebuilt");
    const r = await reparse({ cache: cache(), out: rebuilt });
    expect(r.rejected).toEqual([]);
    expect(r.dates).toBe(MARKET.days);
    expect(await diffDatasets(scraped(), rebuilt)).toEqual(ZERO_DIFF);
    expect((await rowCounts(rebuilt)).holdings).toBeGreaterThan(500);
  });

  it("a run takes its pages from the cache before the network", async () => {
    const fromCache = path.join(root, "from-cache");
    // Port 9 (discard) on localhost: any request would fail; the cache must serve every page.
    const r = await runScrape({
      out: fromCache,
      baseUrl: "http://127.0.0.1:9",
      from: FROM,
      to: TO,
      rate: 0,
      cache: cache(),
      client: { maxRetries: 1, backoff: { minMs: 1, maxMs: 2 } },
    });
    expect(r.complete).toBe(true);
    expect(r.http.requests).toBe(0);
    expect(r.pages.fromCache).toBe(r.pages.ok + r.pages.alert);
    expect(await diffDatasets(scraped(), fromCache)).toEqual(ZERO_DIFF);
  });
});
