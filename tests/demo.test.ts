// `npm run demo` refuses what it must not do, with a clear message. (The full pipeline runs in CI
// as `npm run demo -- --no-serve`, see .ci/run and ci.yml; it takes minutes, so not here.)
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..");
const demo = (...args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts", "demo.ts"), "--no-serve", ...args], { cwd: ROOT, encoding: "utf8" });

describe("demo", () => {
  it("never writes inside data/: a --dir there fails before anything starts", () => {
    const target = path.join("data", "demo-should-not-exist");
    const r = demo("--dir", target);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('stage "setup" failed');
    expect(r.stderr).toContain("inside data/");
    expect(r.stdout).not.toContain("demo: replica");
    expect(existsSync(path.join(ROOT, target))).toBe(false);
  });

  it("never builds over the real dist/: --dir inside dist/ or at the project root fails before anything starts", () => {
    for (const [dir, message] of [
      [path.join("dist", "demo-should-not-exist"), "inside dist/"],
      [".", "the project folder or above it"],
      ["..", "the project folder or above it"],
    ] as const) {
      const r = demo("--dir", dir);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('stage "setup" failed');
      expect(r.stderr).toContain(message);
      expect(r.stdout).not.toContain("demo: replica");
    }
    expect(existsSync(path.join(ROOT, "dist", "demo-should-not-exist"))).toBe(false);
  });

  it("rejects bad options with the option's name", () => {
    const r = demo("--stocks", "0");
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/stocks must be an integer from 1/);
    const e = demo("--end", "2026-02-30");
    expect(e.status).not.toBe(0);
    expect(e.stderr).toMatch(/YYYY-MM-DD/);
  });
});
