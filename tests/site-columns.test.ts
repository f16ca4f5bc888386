// The site's table helpers (src/pages/components/columns.js, a browser module without types):
// columnar tables to rows, and trend series from their change points to one value per date.
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";

interface Columns {
  toRows(columns: unknown): Record<string, unknown>[];
  stepValues(seq: number[] | undefined, values: number[], n: number): number[];
}

const modulePath = pathToFileURL(path.join(import.meta.dirname, "..", "src", "pages", "components", "columns.js")).href;
const c = (await import(modulePath)) as Columns;

describe("site table helpers", () => {
  it("change points become a step per date: 0 before the first, each value until the next point", () => {
    expect(c.stepValues([2, 4, 5], [100, 150, 0], 7)).toEqual([0, 0, 100, 100, 150, 0, 0]);
    expect(c.stepValues([0], [7], 3)).toEqual([7, 7, 7]);
  });

  it("a series without points is all zeros; no points and no dates is empty", () => {
    expect(c.stepValues([], [], 3)).toEqual([0, 0, 0]);
    expect(c.stepValues(undefined, [], 2)).toEqual([0, 0]);
    expect(c.stepValues([], [], 0)).toEqual([]);
  });

  it("columnar objects become row objects", () => {
    expect(c.toRows({ a: [1, 2], b: ["x", "y"] })).toEqual([{ a: 1, b: "x" }, { a: 2, b: "y" }]);
    expect(c.toRows(null)).toEqual([]);
  });
});
