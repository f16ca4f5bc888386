// Workflow helpers (src/ops/): the nightly's dates, the backfill's shards and rates, the merge of
// shard outputs, and the job summary / drift verdict read from rejects and run reports.
import { DuckDBInstance } from "@duckdb/node-api";
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MergeError, isMergeable, mergeShards } from "../src/ops/merge.ts";
import { compactMonth } from "../src/ingest/compact.ts";
import { dayFile } from "../src/dataset/layout.ts";
import { backfillPlan, hkToday, latestPublishedDate, nightlyPlan, PlanError } from "../src/ops/plan.ts";
import { driftVerdict, latestRunReport, mdCell, readRejects, runSummaryMarkdown } from "../src/ops/report.ts";
import { PageCache, saveReject } from "../src/ingest/evidence.ts";
import { readRejects as healthRejects } from "../data-loaders/publish/page-data/health.ts";
import { reparse } from "../src/ingest/reparse.ts";
import { fixture } from "./scrape-helpers.ts";

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "ops-test-"));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe("nightly dates", () => {
  it("uses Hong Kong's date, not UTC's", () => {
    expect(hkToday(new Date("2026-11-23T15:59:00Z"))).toBe("2026-11-23");
    expect(hkToday(new Date("2026-11-23T16:00:00Z"))).toBe("2026-11-24");
  });
  it("takes the settlement day before Hong Kong's today as the newest date", () => {
    // Tue 24 Nov 01:30 HKT → Monday 23rd.
    expect(latestPublishedDate(new Date("2026-11-23T17:30:00Z"))).toBe("2026-11-23");
    // Mon 23 Nov 10:15 HKT → Friday 20th (the fixture form: today 20261123, date 2026/11/20).
    expect(latestPublishedDate(new Date("2026-11-23T02:15:00Z"))).toBe("2026-11-20");
    // Fri 2 Oct 01:30 HKT: 1 October (National Day) is a holiday → Wednesday 30 September.
    expect(latestPublishedDate(new Date("2026-10-01T17:30:00Z"))).toBe("2026-09-30");
  });
  it("opens a window of N calendar days before it, and refuses silly windows", () => {
    expect(nightlyPlan(30, new Date("2026-11-23T17:30:00Z"))).toEqual({ latest: "2026-11-23", windowFrom: "2026-10-24" });
    expect(() => nightlyPlan(-1)).toThrow(PlanError);
    expect(() => nightlyPlan(1.5)).toThrow(PlanError);
  });
});

describe("backfill plan", () => {
  const isWeekday = (d: string) => ![0, 6].includes(new Date(`${d}T00:00:00Z`).getUTCDay());
  it("splits a year into whole-month shards that cover each date once, within the rate ceiling", () => {
    const plan = backfillPlan("2025-11-24", "2026-11-20", 6, 2);
    expect(plan.shards.length).toBe(6);
    expect(plan.perShardRate * plan.shards.length).toBeLessThanOrEqual(2);
    expect(plan.perShardRate).toBeCloseTo(2 / 6, 2);
    // contiguous, ordered, disjoint, month-aligned
    for (let i = 1; i < plan.shards.length; i++) {
      expect(plan.shards[i]!.from > plan.shards[i - 1]!.to).toBe(true);
      expect(plan.shards[i]!.from.slice(0, 7) > plan.shards[i - 1]!.to.slice(0, 7)).toBe(true);
    }
    const months = plan.shards.flatMap((s) => s.months);
    expect(new Set(months).size).toBe(months.length);
    expect(months[0]).toBe("2025-11");
    expect(months.at(-1)).toBe("2026-11");
    expect(plan.shards.reduce((n, s) => n + s.days, 0)).toBe(plan.settlementDays);
    // A year of weekdays less ~17 holidays.
    expect(plan.settlementDays).toBeGreaterThan(240);
    expect(plan.settlementDays).toBeLessThan(262);
    for (const s of plan.shards) {
      expect(isWeekday(s.from) && isWeekday(s.to)).toBe(true);
      // balanced: no shard more than twice another
      expect(s.days).toBeGreaterThan(plan.settlementDays / plan.shards.length / 2);
      expect(s.days).toBeLessThan((plan.settlementDays / plan.shards.length) * 2);
    }
  });
  it("uses fewer shards than asked when the range has fewer months, and gives each the larger share", () => {
    const plan = backfillPlan("2026-10-05", "2026-11-20", 8, 3);
    expect(plan.shards.map((s) => s.months)).toEqual([["2026-10"], ["2026-11"]]);
    expect(plan.perShardRate).toBe(1.5);
  });
  it("rounds the per-shard rate down so the total never exceeds the ceiling", () => {
    const plan = backfillPlan("2026-01-02", "2026-03-31", 3, 1);
    expect(plan.perShardRate).toBe(0.333);
    expect(plan.perShardRate * 3).toBeLessThanOrEqual(1);
  });
  it("refuses bad ranges, shard counts and rates", () => {
    expect(() => backfillPlan("2026-11-20", "2026-11-01", 2, 2)).toThrow(/after/);
    expect(() => backfillPlan("2026-02-30", "2026-03-01", 2, 2)).toThrow(/invalid date/);
    expect(() => backfillPlan("2026-01-01", "2026-03-01", 0, 2)).toThrow(PlanError);
    expect(() => backfillPlan("2026-01-01", "2026-03-01", 2, 0)).toThrow(PlanError);
    expect(() => backfillPlan("2026-01-01", "2026-03-01", 2, Number.NaN)).toThrow(PlanError);
    expect(() => backfillPlan("2026-11-21", "2026-11-22", 2, 2)).toThrow(/no settlement day/);
  });
});

