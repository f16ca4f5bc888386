// Every kind of bad page gets its typed outcome from the client and writes nothing: truncated,
// inconsistent (invariants broken, or another stock's page), maintenance, alert, empty, not HTML.
// Plus the HTTP policy: 5xx retried, 429 waits for Retry-After, stale tokens refreshed.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultUserAgent, HkexClient, USER_AGENT } from "../src/hkex/client.ts";
import { runScrape } from "../src/ingest/run.ts";
import { datasetStatus } from "../src/ingest/status.ts";
import { InvalidValueError } from "../src/lib/validate.ts";
import { query } from "./ingest-helpers.ts";
import { fixture, startFakeHkex, type FakeHkex } from "./scrape-helpers.ts";

const DATE = "2026-11-20";
const form = fixture("search-initial.html");
const small = fixture("holdings-en-08123-small.html");
// Same page, one holding changed: the rows no longer add up to the summary.
const inconsistent = small.replace("54,496,106", "54,496,107");
const quick = { backoff: { minMs: 1, maxMs: 5 }, maxRetries: 2, maintenancePauseMs: 1, maintenanceRetries: 2, tokenRefreshes: 2 };

let fake: FakeHkex;
let out: string;
const seenUserAgents: string[] = [];
beforeAll(async () => {
  out = mkdtempSync(path.join(tmpdir(), "scrape-pages-"));
  fake = await startFakeHkex({
    "GET /sdw/search/searchsdw.aspx": () => ({ body: form }),
    "GET /sdw/search/mutualmarket.aspx": () => ({ body: form }),
    "GET /sdw/search/stocklist.aspx": () => ({ body: fixture("stocklist-20261120.json"), headers: { "content-type": "application/json" } }),
    "GET /sdw/search/partlist.aspx": () => ({ body: fixture("partlist-20261120.json"), headers: { "content-type": "application/json" } }),
    "POST /sdw/search/mutualmarket.aspx": () => ({ body: fixture("search-alert-date-range.html") }),
    "POST 08123": ({ headers }) => {
      seenUserAgents.push(String(headers["user-agent"]));
      return { body: small };
    },
    "POST 00388": () => ({ body: fixture("holdings-en-00388-truncated.html") }),
    "POST 00001": () => ({ body: inconsistent }),
    "POST 00005": () => ({ body: small }), // another stock's page
    "POST 00002": () => ({ body: fixture("search-alert-invalid-stock.html") }),
    "POST 00003": () => ({ body: "" }),
    "POST 00004": () => ({ body: '{"not": "html"}', headers: { "content-type": "application/json" } }),
    "POST 00006": () => ({ body: fixture("search-maintenance.html") }),
    "POST 00007": ({ count }) => (count === 1 ? { status: 503, body: "busy" } : { body: small.replaceAll("08123", "00007") }),
    "POST 00008": ({ count }) => (count === 1 ? { status: 429, body: "slow down", headers: { "retry-after": "1" } } : { body: small.replaceAll("08123", "00008") }),
  });
});
afterAll(async () => {
  await fake.close();
  rmSync(out, { recursive: true, force: true });
});

