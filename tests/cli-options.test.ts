// The command lines' shared option parsers (src/lib/cli-options.ts): a bad value is a usage error
// naming the option and its bounds; a good one comes back as a number or the date string.
import { InvalidArgumentError } from "commander";
import { describe, expect, it } from "vitest";
import { integerOption, isoDateOption, numberOption } from "../src/lib/cli-options.ts";

describe("option parsers", () => {
  it("integers: inside the bounds only, and the message says which bounds", () => {
    const stocks = integerOption("stocks", 1, 6000);
    expect(stocks("120")).toBe(120);
    for (const bad of ["0", "6001", "1.5", "", "ten"]) expect(() => stocks(bad), bad).toThrow(InvalidArgumentError);
    expect(() => stocks("0")).toThrow("stocks must be an integer from 1 to 6000");
    expect(() => integerOption("retries", 1)("0")).toThrow("retries must be an integer of at least 1");
  });

  it("numbers: inclusive bounds, or above an exclusive minimum", () => {
    expect(numberOption("fault rate", 0, 1)("0")).toBe(0);
    expect(() => numberOption("fault rate", 0, 1)("1.5")).toThrow("fault rate must be a number from 0 to 1");
    const rate = numberOption("rate", 0, Infinity, true);
    expect(rate("0.5")).toBe(0.5);
    expect(() => rate("0")).toThrow("rate must be a number above 0");
    expect(() => rate(" ")).toThrow(InvalidArgumentError);
    expect(() => numberOption("pause", 0)("-1")).toThrow("pause must be a number of at least 0");
  });

  it("dates: real calendar dates written YYYY-MM-DD", () => {
    expect(isoDateOption("2026-11-20")).toBe("2026-11-20");
    for (const bad of ["2026-02-30", "20261120", "2026-11-20T00:00"]) expect(() => isoDateOption(bad), bad).toThrow("must be a date YYYY-MM-DD");
  });
});
