// The analytics build's steps are stated in code (cache-steps.ts CACHE_STEPS, chunks.ts CHUNK_STEPS),
// never in a SQL file's comments: every SQL file is run by exactly one step, in file-name order, and
// no SQL file carries a `-- @…` directive that a builder would have to act on.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CACHE_SQL_DIR, CACHE_STEPS } from "../data-loaders/compute/cache-steps.ts";
import { CHUNK_SQL_DIR, CHUNK_STEPS } from "../data-loaders/compute/chunks.ts";
import { sqlFiles } from "../data-loaders/compute/sql-files.ts";

describe.each([
  ["cache", CACHE_SQL_DIR, CACHE_STEPS],
  ["chunk", CHUNK_SQL_DIR, CHUNK_STEPS],
] as const)("the %s build's steps", (_name, dir, steps) => {
  const files = sqlFiles(dir);

  it("run every SQL file of the folder exactly once, in file-name order", () => {
    const run = steps.map((s) => s.name).filter((n) => n.endsWith(".sql"));
    expect(files.length).toBeGreaterThan(2);
    expect(run).toEqual(files);
  });

  it("open each SQL file with a glossary naming every table or view it makes", () => {
    for (const f of files) {
      const text = readFileSync(path.join(dir, f), "utf8");
      const glossary = /^-- Makes[^\n]*\n((?:--   .*\n)+)/.exec(text)?.[1] ?? "";
      const listed = [...glossary.matchAll(/^--   (\w+)/gm)].map((m) => m[1]);
      const made = [...text.matchAll(/^CREATE (?:OR REPLACE )?(?:TEMP )?(?:TABLE|VIEW) (\w+)/gm)].map((m) => m[1]);
      expect(made.length, f).toBeGreaterThan(0);
      expect(listed, f).toEqual(made);
    }
  });

  it("leave no directive in a SQL file (no comment line starting `-- @`)", () => {
    for (const f of files) expect(readFileSync(path.join(dir, f), "utf8"), f).not.toMatch(/^--\s*@/m);
  });
});
