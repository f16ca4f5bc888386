// Faults the replica injects on request: the rate limit (429 + Retry-After), the fault mix (500, 503,
// resets, pages cut short with status 200), the maintenance window, and form tokens that expire.
import { afterEach, describe, expect, it } from "vitest";
import { extractFormFields, parseHoldingsPage, parseStockList } from "../src/hkex/parse.ts";
import { FaultOptionError, parseMaintenanceWindow, RateLimiter } from "../src/replica/faults.ts";
import { createMarket } from "../src/replica/market.ts";
import { startReplica } from "../src/replica/server.ts";

const MARKET = { seed: 2, stocks: 12, days: 5, end: "2026-11-20" } as const;
// One market for every server here: building it is cheap, but there is no need to repeat it.
const market = createMarket(MARKET);
const code = market.stocks[0]!.code;
let running: Awaited<ReturnType<typeof startReplica>> | null = null;
afterEach(async () => {
  await running?.close();
  running = null;
});

async function start(extra: Record<string, unknown>): Promise<string> {
  running = await startReplica({ ...MARKET, market, ...extra });
  return running.url;
}

async function postSearch(base: string, fields: Record<string, string>, date = "2026/11/20"): Promise<string> {
  const body = new URLSearchParams({ ...fields, __EVENTTARGET: "btnSearch", txtShareholdingDate: date, txtStockCode: code });
  return (await fetch(`${base}/sdw/search/searchsdw.aspx`, { method: "POST", body })).text();
}

describe("replica faults", () => {
  it("answers 429 with Retry-After above the rate limit, and serves again after waiting", async () => {
    const base = await start({ rateLimit: 5 });
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 15; i++) {
      const res = await fetch(`${base}/sdw/search/searchsdw.aspx`);
      statuses.push(res.status);
      if (res.status === 429) retryAfter ??= res.headers.get("retry-after");
      await res.arrayBuffer();
    }
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(5);
    expect(statuses.filter((s) => s === 200).length).toBeLessThan(10);
    expect(statuses).toContain(429);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    await new Promise((r) => setTimeout(r, Number(retryAfter) * 1000));
    expect((await fetch(`${base}/sdw/search/searchsdw.aspx`)).status).toBe(200);
    // The truth endpoints are never limited.
    expect((await fetch(`${base}/__truth/transfers.json`)).status).toBe(200);
  });

  it("refills the token bucket at the configured rate", () => {
    const rl = new RateLimiter(2, 0);
    expect([rl.take(0), rl.take(0)]).toEqual([0, 0]);
    expect(rl.take(0)).toBeGreaterThanOrEqual(1);
    expect(rl.take(499)).toBeGreaterThanOrEqual(1);
    expect(rl.take(510)).toBe(0);
  });

  it("fails about the requested share of responses with the four kinds of fault, cut pages cut", async () => {
    const base = await start({ faultRate: 0.5 });
    const kinds = { ok: 0, 500: 0, 503: 0, reset: 0, cut: 0 };
    const n = 160;
    for (let i = 0; i < n; i++) {
      try {
        const res = await fetch(`${base}/sdw/search/stocklist.aspx?sortby=stockcode&shareholdingdate=20261120`);
        const body = await res.text();
        if (res.status === 500 || res.status === 503) kinds[res.status]++;
        else {
          expect(res.status).toBe(200);
          const parsed = parseStockList(body);
          if ("error" in parsed) {
            // A cut page: a strict prefix of the real list, shorter than it.
            expect(body.length).toBeGreaterThan(0);
            expect(JSON.stringify(market.stockList("2026-11-20").stocks.map((s) => ({ c: s.code, n: s.name })))).toContain(body);
            kinds.cut++;
          } else {
            expect(parsed).toEqual(market.stockList("2026-11-20"));
            kinds.ok++;
          }
        }
      } catch {
        kinds.reset++; // fetch fails when the server drops the connection
      }
    }
    expect(kinds.ok).toBeGreaterThan(n * 0.3);
    expect(kinds.ok).toBeLessThan(n * 0.7);
    for (const k of ["500", "503", "reset", "cut"] as const) expect(kinds[k]).toBeGreaterThan(n * 0.05);
    expect(running?.handler.stats.faults.cut).toBe(kinds.cut);
  });

  it("cuts HTML result pages so that the parser reports them incomplete, never as a result", async () => {
    const base = await start({ faultRate: 1 });
    let cut = 0;
    for (let i = 0; i < 40 && cut < 3; i++) {
      let html: string;
      try {
        const res = await fetch(`${base}/sdw/search/searchsdw.aspx`);
        if (res.status !== 200) continue;
        html = await res.text();
      } catch {
        continue;
      }
      cut++;
      expect(html).not.toContain("</html>");
      expect(parseHoldingsPage(html)).toHaveProperty("error");
    }
    expect(cut).toBeGreaterThan(0);
  });

  it("serves the maintenance page inside the window and results after it", async () => {
    const base = await start({ maintenance: "+0s..+1500ms" });
    const during = await (await fetch(`${base}/sdw/search/searchsdw.aspx`)).text();
    expect(parseHoldingsPage(during)).toEqual({ error: "maintenance" });
    const list = await (await fetch(`${base}/sdw/search/stocklist.aspx?shareholdingdate=20261120`)).text();
    expect(list).toContain("ccass-search-maintenance");
    await new Promise((r) => setTimeout(r, 1600));
    const form = await (await fetch(`${base}/sdw/search/searchsdw.aspx`)).text();
    expect(parseHoldingsPage(await postSearch(base, extractFormFields(form)))).toEqual(market.holdings("2026-11-20", code));
  });

  it("parses maintenance windows given as ISO date-times or offsets, and rejects nonsense", () => {
    expect(parseMaintenanceWindow("+0s..+3s", 1000)).toEqual({ from: 1000, to: 4000 });
    expect(parseMaintenanceWindow("+1m..+1.5m", 0)).toEqual({ from: 60_000, to: 90_000 });
    expect(parseMaintenanceWindow("2026-11-23T10:00:00Z..2026-11-23T10:05:00Z", 0)).toEqual({
      from: Date.parse("2026-11-23T10:00:00Z"),
      to: Date.parse("2026-11-23T10:05:00Z"),
    });
    expect(() => parseMaintenanceWindow("+3s..+1s", 0)).toThrow(FaultOptionError);
    expect(() => parseMaintenanceWindow("2026-11-23..2026-11-24", 0)).toThrow(FaultOptionError);
    expect(() => parseMaintenanceWindow("soon", 0)).toThrow(FaultOptionError);
  });

  it("adds the requested latency", async () => {
    const base = await start({ latencyMs: 300 });
    const t0 = performance.now();
    await (await fetch(`${base}/sdw/search/searchsdw.aspx`)).text();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
  });
});

