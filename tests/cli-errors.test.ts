// Every script in scripts/ answers a bad option, or bad input found once it runs, with one line on
// stderr naming the problem and exit status 1 (README: "exit 1"): no help dump, no stack trace, nothing
// written (src/lib/cli-options.ts: cliProgram, runCli).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { procStat } from "../src/lib/lock-file.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
let work: string;
beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), "cli-errors-"));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function runScript(script: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts", script), ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

const out = () => path.join(work, "out");
// [script, arguments (OUT: a folder that must stay absent), what the one line must say]
const CASES: [string, string[], RegExp][] = [
  ["bench.ts", ["--nope"], /^bench: error: unknown option '--nope'/],
  ["build-site.ts", ["--port", "web"], /^build-site: error: .*port must be an integer from 0 to 65535/],
  ["build-site.ts", ["--data", "/no/such/folder", "--out", "OUT"], /^build-site: DatasetMissingError: no dataset at \/no\/such\/folder: the folder does not exist/],
  ["check-dataset.ts", ["OUT", "--bogus"], /^check-dataset: error: unknown option '--bogus'/],
  ["compact.ts", ["--out", "OUT", "--before", "2026-13"], /^compact: --before must be YYYY-MM, got "2026-13"/],
  ["data-branch.ts", ["close", "--final-days", "-1", "--out", "OUT"], /^data-branch: error: .*final days must be an integer of at least 0/],
  ["data-branch.ts", ["plan", "--out", "OUT", "--month", "2026-13"], /^data-branch: error: .*'2026-13' is invalid\. month must be YYYY-MM/],
  ["data-branch.ts", ["overlay", "--out", "OUT"], /^data-branch: DataBranchError: the dataset folder .* is not inside the work tree/],
  ["dataset-card.ts", ["--bogus"], /^dataset-card: error: unknown option '--bogus'/],
  ["demo.ts", ["--days", "999", "--dir", "OUT"], /^demo: error: .*days must be an integer from 1 to 250/],
  ["export-api.ts", ["--quiet", "--bogus"], /^export-api: error: unknown option '--bogus'/],
  ["export-api.ts", ["--data", "/no/such/folder", "--out", "OUT"], /^export-api: DatasetMissingError: no dataset at \/no\/such\/folder: the folder does not exist/],
  ["fetch-dataset.ts", ["--from", "20x5", "--out", "OUT"], /^fetch-dataset: error: .*from must be an integer from 1900 to 9999/],
  ["fetch-dataset.ts", ["--manifest", "OUT/none.json", "--out", "OUT"], /^fetch-dataset: ManifestError: .*none\.json: cannot read \(ENOENT\)/],
  ["publish-year.ts", ["--repo", "o/r", "--year", "2025", "--data", "OUT"], /^publish-year: PublishYearError: (GITHUB_TOKEN is not set|no dataset folder)/],
  ["figures.ts", ["--readme", "OUT", "--from", "OUT"], /^figures: FiguresError: no such folder/],
  ["import-archive.ts", ["--dump", "OUT", "--out", "OUT", "--from", "2026-02-30"], /^import-archive: error: .*must be a date YYYY-MM-DD/],
  ["import-archive.ts", ["--dump", "OUT", "--out", "OUT"], /^import-archive: ArchiveInputError: no dump at /],
  ["ops.ts", ["backfill-plan", "--from", "2026-11-02"], /^ops: error: required option '--to <date>' not specified/],
  ["published-digest.ts", ["--data", "OUT", "--write", "OUT", "--today", "2026-13-01"], /^published-digest: error: .*must be a date YYYY-MM-DD/],
  ["replica.ts", ["--days", "2601"], /^replica: error: .*days must be an integer from 1 to 2600/],
  ["replica.ts", ["--oversized", "7OO"], /^replica: error: .*invalid stock code/],
  ["scrape.ts", ["run", "--max-response-bytes", "0", "--out", "OUT"], /^scrape: error: .*max response bytes must be an integer of at least 1/],
  ["screenshots.ts", ["--stock", "../x", "--out", "OUT"], /^screenshots: InvalidValueError: invalid stock code/],
  ["serve-dist.ts", ["--port", "99999"], /^serve-dist: error: .*port must be an integer from 0 to 65535/],
  ["synth-dataset.ts", ["--out", "OUT", "--end", "2026-11-20", "--days", "2601"], /^synth-dataset: error: .*days must be an integer from 1 to 2600/],
  ["trends.ts", ["--stock", "../x"], /^trends: InvalidValueError: invalid stock code/],
];

describe("command-line errors", () => {
  it("cover every script", () => {
    const scripts = readdirSync(path.join(ROOT, "scripts")).filter((f) => f.endsWith(".ts"));
    expect([...new Set(CASES.map((c) => c[0]))].sort()).toEqual(scripts.sort());
  });

  it.each(CASES)("%s %s: one line on stderr, exit 1, nothing written", async (script, args, message) => {
    const r = await runScript(script, args.map((a) => (a === "OUT" ? out() : a)));
    expect(r.code, r.stderr).toBe(1);
    const lines = r.stderr.split("\n").filter((l) => l.trim() !== "");
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(r.stdout).toBe("");
    expect(existsSync(out())).toBe(false);
  });

  it("bad input found at run time is one line too: a scrape refused by a live lock", async () => {
    const dataset = path.join(work, "locked");
    mkdirSync(path.join(dataset, "_state"), { recursive: true });
    // held by this (live) test process
    writeFileSync(path.join(dataset, "_state", "run.lock"), JSON.stringify({ pid: process.pid, host: hostname(), at: new Date().toISOString(), start: procStat(process.pid)?.start }));
    const r = await runScript("scrape.ts", ["run", "--base-url", "http://127.0.0.1:9", "--out", dataset, "--stocks", "00700", "--to", "2026-11-20"]);
    expect(r.code).toBe(1);
    const lines = r.stderr.split("\n").filter((l) => l.trim() !== "");
    expect(lines, r.stderr).toEqual([expect.stringMatching(new RegExp(`^scrape: RunLockedError: another scrape \\(pid ${process.pid} on .*\\) holds .*run\\.lock$`))]);
  });
});
