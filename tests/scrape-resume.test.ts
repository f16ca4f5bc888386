// Resume: a scrape killed with kill -9 mid-run (the CLI as a child process), with a torn last
// journal line on top, resumes and ends with exactly the dataset of an uninterrupted run.
import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { journalFile, LIST_PAGES, PLAN, readJournal } from "../src/ingest/journal.ts";
import { dayFile } from "../src/dataset/layout.ts";
import { acquireRunLock, RunLockedError } from "../src/ingest/lock.ts";
import { runScrape } from "../src/ingest/run.ts";
import { parseOwner, procStat, readLock } from "../src/lib/lock-file.ts";
import { createMarket } from "../src/replica/market.ts";
import { startReplica } from "../src/replica/server.ts";
import { diffDatasets, rowCounts, ZERO_DIFF } from "./scrape-helpers.ts";

/** Dates with a holdings file (the scrape writes one file per date into its month's folder). */
function holdingsDays(out: string): number {
  const dir = path.join(out, "holdings");
  if (!existsSync(dir)) return 0;
  return readdirSync(dir).flatMap((m) => readdirSync(path.join(dir, m))).filter((f) => f.endsWith(".parquet")).length;
}

const MARKET = { seed: 11, stocks: 50, days: 20, end: "2026-11-20" };
const market = createMarket(MARKET);
const FROM = market.dates[0]!;
const TO = market.dates.at(-1)!;
const SCRAPE = path.resolve(import.meta.dirname, "..", "scripts", "scrape.ts");

let root: string;
let replica: Awaited<ReturnType<typeof startReplica>>;
beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), "scrape-resume-"));
  replica = await startReplica({ ...MARKET, market, faultRate: 0.05 });
});
afterAll(async () => {
  await replica.close();
  rmSync(root, { recursive: true, force: true });
});

const scrapeArgs = (out: string) => ["--import", "tsx", SCRAPE, "run", "--base-url", replica.url, "--from", FROM, "--to", TO, "--out", out, "--rate", "1000", "--backoff-min", "5", "--json"];

/** The CLI as a child; its output is drained (an unread pipe would block it) and kept in `output`. */
function scrapeChild(out: string): ChildProcess & { output: { stdout: string; stderr: string } } {
  const child = spawn(process.execPath, scrapeArgs(out), { stdio: ["ignore", "pipe", "pipe"] });
  const output = { stdout: "", stderr: "" };
  child.stdout!.on("data", (b: Buffer) => (output.stdout += b.toString()));
  child.stderr!.on("data", (b: Buffer) => (output.stderr += b.toString()));
  return Object.assign(child, { output });
}

