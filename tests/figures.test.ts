// Docs that cannot drift: the README's figures table is what docs/figures.json renders (the one
// source in git; npm run figures writes it), a benchmark's recorded rows replace their own rows
// only, and the schema version the docs quote is the code's.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { SCHEMA_VERSION } from "../data-loaders/publish/common.ts";
import { currentBlock, FiguresError, mergeBenchRows, renderTable, replaceBlock, type Figures } from "../src/lib/figures.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
const figures = JSON.parse(readFileSync(path.join(ROOT, "docs", "figures.json"), "utf8")) as Figures;

describe("the README's figures", () => {
  it("are exactly what docs/figures.json renders (run `npm run figures` after editing it)", () => {
    expect(figures.rows.length).toBeGreaterThan(5);
    expect(currentBlock(readme)).toBe(renderTable(figures));
  });

  it("a README whose table was edited by hand disagrees", () => {
    const edited = readme.replace(figures.rows[0]!.measured, "999 MB/s");
    expect(currentBlock(edited)).not.toBe(renderTable(figures));
    // and rendering puts the source's figures back
    expect(currentBlock(replaceBlock(edited, renderTable(figures)))).toBe(renderTable(figures));
  });

  it("a benchmark's readme_rows replace the rows of the same name in place, keep their goal, and add new ones", () => {
    const f: Figures = { rows: [
      { what: "a", measured: "1 s", goal: "≤ 2 s", bench: "x" },
      { what: "b", measured: "old", goal: "g", bench: "y" },
    ] };
    const merged = mergeBenchRows(f, "y", { readme_rows: [{ what: "b", measured: "new | piped" }, { what: "c", measured: "3", goal: "4" }] });
    expect(merged.rows).toEqual([
      { what: "a", measured: "1 s", goal: "≤ 2 s", bench: "x" },
      { what: "b", measured: "new | piped", goal: "g", bench: "y" },
      { what: "c", measured: "3", goal: "4", bench: "y" },
    ]);
    expect(renderTable(merged)).toContain("| b | new \\| piped | g |");
    expect(f.rows[1]!.measured).toBe("old"); // the input is not changed
    expect(mergeBenchRows(f, "z", { other: 1 })).toBe(f);
    expect(() => mergeBenchRows(f, "z", { readme_rows: [{ what: "b" }] })).toThrow(FiguresError);
  });
});

describe("the schema version the docs quote", () => {
  it("is the code's SCHEMA_VERSION in docs/DATASETS.md's text and every example", () => {
    const datasets = readFileSync(path.join(ROOT, "docs", "DATASETS.md"), "utf8");
    expect(/carries `schema_version` \(currently `(\d+)`\)/.exec(datasets)?.[1]).toBe(String(SCHEMA_VERSION));
    const examples = [...datasets.matchAll(/"schema_version":\s*(\d+)/g)].map((m) => Number(m[1]));
    expect(examples.length).toBeGreaterThan(5);
    expect(new Set(examples)).toEqual(new Set([SCHEMA_VERSION]));
  });
});
