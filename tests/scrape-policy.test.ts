// Small pure pieces of the scraper: backoff with jitter and Retry-After, the request spacing,
// the equities universe by code range, and the journal's torn-line handling.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { backoffDelay, parseRetryAfter, RateLimiter } from "../src/hkex/http-policy.ts";
import { journalFile, JournalWriter, readJournal } from "../src/ingest/journal.ts";
import { isEquityCode, parseStockOption, selectStocks } from "../src/ingest/universe.ts";
import { InvalidValueError } from "../src/lib/validate.ts";

describe("backoff", () => {
  const opts = { minMs: 100, maxMs: 1000 };
  it("doubles per attempt, jitters within the upper half, and caps", () => {
    expect([1, 2, 3].map((a) => backoffDelay(a, opts, null, () => 0))).toEqual([50, 100, 200]);
    expect([1, 2, 3].map((a) => backoffDelay(a, opts, null, () => 1))).toEqual([100, 200, 400]);
    expect(backoffDelay(10, opts, null, () => 1)).toBe(1000);
  });
  it("waits as long as Retry-After asks when that is longer, up to its own cap", () => {
    expect(backoffDelay(1, opts, 3000, () => 0.5)).toBe(3000);
    expect(backoffDelay(1, { ...opts, retryAfterCapMs: 2000 }, 3000, () => 0.5)).toBe(2000);
    expect(backoffDelay(3, opts, 10, () => 1)).toBe(400); // a shorter Retry-After does not cut our backoff
  });
  it("reads Retry-After as seconds or an HTTP date", () => {
    expect(parseRetryAfter("2")).toBe(2000);
    expect(parseRetryAfter("Mon, 23 Nov 2026 10:00:05 GMT", Date.parse("2026-11-23T10:00:00Z"))).toBe(5000);
    expect(parseRetryAfter(undefined)).toBeNull();
    expect(parseRetryAfter("soon")).toBeNull();
  });
});

describe("rate limiter", () => {
  it("spaces request starts 1000/rate ms apart", async () => {
    const limiter = new RateLimiter(20); // 50 ms apart
    const t0 = Date.now();
    for (let i = 0; i < 5; i++) await limiter.take();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(195); // 4 gaps of 50 ms
  });
  it("a pause holds back callers already waiting for a slot, then spaces them again", async () => {
    const limiter = new RateLimiter(20); // 50 ms apart
    await limiter.take();
    const t0 = Date.now();
    // Two callers are waiting (slots at +50 and +100 ms) when the site asks for a 300 ms pause.
    const started: number[] = [];
    const waiting = [limiter.take(), limiter.take()].map((p) => p.then(() => started.push(Date.now() - t0)));
    await new Promise((r) => setTimeout(r, 10));
    limiter.pauseAll(300);
    await Promise.all(waiting);
    expect(started[0]).toBeGreaterThanOrEqual(300);
    expect(started[1]! - started[0]!).toBeGreaterThanOrEqual(45);
  });
});

describe("equities universe", () => {
  it("keeps shares, ETFs, REITs and GEM; drops debt, L&I products, warrants and CBBCs", () => {
    for (const c of ["00001", "00700", "02800", "03033", "08123", "09988", "87001", "06030"]) expect(isEquityCode(c), c).toBe(true);
    for (const c of ["04001", "05100", "07200", "07552", "09200", "12345", "55555", "80000"]) expect(isEquityCode(c), c).toBe(false);
  });
  it("selects from the stock list, or takes --stocks as given", () => {
    expect(selectStocks(["00005", "12345", "00001", "04001"], "equities")).toEqual(["00001", "00005"]);
    expect(selectStocks(["00005", "12345"], "all")).toEqual(["00005", "12345"]);
    expect(selectStocks(["00005"], "equities", ["12345", "00700"])).toEqual(["00700", "12345"]);
    expect(parseStockOption("700, 00005,1")).toEqual(["00700", "00005", "00001"]);
    expect(() => parseStockOption("00700,../x")).toThrow(InvalidValueError);
  });
});

describe("journal", () => {
  it("ignores a torn last line and cuts it off before appending", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "journal-"));
    try {
      const date = "2026-11-20";
      mkdirSync(path.join(root, "_state"));
      writeFileSync(journalFile(root, date), '{"page":"00001","status":"ok"}\n{"page":"00002","sta');
      expect([...readJournal(root, date).pages.keys()]).toEqual(["00001"]);
      const w = await JournalWriter.open(root, date);
      w.append({ page: "00003", status: "alert", detail: "x" });
      expect(readFileSync(journalFile(root, date), "utf8")).toBe('{"page":"00001","status":"ok"}\n{"page":"00003","status":"alert","detail":"x"}\n');
      // Corruption anywhere but the end is an error, not silently skipped.
      writeFileSync(journalFile(root, date), '{"page":"00001"\n{"page":"00002","status":"ok"}\n');
      expect(() => readJournal(root, date)).toThrow(/corrupt/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
