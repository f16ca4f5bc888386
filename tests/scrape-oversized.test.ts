// The response size ceiling: a body past `maxResponseBytes` is not read further, whether it is
// streamed without a length (the replica's "oversized" fault) or announced by Content-Length. The
// page is rejected as `oversized` with its first bytes kept as evidence, not retried, and nothing
// from it is written; the other pages of the date are stored as usual.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HkexClient, OVERSIZED_EVIDENCE_BYTES } from "../src/hkex/client.ts";
import { extractFormFields, parseHoldingsPage } from "../src/hkex/parse.ts";
import { runScrape } from "../src/ingest/run.ts";
import { FaultOptionError, oversizedFault } from "../src/replica/faults.ts";
import { createMarket } from "../src/replica/market.ts";
import { startReplica } from "../src/replica/server.ts";
import { query } from "./ingest-helpers.ts";
import { startFakeHkex } from "./scrape-helpers.ts";

const MARKET = { seed: 3, stocks: 8, days: 2, end: "2026-11-20" };
const market = createMarket(MARKET);
const DATE = market.dates.at(-1)!;
const CODES = market.stocks.slice(0, 4).map((s) => s.code);
const BIG = CODES[1]!;
const CEILING = 1024 * 1024; // above every page of this market
const quick = { backoff: { minMs: 1, maxMs: 5 }, maxRetries: 2, timeoutMs: 10_000, maxResponseBytes: CEILING };

let root: string;
beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), "scrape-oversized-"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("the replica's oversized fault", () => {
  it("streams the page and then filler, the given length, with no Content-Length, for the chosen stocks only", async () => {
    const replica = await startReplica({ ...MARKET, market, oversized: { stocks: [BIG], bytes: 1_000_000 } });
    try {
      const fields = extractFormFields(await (await fetch(`${replica.url}/sdw/search/searchsdw.aspx`)).text());
      const post = (code: string) =>
        fetch(`${replica.url}/sdw/search/searchsdw.aspx`, {
          method: "POST",
          body: new URLSearchParams({ ...fields, __EVENTTARGET: "btnSearch", txtShareholdingDate: DATE.replaceAll("-", "/"), txtStockCode: code }),
        });
      const big = await post(BIG);
      expect(big.headers.get("content-length")).toBeNull();
      const body = Buffer.from(await big.arrayBuffer());
      expect(body.length).toBe(1_000_000);
      const page = parseHoldingsPage(body.toString("utf8").trimEnd());
      expect(page).toMatchObject({ stockCode: BIG, date: DATE });
      const small = await post(CODES[0]!);
      expect(Number(small.headers.get("content-length"))).toBeLessThan(1_000_000);
      expect(replica.handler.stats.faults).toEqual({ oversized: 1 });
    } finally {
      await replica.close();
    }
  });

  it("refuses bad stock codes and lengths", () => {
    expect(() => oversizedFault(["7OO"])).toThrow(FaultOptionError);
    expect(() => oversizedFault(["00700"], 0)).toThrow(FaultOptionError);
    expect(oversizedFault(["00700"]).stocks.has("00700")).toBe(true);
  });
});

describe("the client's response ceiling", () => {
  it("rejects a streamed oversized page with its first bytes kept, once, and writes the rest of the date", async () => {
    const replica = await startReplica({ ...MARKET, market, oversized: { stocks: [BIG], bytes: 8 * 1024 * 1024 } });
    const out = path.join(root, "streamed");
    try {
      const report = await runScrape({ out, baseUrl: replica.url, from: DATE, to: DATE, stocks: CODES, rate: 0, client: quick });
      expect(report.complete).toBe(true);
      expect(report.rejects.map((r) => [r.page, r.reason.split(":")[0]])).toEqual([[BIG, "oversized"]]);
      expect(report.rejects[0]!.reason).toMatch(new RegExp(`more than ${CEILING} bytes`));
      expect(replica.handler.stats.faults).toEqual({ oversized: 1 }); // not retried
      // it stopped reading at the ceiling: far less than the 8 MiB served came in
      expect(report.http.bytes).toBeLessThan(3 * CEILING);
    } finally {
      await replica.close();
    }
    const evidence = gunzipSync(readFileSync(path.join(out, "_rejects", `date=${DATE}`, `${BIG}.html.gz`)));
    expect(evidence.length).toBe(OVERSIZED_EVIDENCE_BYTES);
    expect(evidence.toString("utf8")).toContain(`value="${BIG}"`);
    const stored = await query(`SELECT DISTINCT stock_code FROM read_parquet('${out}/holdings/*/*.parquet') ORDER BY 1`);
    expect(stored.map((r) => r.stock_code)).toEqual(CODES.filter((c) => c !== BIG && (market.holdings(DATE, c)?.participants.length ?? 0) > 0).sort());
  });

  it("stops at once when Content-Length announces more than the ceiling", async () => {
    const huge = JSON.stringify(Array.from({ length: 120_000 }, (_, i) => ({ c: String(i % 100_000).padStart(5, "0"), n: "A STOCK NAME" })));
    expect(huge.length).toBeGreaterThan(2 * CEILING);
    const fake = await startFakeHkex({ "GET /sdw/search/stocklist.aspx": () => ({ body: huge, headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(huge)) } }) });
    const client = new HkexClient({ baseUrl: fake.url, rate: 0, ...quick });
    try {
      const r = await client.stockList(DATE);
      expect(r).toMatchObject({ status: "rejected", attempts: 1, reason: expect.stringMatching(new RegExp(`^oversized: response of ${Buffer.byteLength(huge)} \\(Content-Length\\)`)) });
      if (r.status !== "rejected") throw new Error("unreachable");
      expect(r.raw).toBe(huge.slice(0, OVERSIZED_EVIDENCE_BYTES));
      expect(fake.counts.get("GET /sdw/search/stocklist.aspx")).toBe(1);
      // a page under the ceiling still reads whole
      const roomy = new HkexClient({ baseUrl: fake.url, rate: 0, ...quick, maxResponseBytes: 4 * CEILING });
      expect((await roomy.stockList(DATE)).status).toBe("ok");
      await roomy.close();
    } finally {
      await client.close();
      await fake.close();
    }
  });
});
