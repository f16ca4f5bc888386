// CCASS_TIMINGS (data-loaders/compute/timings.ts): a process prints its steps' seconds on stderr
// only when asked, the years bench reads them back, and its report lists them per process.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { formatStepTimings, type BuildFigures } from "../bench/years-report.ts";
import { parseTimings } from "../data-loaders/compute/timings.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const SCRIPT = `import { timed, timing } from "./data-loaders/compute/timings.ts";
await timed("export.stocks", () => new Promise((r) => setTimeout(r, 30)));
timing("cache.window changes", 1.23456);
console.error("an ordinary log line");`;

function run(env: Record<string, string>): string {
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", SCRIPT], { cwd: ROOT, env: { ...process.env, ...env }, encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return r.stderr;
}

describe("CCASS_TIMINGS", () => {
  it("=1 prints one line a step, which parseTimings reads back in order (spaces in a name become _)", () => {
    const t = parseTimings(run({ CCASS_TIMINGS: "1" }));
    expect(t.map((x) => x.step)).toEqual(["export.stocks", "cache.window_changes"]);
    expect(t[0]!.seconds).toBeGreaterThanOrEqual(0.02);
    expect(t[1]!.seconds).toBe(1.235);
  });

  it("unset prints nothing (the loaders' stderr is what Framework shows)", () => {
    const err = run({ CCASS_TIMINGS: "" });
    expect(parseTimings(err)).toEqual([]);
    expect(err).toContain("an ordinary log line");
  });

  it("the years report lists each process with the steps of at least the threshold", () => {
    const f = {
      steps: [
        { step: "meta", seconds: 12.3, cpu_seconds: 20.1, peak_rss_mib: 1, stdout_bytes: 1, timings: [{ step: "cache.build", seconds: 11.2 }, { step: "cache.key", seconds: 0.1 }] },
        { step: "stocks", seconds: 0.9, cpu_seconds: 1.2, peak_rss_mib: 1, stdout_bytes: 1 },
      ],
    } as unknown as BuildFigures;
    const lines = formatStepTimings(f, 0.2).split("\n");
    expect(lines[0]).toMatch(/meta +12\.3 s \(CPU 20\.1\): cache\.build 11\.2$/);
    expect(lines[1]).toMatch(/stocks +0\.9 s \(CPU 1\.2\)$/);
  });
});
