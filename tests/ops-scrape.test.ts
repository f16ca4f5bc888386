// The workflows' scrape step (scripts/ops.ts scrape-missing → src/ops/missing.ts) against the
// local replica: on a fresh checkout (no resume journal) it scrapes only the dates the committed
// dataset lacks, the newest first, and stops at its time budget.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lastSettlementDays } from "../src/lib/calendar.ts";
import { consecutiveRanges, missingDates, nightlyRanges, scrapeRunArgs, scrapeWithinBudget } from "../src/ops/missing.ts";
import { startReplica } from "../src/replica/server.ts";

const END = "2026-11-20";
const DATES = lastSettlementDays(END, 6);
let replica: Awaited<ReturnType<typeof startReplica>>;
let work: string;

beforeAll(async () => {
  replica = await startReplica({ seed: 3, stocks: 4, days: 8, end: END });
  work = await mkdtemp(path.join(tmpdir(), "ops-scrape-"));
});
afterAll(async () => {
  await replica?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

const runReports = (out: string) =>
  existsSync(path.join(out, "_runs"))
    ? readdirSync(path.join(out, "_runs")).map((f) => JSON.parse(readFileSync(path.join(out, "_runs", f), "utf8")) as { options: { from: string; to: string }; dates: { written: number } })
    : [];

describe("ranges", () => {
  it("groups consecutive settlement days across weekends and holidays", () => {
    // Fri 2026-09-30 and Fri 2026-10-02 are consecutive settlement days (1 October is a holiday).
    expect(consecutiveRanges(["2026-10-02", "2026-09-30", "2026-11-20", "2026-11-23", "2026-11-18"])).toEqual([
      { from: "2026-09-30", to: "2026-10-02" },
      { from: "2026-11-18", to: "2026-11-18" },
      { from: "2026-11-20", to: "2026-11-23" },
    ]);
  });
  it("puts the newest date first, alone, then the rest oldest first", () => {
    expect(nightlyRanges(["2026-11-17", "2026-11-18", "2026-11-20"], "2026-11-20")).toEqual([
      { from: "2026-11-20", to: "2026-11-20" },
      { from: "2026-11-17", to: "2026-11-18" },
    ]);
    expect(nightlyRanges(["2026-11-17"], "2026-11-20")).toEqual([{ from: "2026-11-17", to: "2026-11-17" }]);
  });
});

describe("scrape-missing against the replica", () => {
  it("fills only the holes of a dataset whose resume journal is gone, newest first", async () => {
    const out = path.join(work, "data");
    const args = ["--out", out, "--base-url", replica.url, "--universe", "all", "--rate", "500", "--concurrency", "4"];
    expect(await missingDates(out, DATES[0]!, END)).toEqual(DATES);

    // A first night that only had time for the newest date.
    const first = await scrapeWithinBudget({ ranges: nightlyRanges(DATES, END).slice(0, 1), deadline: Date.now() + 120_000, args, log: () => {} });
    expect(first).toMatchObject({ outcome: "done", exitCode: 0 });
    expect(await missingDates(out, DATES[0]!, END)).toEqual(DATES.slice(0, -1));

    // The next night on a fresh checkout: no _state/, only the committed Parquet.
    await rm(path.join(out, "_state"), { recursive: true, force: true });
    const ranges = nightlyRanges(await missingDates(out, DATES[0]!, END), END);
    expect(ranges).toEqual([{ from: DATES[0], to: DATES[4] }]);
    const second = await scrapeWithinBudget({ ranges, deadline: Date.now() + 120_000, args, log: () => {} });
    expect(second.outcome).toBe("done");
    expect(await missingDates(out, DATES[0]!, END)).toEqual([]);
    // Two runs, and the second never asked for the newest date again.
    const reports = runReports(out);
    expect(reports.map((r) => `${r.options.from}..${r.options.to}`).sort()).toEqual([`${DATES[0]}..${DATES[4]}`, `${END}..${END}`].sort());
    expect(reports.reduce((n, r) => n + r.dates.written, 0)).toBe(DATES.length);
  }, 120_000);

  it("stops at the deadline with exit 124 and scrapes nothing past it", async () => {
    const out = path.join(work, "late");
    const r = await scrapeWithinBudget({
      ranges: [{ from: END, to: END }],
      deadline: Date.now() - 1,
      args: ["--out", out, "--base-url", replica.url],
      log: () => {},
    });
    expect(r).toEqual({ outcome: "budget", exitCode: 124, finished: [] });
    expect(existsSync(out)).toBe(false);
  });

  it("interrupts a scrape that outlives its budget", async () => {
    const out = path.join(work, "slow");
    const started = Date.now();
    // Rate 1 request/s over six dates of pages: minutes of work, cut after 4 s.
    const r = await scrapeWithinBudget({
      ranges: [{ from: DATES[0]!, to: END }],
      deadline: Date.now() + 4000,
      args: ["--out", out, "--base-url", replica.url, "--universe", "all", "--rate", "1"],
      graceMs: 10_000,
      log: () => {},
    });
    expect(r.outcome).toBe("budget");
    expect(r.exitCode).toBe(124);
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 30_000);

  it("passes --stocks without --universe (scrape.ts run refuses both together)", async () => {
    const args = scrapeRunArgs({ out: path.join(work, "few"), baseUrl: replica.url, universe: "equities", stocks: replica.market.stocks[0]!.code, rate: "500" });
    expect(args).not.toContain("--universe");
    const r = await scrapeWithinBudget({ ranges: [{ from: END, to: END }], deadline: Date.now() + 120_000, args, log: () => {} });
    expect(r).toMatchObject({ outcome: "done", exitCode: 0 });
    expect(await missingDates(path.join(work, "few"), END, END)).toEqual([]);
    expect(scrapeRunArgs({ out: "o", baseUrl: "u", universe: "all" })).toEqual(["--out", "o", "--base-url", "u", "--universe", "all"]);
  }, 120_000);

  it("does not stop at once when the budget is longer than a timer can hold (2^31 ms)", async () => {
    const script = path.join(work, "fake-scrape.mjs");
    await writeFile(script, "setTimeout(() => process.exit(0), 300);\n");
    const r = await scrapeWithinBudget({ ranges: [{ from: END, to: END }], deadline: Date.now() + 3e9, args: [], log: () => {}, scrapeScript: script });
    expect(r).toMatchObject({ outcome: "done", exitCode: 0 });
  }, 30_000);
});