/** Wait until `test` holds, polling; false if it never did within about 30 s. */
async function until(test: () => boolean): Promise<boolean> {
  for (let i = 0; i < 1200; i++) {
    if (test()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return false;
}

/** Journal lines written so far (all dates). */
function journaled(out: string): number {
  const dir = path.join(out, "_state");
  if (!existsSync(dir)) return 0;
  return readdirSync(dir)
    .filter((f) => f.endsWith(".ndjson"))
    .reduce((n, f) => n + readFileSync(path.join(dir, f), "utf8").split("\n").length - 1, 0);
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
}

describe("kill -9 and resume", () => {
  const reference = () => path.join(root, "reference");

  it("ends with the same dataset as an uninterrupted run", async () => {
    const reference = path.join(root, "reference");
    const ref = await runScrape({ out: reference, baseUrl: replica.url, from: FROM, to: TO, rate: 0, client: { backoff: { minMs: 5, maxMs: 50 } } });
    expect(ref.complete).toBe(true);

    const out = path.join(root, "killed");
    // First run: killed once a few dates are written and pages of later dates are in flight.
    const child = scrapeChild(out);
    const done = exited(child);
    let killedMidRun = false;
    for (let i = 0; i < 1200; i++) {
      await new Promise((r) => setTimeout(r, 25));
      if (holdingsDays(out) >= 3 && journaled(out) > 150) {
        killedMidRun = child.kill("SIGKILL");
        break;
      }
      if (child.exitCode !== null) break;
    }
    const first = await done;
    expect(killedMidRun).toBe(true);
    expect(first.signal).toBe("SIGKILL");
    expect(existsSync(path.join(out, "_runs"))).toBe(false); // it never reached its report
    const storedAtKill = holdingsDays(out);
    expect(storedAtKill).toBeLessThan(MARKET.days);

    // A kill mid-append leaves a torn last line: simulate one on a date still in progress.
    const unfinished = market.dates.find((d) => existsSync(journalFile(out, d)) && !existsSync(dayFile(out, "holdings", d)))!;
    expect(unfinished).toBeDefined();
    const before = readJournal(out, unfinished).pages.size;
    appendFileSync(journalFile(out, unfinished), '{"page":"0070');
    expect(readJournal(out, unfinished).pages.size).toBe(before); // the torn line is ignored

    // What the killed run had journaled (each page with an outcome), before the resume.
    const donePages = (): Set<string> =>
      new Set(market.dates.flatMap((d) => [...readJournal(out, d).pages.keys()].filter((p) => p !== PLAN).map((p) => `${d} ${p}`)));
    const journaledBefore = donePages();
    const stocksBefore = [...journaledBefore].filter((k) => !LIST_PAGES.some((l) => k.endsWith(` ${l}`))).length;
    expect(stocksBefore).toBeGreaterThan(100);

    // Second run: resumes and completes.
    const resumed = scrapeChild(out);
    const second = await exited(resumed);
    expect(second.code, resumed.output.stderr).toBe(0);
    const doneLine = JSON.parse(resumed.output.stdout.trim().split("\n").at(-1)!);
    expect(doneLine).toMatchObject({ type: "done", complete: true });
    // It redid only what was missing: not one page journaled before the kill was fetched again,
    // and every other page was.
    const events = resumed.output.stdout.trim().split("\n").map((l) => JSON.parse(l) as { type: string; date?: string; page?: string });
    const fetched = events.filter((e) => e.type === "page").map((e) => `${e.date} ${e.page}`);
    expect(fetched.length).toBeGreaterThan(0);
    expect(fetched.filter((k) => journaledBefore.has(k))).toEqual([]);
    expect(new Set(fetched).size).toBe(fetched.length);
    expect(doneLine.pages.alreadyDone).toBe(stocksBefore);
    expect(new Set([...journaledBefore, ...fetched])).toEqual(donePages());

    expect(await diffDatasets(reference, out)).toEqual(ZERO_DIFF);
    expect((await rowCounts(out)).holdings).toBeGreaterThan(1000);
  }, 300_000); // two scrapes, a kill and a resume: minutes on a loaded 2-core machine (120 s timed out at load 11)

  it("a scrape killed under a parent that never reaps it (a zombie) does not hold the lock: the resume takes over at once", async () => {
    const out = path.join(root, "zombie");
    const lock = path.join(out, "_state", "run.lock");
    // The scrape is the direct child of `sleep`, which never waits for children, as under a
    // container without an init process. (Through `npx tsx` the lock's pid is tsx's child, reaped by tsx.)
    const parent = spawn("sh", ["-c", '"$@" >/dev/null 2>&1 & echo $!; exec sleep 60', "sh", process.execPath, ...scrapeArgs(out)], { stdio: ["ignore", "pipe", "ignore"] });
    try {
      const pid = await new Promise<number>((resolve) => parent.stdout!.once("data", (b: Buffer) => resolve(Number(b.toString().trim()))));
      expect(await until(() => journaled(out) > 100)).toBe(true);
      expect(parseOwner(readLock(lock)!).pid).toBe(pid);
      process.kill(pid, "SIGKILL");
      expect(await until(() => procStat(pid)?.state === "Z")).toBe(true);
      expect(() => process.kill(pid, 0)).not.toThrow(); // still "there" for kill(pid, 0)

      const resumed = scrapeChild(out);
      const second = exited(resumed);
      // while the resume runs, its lock is live: another scrape is refused
      expect(await until(() => parseOwner(readLock(lock) ?? "{}").pid === resumed.pid || resumed.exitCode !== null)).toBe(true);
      await expect(acquireRunLock(out)).rejects.toThrow(RunLockedError);
      expect((await second).code, resumed.output.stderr).toBe(0);
      expect(await diffDatasets(reference(), out)).toEqual(ZERO_DIFF);
    } finally {
      parent.kill("SIGKILL");
    }
  });

  it("stops cleanly on SIGINT: complete dates written, report saved, exit 3, then resumes", async () => {
    const out = path.join(root, "interrupted");
    const child = scrapeChild(out);
    const done = exited(child);
    for (let i = 0; i < 1200 && child.exitCode === null; i++) {
      await new Promise((r) => setTimeout(r, 25));
      if (journaled(out) > 80) {
        child.kill("SIGINT");
        break;
      }
    }
    const first = await done;
    expect(first.code, child.output.stderr).toBe(3);
    expect(child.output.stdout).toContain('"type":"stopping"');
    const reports = readdirSync(path.join(out, "_runs"));
    expect(reports).toHaveLength(1);
    const report = JSON.parse(readFileSync(path.join(out, "_runs", reports[0]!), "utf8"));
    expect(report.complete).toBe(false);
    expect(report.dates.incomplete.length).toBeGreaterThan(0);

    const resumed = scrapeChild(out);
    expect((await exited(resumed)).code).toBe(0);
    expect(await diffDatasets(reference(), out)).toEqual(ZERO_DIFF);
  });
});