describe("replica form tokens", () => {
  it("gives the plain form (no result, no alert) for a stale token, and a result with fresh tokens", async () => {
    const base = await start({ tokenTtlSeconds: 1 });
    const fields = extractFormFields(await (await fetch(`${base}/sdw/search/searchsdw.aspx`)).text());
    expect(parseHoldingsPage(await postSearch(base, fields))).toEqual(market.holdings("2026-11-20", code));
    await new Promise((r) => setTimeout(r, 1200));
    const stale = await postSearch(base, fields);
    expect(parseHoldingsPage(stale)).toMatchObject({ error: "no-result" });
    expect(extractFormFields(stale).alertMsg).toBe("");
    const fresh = extractFormFields(stale); // the plain form carries fresh tokens
    expect(parseHoldingsPage(await postSearch(base, fresh))).toEqual(market.holdings("2026-11-20", code));
  });

  it("refuses forged or missing tokens the same way", async () => {
    const base = await start({});
    const fields = extractFormFields(await (await fetch(`${base}/sdw/search/searchsdw.aspx`)).text());
    const forged = { ...fields, __VIEWSTATE: `${fields.__VIEWSTATE!.slice(0, -8)}AAAAAAA=` };
    expect(parseHoldingsPage(await postSearch(base, forged))).toMatchObject({ error: "no-result" });
    const { __VIEWSTATE: _v, __EVENTVALIDATION: _e, ...without } = fields;
    expect(parseHoldingsPage(await postSearch(base, without))).toMatchObject({ error: "no-result" });
    // Without a TTL the same tokens keep working.
    expect(parseHoldingsPage(await postSearch(base, fields))).toMatchObject({ kind: "holdings" });
  });
});
