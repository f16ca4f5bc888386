// Replica end to end: a scrape through 10% faults (500, 503, resets, pages cut short) and a
// 20 requests/s rate limit (429 + Retry-After) stores row for row what a fault-free scrape
// stores, and that is exactly what the market holds (written straight through the writer).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runScrape } from "../src/ingest/run.ts";
import { writeMarketDataset } from "../src/replica/dataset-writer.ts";
import { isEquityCode } from "../src/ingest/universe.ts";
import { createMarket } from "../src/replica/market.ts";
import { startReplica } from "../src/replica/server.ts";
import { query } from "./ingest-helpers.ts";
import { diffDatasets, rowCounts, ZERO_DIFF } from "./scrape-helpers.ts";

// The scenario: 50 stocks x 20 days, faults at 10 % and a 429 above 20 requests/s (about
// 1 s per date for the faulty run).
const MARKET = { seed: 7, stocks: 50, days: 20, end: "2026-11-20" };
const market = createMarket(MARKET);
const FROM = market.dates[0]!;
const TO = market.dates.at(-1)!;
let root: string;
beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), "scrape-faults-"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("scrape through the replica", () => {
  let clean: string;

  it("stores what the market holds (fault-free run vs the market written directly)", async () => {
    clean = path.join(root, "clean");
    const replica = await startReplica({ ...MARKET, market });
    try {
      const report = await runScrape({ out: clean, baseUrl: replica.url, from: FROM, to: TO, rate: 0, concurrency: 4 });
      expect(report.complete).toBe(true);
      expect(report.dates.written).toBe(MARKET.days);
    } finally {
      await replica.close();
    }
    const direct = path.join(root, "direct");
    await writeMarketDataset(market, direct);
    const equities = market.stocks.filter((s) => isEquityCode(s.code)).map((s) => `'${s.code}'`);
    for (const t of ["holdings", "summary"]) {
      const scraped = `read_parquet('${clean}/${t}/month=*/*.parquet', hive_partitioning = false)`;
      const truth = `(SELECT * FROM read_parquet('${direct}/${t}/month=*/*.parquet', hive_partitioning = false) WHERE stock_code IN (${equities.join(",")}))`;
      const [d] = await query(
        `SELECT (SELECT count(*) FROM (SELECT * FROM ${scraped} EXCEPT ALL SELECT * FROM ${truth}))::INTEGER a,
                (SELECT count(*) FROM (SELECT * FROM ${truth} EXCEPT ALL SELECT * FROM ${scraped}))::INTEGER b,
                (SELECT count(*) FROM ${scraped})::INTEGER n`,
      );
      expect(d, t).toMatchObject({ a: 0, b: 0 });
      expect(d!.n as number).toBeGreaterThan(100);
    }
  });

  it("gives row for row the same dataset through 10% faults and a 20 requests/s limit", async () => {
    const faulty = path.join(root, "faulty");
    const replica = await startReplica({ ...MARKET, market, faultRate: 0.1, rateLimit: 20 });
    try {
      const report = await runScrape({
        out: faulty,
        baseUrl: replica.url,
        from: FROM,
        to: TO,
        rate: 25, // a little above the limit, so some requests meet a 429 and its Retry-After
        concurrency: 4,
        client: { backoff: { minMs: 20, maxMs: 200 }, maxRetries: 8, timeoutMs: 5_000 },
      });
      expect(report.complete).toBe(true);
      expect(report.pages.rejected).toBe(0);
      // The faults really happened and were retried.
      expect(Object.keys(replica.handler.stats.faults).length).toBeGreaterThan(0);
      expect(Object.values(report.http.retries).reduce((a, b) => a + b, 0)).toBeGreaterThan(10);
    } finally {
      await replica.close();
    }
    expect(await diffDatasets(clean, faulty)).toEqual(ZERO_DIFF);
    expect((await rowCounts(faulty)).holdings).toBeGreaterThan(1000);
  }, 300_000); // ~1,000 pages under a 20 requests/s limit: about 50 s alone, more beside other test files
});