describe("client outcomes", () => {
  const client = () => new HkexClient({ baseUrl: fake.url, rate: 0, ...quick });

  it("names the project in its User-Agent, or the fork running it in GitHub Actions", async () => {
    seenUserAgents.length = 0;
    const c = new HkexClient({ baseUrl: fake.url, rate: 0, ...quick, userAgent: defaultUserAgent({}) });
    await c.holdings(DATE, "08123");
    await c.close();
    expect(seenUserAgents).toEqual([USER_AGENT]);
    expect(USER_AGENT).toMatch(/^ccass-observatory\/[\d.]+ \(.*\+https:\/\/github\.com\/[\w.-]+\/[\w.-]+\)$/);
    expect(defaultUserAgent({ GITHUB_REPOSITORY: "someone/ccass-fork", GITHUB_SERVER_URL: "https://github.com" })).toContain(
      "+https://github.com/someone/ccass-fork)",
    );
    // a value that could smuggle header text or another URL is ignored
    expect(defaultUserAgent({ GITHUB_REPOSITORY: "a/b\r\nX-Evil: 1" })).toBe(USER_AGENT);
  });

  it("returns a sound page as ok", async () => {
    const c = client();
    const r = await c.holdings(DATE, "08123");
    await c.close();
    expect(r.status).toBe("ok");
    if (r.status === "ok") expect([r.page.stockCode, r.page.participants.length, r.attempts]).toEqual(["08123", 14, 1]);
  });

  it.each([
    ["00388", /incomplete/], // truncated
    ["00001", /incomplete/], // rows do not add up
    ["00005", /page is for stock 08123, requested 00005/],
    ["00003", /no-result/], // empty body
    ["00004", /no-result/], // not HTML
  ])("rejects %s after its retries, keeping the raw page", async (code, reason) => {
    const c = client();
    const r = await c.holdings(DATE, code);
    await c.close();
    expect(r.status).toBe("rejected");
    if (r.status === "rejected") {
      expect(r.reason).toMatch(reason);
      expect(r.attempts).toBeGreaterThan(1); // a broken page is retried before it is rejected
    }
  });

  it("a bug is an error, not a network failure retried until the page is unavailable", async () => {
    const before = fake.counts.get("POST 00006") ?? 0;
    const c = new HkexClient({
      baseUrl: fake.url,
      rate: 0,
      ...quick,
      onEvent: (e) => {
        if (e.type === "maintenance") throw new TypeError("a bug in a listener");
      },
    });
    await expect(c.holdings(DATE, "00006")).rejects.toThrow(TypeError);
    await c.close();
    expect((fake.counts.get("POST 00006") ?? 0) - before).toBe(1); // not retried
  });

  it("records an alert at once, without retrying", async () => {
    const before = fake.counts.get("POST 00002") ?? 0;
    const c = client();
    const r = await c.holdings(DATE, "00002");
    await c.close();
    expect(r).toMatchObject({ status: "alert", message: "The stock code entered is not valid.", attempts: 1 });
    expect(fake.counts.get("POST 00002")! - before).toBe(1);
  });

  it("pauses on maintenance and gives up for this run after a bounded number of tries", async () => {
    const c = client();
    const r = await c.holdings(DATE, "00006");
    await c.close();
    expect(r).toMatchObject({ status: "unavailable", reason: "maintenance" });
    expect(c.stats.maintenancePauses).toBe(quick.maintenanceRetries);
  });

  it("retries a 503, and waits for Retry-After on a 429", async () => {
    const c = client();
    const r503 = await c.holdings(DATE, "00007");
    const t = Date.now();
    const r429 = await c.holdings(DATE, "00008");
    const waited = Date.now() - t;
    await c.close();
    expect([r503.status, r503.attempts]).toEqual(["ok", 2]);
    expect([r429.status, r429.attempts]).toEqual(["ok", 2]);
    expect(waited).toBeGreaterThanOrEqual(950); // Retry-After: 1 (the backoff alone is at most 5 ms)
    expect(c.stats.retries).toMatchObject({ "HTTP 503": 1, "HTTP 429": 1 });
  });
});

