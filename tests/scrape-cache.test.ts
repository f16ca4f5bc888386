// Stale form tokens (replica --token-ttl) are refreshed and the run completes; the raw page cache
// rebuilds the same dataset with no network (`reparse`), and a run finds its pages in the cache.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunLockedError } from "../src/ingest/lock.ts";
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

  it("a damaged cache file is a miss for a run and a named reject for reparse, not a crash", async () => {
    const damaged = path.join(root, "damaged-cache");
    cpSync(cache(), damaged, { recursive: true });
    const victim = readdirSync(path.join(damaged, `date=${TO}`)).find((f) => /^\d{5}\.html\.gz$/.test(f))!;
    writeFileSync(path.join(damaged, `date=${TO}`, victim), "not gzip");
    const r = await reparse({ cache: damaged, out: path.join(root, "damaged-reparse") });
    expect(r.rejected).toEqual([{ date: TO, page: victim.slice(0, 5), reason: expect.stringContaining("unreadable cache file") }]);
    expect(r.dates).toBe(MARKET.days); // the rest of the date is still written
    // A run finds no usable copy and goes to the network (nothing answers on port 9): pending, not a crash.
    const run = await runScrape({
      out: path.join(root, "damaged-run"),
      baseUrl: "http://127.0.0.1:9",
      from: TO,
      to: TO,
      rate: 0,
      cache: damaged,
      client: { maxRetries: 1, backoff: { minMs: 1, maxMs: 2 } },
    });
    expect(run.pages.unavailable).toBe(1);
    expect(run.complete).toBe(false);
  });

  it("reparse takes the dataset lock: never beside a run or a compaction of the same folder", async () => {
    const locked = path.join(root, "locked");
    mkdirSync(path.join(locked, "_state"), { recursive: true });
    // A live owner: this very process.
    writeFileSync(path.join(locked, "_state", "run.lock"), JSON.stringify({ pid: process.pid, host: hostname() }));
    await expect(reparse({ cache: cache(), out: locked })).rejects.toThrow(RunLockedError);
    expect(existsSync(path.join(locked, "holdings"))).toBe(false);
    rmSync(path.join(locked, "_state", "run.lock"));
    await reparse({ cache: cache(), out: locked, from: TO, to: TO });
    expect(existsSync(path.join(locked, "_state", "run.lock"))).toBe(false); // released after
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
