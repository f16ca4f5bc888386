// `scripts/ops.ts drift-verdict`, as the nightly, backfill and drift-check workflows run it: its
// exit status is the workflows' gate (docs/OPERATIONS.md). Markup drift fails whatever
// --max-rejects says; other rejects fail only above --max-rejects (default 0), as warnings below.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { saveReject } from "../src/ingest/evidence.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const run = promisify(execFile);
let work: string;
let clean: string;
let twoOther: string;
let drifted: string;
let hostile: string;

async function reject(out: string, date: string, page: string, reason: string): Promise<void> {
  await saveReject(out, { date, page, reason, attempts: 1, runId: "test", at: "2026-11-21T00:00:00Z" }, "<html>raw</html>");
}

async function verdict(...args: string[]): Promise<{ code: number; lines: string[]; stdout: string; stderr: string }> {
  let stdout: string;
  let stderr: string;
  let code = 0;
  try {
    ({ stdout, stderr } = await run(process.execPath, ["--import", "tsx", "scripts/ops.ts", "drift-verdict", ...args], { cwd: ROOT }));
  } catch (err) {
    const e = err as { code?: number; stdout: string; stderr: string };
    code = typeof e.code === "number" ? e.code : -1;
    ({ stdout, stderr } = e);
  }
  return { code, lines: stdout.split("\n").filter(Boolean), stdout, stderr };
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), "drift-verdict-"));
  clean = path.join(work, "clean");
  mkdirSync(clean);
  twoOther = path.join(work, "two-other");
  await reject(twoOther, "2026-11-20", "00005", "incomplete: listed rows 3 ≠ 4");
  await reject(twoOther, "2026-11-20", "00700", "inconsistent: page is for 2026-11-19, requested 2026-11-20");
  drifted = path.join(work, "drifted");
  await reject(drifted, "2026-11-20", "00005", "no-result: markup drift: no element matches #pnlResultSummary");
  hostile = path.join(work, "hostile");
  await reject(hostile, "2026-11-20", "00001", "incomplete: name \x1b[2J\x9b31m\n::error::forged annotation");
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.concurrent("drift-verdict", () => {
  it("exits 0 on a scrape with no rejected page", async () => {
    const r = await verdict("--out", clean);
    expect(r.code).toBe(0);
    expect(r.lines).toEqual(["no page rejected: the markup matches the definitions"]);
  });

  it("fails on any reject by default (--max-rejects 0)", async () => {
    const r = await verdict("--out", twoOther);
    expect(r.code).toBe(1);
    expect(r.lines).toHaveLength(2);
    for (const l of r.lines) expect(l).toMatch(/^::error title=Rejected page::2026-11-20 (00005|00700): /);
  });

  it("tolerates rejects up to --max-rejects, as warnings, and fails one above", async () => {
    const at = await verdict("--out", twoOther, "--max-rejects", "2");
    expect(at.code).toBe(0);
    expect(at.lines).toEqual([
      "::warning title=Rejected page::2026-11-20 00005: incomplete: listed rows 3 ≠ 4",
      "::warning title=Rejected page::2026-11-20 00700: inconsistent: page is for 2026-11-19, requested 2026-11-20",
    ]);
    const above = await verdict("--out", twoOther, "--max-rejects", "1");
    expect(above.code).toBe(1);
    expect(above.lines.every((l) => l.startsWith("::error title=Rejected page::"))).toBe(true);
  });

  it("fails on markup drift whatever --max-rejects allows", async () => {
    const r = await verdict("--out", drifted, "--max-rejects", "100");
    expect(r.code).toBe(1);
    expect(r.lines).toEqual(["::error title=HKEX markup drift::2026-11-20 00005: no-result: markup drift: no element matches #pnlResultSummary"]);
  });

  it("prints a hostile reason on one line with no control character (no forged annotation)", async () => {
    const r = await verdict("--out", hostile, "--max-rejects", "1");
    expect(r.code).toBe(0);
    expect(r.lines).toEqual(["::warning title=Rejected page::2026-11-20 00001: incomplete: name [2J31m ::error::forged annotation"]);
    expect(r.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  });

  it("refuses a negative or non-integer --max-rejects with a one-line error", async () => {
    for (const bad of ["-1", "1.5", "many"]) {
      const r = await verdict("--out", clean, "--max-rejects", bad);
      expect(r.code, bad).not.toBe(0);
      expect(r.stderr, bad).toMatch(/max rejects must be an integer/);
      expect(r.stdout, bad).toBe("");
    }
  });
});