describe("merge of shard outputs", () => {
  async function put(root: string, rel: string, body: string): Promise<void> {
    await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await writeFile(path.join(root, rel), body);
  }
  it("knows dataset files from state, rejects and temp files", () => {
    expect(isMergeable("holdings/month=2026-01/2026-01-05.parquet")).toBe(true);
    expect(isMergeable("summary/month=2026-01/2026-01.parquet")).toBe(true);
    expect(isMergeable("holdings/month=2026-02/2026-01-05.parquet")).toBe(false); // a date outside its folder's month
    expect(isMergeable("holdings/date=2026-01-05/part-0.parquet")).toBe(false); // the old layout
    expect(isMergeable("summary/month=2026-01/part-0.parquet")).toBe(false);
    expect(isMergeable("_runs/2026-01-05T00-00-00Z.json")).toBe(true);
    expect(isMergeable("_state/2026-01-05.ndjson")).toBe(false);
    expect(isMergeable("_rejects/date=2026-01-05/00700.json")).toBe(false);
    expect(isMergeable("holdings/month=2026-01/.2026-01-05.parquet.1.ab.tmp")).toBe(false);
    expect(isMergeable("holdings/month=2026-02/2026-02-30.parquet")).toBe(false);
    expect(isMergeable("secrets/month=2026-01/2026-01-05.parquet")).toBe(false);
    expect(isMergeable("participants_dim.parquet")).toBe(false);
  });
  it("copies each shard's partitions, leaves the rest, and is safe to repeat", async () => {
    const a = path.join(work, "shard-0");
    const b = path.join(work, "shard-1");
    const into = path.join(work, "merged");
    await put(a, "holdings/month=2026-01/2026-01-05.parquet", "A1");
    await put(a, "_state/journal.ndjson", "state");
    await put(b, "holdings/month=2026-02/2026-02-02.parquet", "B1");
    await put(b, "_runs/run-b.json", "{}");
    await put(into, "holdings/month=2025-12/2025-12-31.parquet", "OLD");
    const r = await mergeShards([a, b], into);
    expect(r.copied.sort()).toEqual(["_runs/run-b.json", "holdings/month=2026-01/2026-01-05.parquet", "holdings/month=2026-02/2026-02-02.parquet"]);
    expect(r.skipped).toEqual([path.join(a, "_state/journal.ndjson")]);
    expect(await readFile(path.join(into, "holdings/month=2026-02/2026-02-02.parquet"), "utf8")).toBe("B1");
    expect(await readFile(path.join(into, "holdings/month=2025-12/2025-12-31.parquet"), "utf8")).toBe("OLD");
    expect(existsSync(path.join(into, "_state"))).toBe(false);
    // A re-run shard brings a newer file for its own date: it replaces the earlier copy.
    await put(a, "holdings/month=2026-01/2026-01-05.parquet", "A2");
    await mergeShards([a, b], into);
    expect(await readFile(path.join(into, "holdings/month=2026-01/2026-01-05.parquet"), "utf8")).toBe("A2");
  });
  it("folds a shard's daily file into a month the repository compacted meanwhile: no date in two files", async () => {
    const db = await DuckDBInstance.create(":memory:");
    const c = await db.connect();
    const stocks = (date: string, file: string) =>
      c.run(`COPY (SELECT DATE '${date}' AS date, '00001' AS stock_code, 'A ${date}' AS stock_name, 'hk:00001' AS security_id) TO '${file}' (FORMAT parquet)`);
    try {
      const into = path.join(work, "fold-into");
      const shard = path.join(work, "fold-shard");
      for (const d of ["2026-01-05", "2026-01-06"]) {
        await mkdir(path.dirname(dayFile(into, "stocks", d)), { recursive: true });
        await stocks(d, dayFile(into, "stocks", d));
      }
      await compactMonth(into, "stocks", "2026-01");
      await mkdir(path.dirname(dayFile(shard, "stocks", "2026-01-07")), { recursive: true });
      await stocks("2026-01-07", dayFile(shard, "stocks", "2026-01-07"));
      await mergeShards([shard], into);
      expect(await readdir(path.join(into, "stocks", "month=2026-01"))).toEqual(["2026-01.parquet"]);
      const dates = (await c.runAndReadAll(`SELECT strftime(date, '%Y-%m-%d') FROM read_parquet('${into}/stocks/month=*/*.parquet') ORDER BY 1`)).getRows().map((r) => r[0]);
      expect(dates).toEqual(["2026-01-05", "2026-01-06", "2026-01-07"]);
    } finally {
      c.closeSync();
      db.closeSync();
    }
  });
  it("refuses two shards holding the same file", async () => {
    const a = path.join(work, "dup-0");
    const b = path.join(work, "dup-1");
    await put(a, "summary/month=2026-01/2026-01.parquet", "x");
    await put(b, "summary/month=2026-01/2026-01.parquet", "y");
    await expect(mergeShards([a, b], path.join(work, "dup-into"))).rejects.toBeInstanceOf(MergeError);
    expect(existsSync(path.join(work, "dup-into"))).toBe(false);
  });
});