describe("a run over bad pages", () => {
  it("writes only the sound page, keeps each bad one with its reason, and status shows them", async () => {
    const report = await runScrape({
      out,
      baseUrl: fake.url,
      from: DATE,
      to: DATE,
      stocks: ["08123", "00388", "00001", "00005", "00002", "00003", "00004"],
      rate: 0,
      client: quick,
    });
    expect(report.complete).toBe(true);
    expect(report.pages).toMatchObject({ ok: 3, alert: 2, rejected: 5 }); // ok: 08123, stock list, participant list
    const stored = await query(`SELECT DISTINCT stock_code FROM read_parquet('${out}/holdings/month=*/*.parquet')`);
    expect(stored).toEqual([{ stock_code: "08123" }]);
    const rejectDir = path.join(out, "_rejects", `date=${DATE}`);
    expect(readdirSync(rejectDir).sort()).toEqual(
      ["00001", "00003", "00004", "00005", "00388"].flatMap((c) => [`${c}.html.gz`, `${c}.json`]).sort(),
    );
    // The evidence is the page as served, and the reason says why.
    expect(gunzipSync(readFileSync(path.join(rejectDir, "00388.html.gz"))).toString()).toBe(fixture("holdings-en-00388-truncated.html"));
    expect(JSON.parse(readFileSync(path.join(rejectDir, "00005.json"), "utf8"))).toMatchObject({ page: "00005", reason: expect.stringMatching(/requested 00005/) });
    const status = await datasetStatus(out);
    expect(status.dates).toEqual([{ date: DATE, stored: 1, planned: 7, alerts: 1, rejected: 5, pending: 0, unwritten: 0 }]);
    expect(status.rejects.map((r) => r.page).sort()).toEqual(["00001", "00003", "00004", "00005", "00388"]);
    expect(existsSync(path.join(out, "_runs", `${report.runId}.json`))).toBe(true);
  });

  it("a date that fails stops the run: every started date settles first, the report is saved, the lock released", async () => {
    const out3 = mkdtempSync(path.join(tmpdir(), "scrape-fail-"));
    try {
      // The second date's journal is corrupt in the middle: reading it throws.
      mkdirSync(path.join(out3, "_state"), { recursive: true });
      writeFileSync(path.join(out3, "_state", `date=${DATE}.ndjson`), '{"page":"00001"\n{"page":"00002","status":"ok"}\n');
      const events: { type: string; after: boolean }[] = [];
      let settled = false;
      const run = runScrape({
        out: out3,
        baseUrl: fake.url,
        from: "2026-11-19",
        to: DATE,
        stocks: ["08123", "00007"],
        rate: 0,
        client: quick,
        onEvent: (e) => events.push({ type: e.type, after: settled }),
      }).finally(() => (settled = true));
      await expect(run).rejects.toThrow(/corrupt/);
      await new Promise((r) => setTimeout(r, 300)); // anything still running would show by now
      expect(events.filter((e) => e.after)).toEqual([]);
      const [reportFile] = readdirSync(path.join(out3, "_runs"));
      const saved = JSON.parse(readFileSync(path.join(out3, "_runs", reportFile!), "utf8"));
      expect(saved.complete).toBe(false);
      expect(saved.dates.incomplete).toContain(DATE);
      expect(existsSync(path.join(out3, "_state", "run.lock"))).toBe(false);
    } finally {
      rmSync(out3, { recursive: true, force: true });
    }
  });

  it("refuses a reversed date range instead of planning nothing and calling it complete", async () => {
    await expect(runScrape({ out, baseUrl: fake.url, from: DATE, to: "2026-11-19", rate: 0, client: quick })).rejects.toThrow(InvalidValueError);
  });

  it("leaves a date unwritten and pending while a page is under maintenance", async () => {
    const out2 = mkdtempSync(path.join(tmpdir(), "scrape-maint-"));
    try {
      const report = await runScrape({ out: out2, baseUrl: fake.url, from: DATE, to: DATE, stocks: ["08123", "00006"], rate: 0, client: quick });
      expect(report.complete).toBe(false);
      expect(report.dates.incomplete).toEqual([DATE]);
      expect(existsSync(path.join(out2, "holdings"))).toBe(false);
      const status = await datasetStatus(out2);
      expect(status.dates).toEqual([{ date: DATE, stored: 0, planned: 2, alerts: 0, rejected: 0, pending: 1, unwritten: 3 }]);
    } finally {
      rmSync(out2, { recursive: true, force: true });
    }
  });
});