describe("job summary and drift verdict", () => {
  // Written by the scraper's own evidence code, so the format is the one a real run leaves.
  async function reject(out: string, date: string, page: string, reason: string): Promise<void> {
    await saveReject(out, { date, page, reason, attempts: 1, runId: "test", at: "2026-11-21T00:00:00Z" }, "<html>raw</html>");
  }
  it("passes a clean scrape and fails one with rejected pages, drift first", async () => {
    const clean = path.join(work, "clean");
    await mkdir(clean, { recursive: true });
    expect((await driftVerdict(clean)).ok).toBe(true);

    const out = path.join(work, "drifted");
    await reject(out, "2026-11-20", "00700", "markup drift: no element matches #pnlResultSummary");
    await reject(out, "2026-11-20", "00005", "incomplete: listed rows 3 ≠ 4");
    await reject(out, "2026-11-19", "stocklist", "markup drift: not a JSON array");
    const v = await driftVerdict(out);
    expect(v.ok).toBe(false);
    expect(v.drift.map((r) => `${r.date} ${r.page}`)).toEqual(["2026-11-19 stocklist", "2026-11-20 00700"]);
    expect(v.otherRejects.map((r) => r.page)).toEqual(["00005"]);
    const rejects = await readRejects(out);
    expect(rejects.find((r) => r.page === "00700")?.raw).toBe(path.join(out, "_rejects", "date=2026-11-20", "00700.html.gz"));
    expect(rejects.find((r) => r.page === "stocklist")?.raw).toBe(path.join(out, "_rejects", "date=2026-11-19", "stocklist.json.gz"));
    // the health page reads the same folder: holdings pages only, newest date first, names from the files
    await writeFile(path.join(out, "_rejects", "date=2026-11-20", "not-a-code.json"), "{}");
    expect(await healthRejects(out)).toEqual([
      { date: "2026-11-20", stock_code: "00005", reason: "incomplete: listed rows 3 ≠ 4" },
      { date: "2026-11-20", stock_code: "00700", reason: "markup drift: no element matches #pnlResultSummary" },
    ]);
  });
  it("counts a drifted page as drift in the format the scraper really stores (\"no-result: markup drift: …\")", async () => {
    // A real page with a renamed summary category, rejected by the real reparse path.
    const page = (fixture("holdings-en-08123-small.html")).replace(">Market Intermediaries<", ">Custodian Banks<");
    expect(page).toContain(">Custodian Banks<");
    const cache = path.join(work, "drift-cache");
    await new PageCache(cache).put("2026-11-20", "08123", page);
    const out = path.join(work, "drift-real");
    const r = await reparse({ cache, out });
    expect(r.rejected).toHaveLength(1);
    const v = await driftVerdict(out);
    expect(v.drift.map((x) => x.page)).toEqual(["08123"]);
    expect(v.otherRejects).toEqual([]);
  });
  it("renders untrusted text safely in the Markdown summary", async () => {
    const out = path.join(work, "md");
    await reject(out, "2026-11-20", "00001", "bad | name <script>\nnext line");
    await mkdir(path.join(out, "_runs"), { recursive: true });
    await writeFile(path.join(out, "_runs", "r1.json"), JSON.stringify({ pages: 12, rejects: 1, dates: ["2026-11-20"] }));
    const md = await runSummaryMarkdown(out, "Nightly");
    expect(md).toContain("| pages | 12 |");
    expect(md).toContain("| dates | 1 entries |");
    expect(md).toContain("1 rejected page(s)");
    expect(md).not.toContain("<script>");
    expect(md.split("\n").filter((l) => l.includes("00001"))).toHaveLength(1);
    expect(mdCell("a|b")).toBe("a\\|b");
  });
  it("keeps link and image syntax from scraped text as text ([x](https://example.com) makes no link)", async () => {
    const out = path.join(work, "md-links");
    await reject(out, "2026-11-20", "00002", "label [x](https://example.com) and ![i](https://example.com/i.png)");
    const md = await runSummaryMarkdown(out, "Nightly [t](https://example.com)");
    const cells = md.split("\n").filter((l) => l.includes("00002") || l.startsWith("### "));
    expect(cells).toHaveLength(2);
    expect(cells.join("\n")).toContain("\\[x\\]\\(https://example.com\\)");
    expect(cells.join("\n")).toContain("\\!\\[i\\]\\(https://example.com/i.png\\)");
    // Not one bracket, parenthesis or bang left unescaped in those lines.
    for (const line of cells) expect(line).not.toMatch(/(?<!\\)[[\]()!]/);
    expect(mdCell("[a](b)!")).toBe("\\[a\\]\\(b\\)\\!");
    // No terminal control character from a page reaches the log that prints the summary.
    expect(mdCell("a\x1b[2Jb\x9bc\x07")).toBe("a\\[2Jbc");
    // A long label is cut before escaping, so its cut never ends in a lone backslash.
    expect(mdCell(`${"a".repeat(299)}|tail`)).toBe(`${"a".repeat(299)}\\|`);
  });
  it("summarises the newest run by its id (start time), whatever the files' modification times", async () => {
    const out = path.join(work, "runs");
    await mkdir(path.join(out, "_runs"), { recursive: true });
    await writeFile(path.join(out, "_runs", "20261120T173000Z-aaaaaa.json"), JSON.stringify({ pages: 2 }));
    await writeFile(path.join(out, "_runs", "20261121T173000Z-bbbbbb.json"), JSON.stringify({ pages: 3 }));
    // a fresh checkout: the older report written last
    await utimes(path.join(out, "_runs", "20261120T173000Z-aaaaaa.json"), new Date(), new Date(Date.now() + 60_000));
    expect((await latestRunReport(out))?.report).toEqual({ pages: 3 });
  });
});
