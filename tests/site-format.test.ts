// The site's number formats (src/pages/components/format.js, a browser module without types):
// shares with separators, percentages to 2–4 places that never read as zero, durations.
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";

interface Formats {
  fmtShares(x: unknown): string;
  fmtSharesDelta(x: unknown): string;
  fmtPct(x: unknown, digits?: number): string;
  fmtPctDelta(x: unknown, digits?: number): string;
  fmtDuration(x: unknown): string;
}

const modulePath = pathToFileURL(path.join(import.meta.dirname, "..", "src", "pages", "components", "format.js")).href;
const f = (await import(modulePath)) as Formats;

describe("site number formats", () => {
  it("shares carry thousands separators; missing values are a dash", () => {
    expect(f.fmtShares(1234567)).toBe("1,234,567");
    expect(f.fmtShares(null)).toBe("—");
    expect(f.fmtShares(Number.NaN)).toBe("—");
  });

  it("whole shares and signed changes are written as Intl.NumberFormat en-US writes them (done by hand, without ICU)", () => {
    const plain = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
    const signed = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0, signDisplay: "exceptZero" });
    // halves (rounded away from zero), negatives that round to zero, group boundaries, past 2^53 (Intl's own)
    const values = [0, -0, 0.4, -0.4, 0.5, -0.5, 2.5, -2.5, 999.5, -999.5, 999, 1000, 1_234_567, -98_765_432_109, 2 ** 53 - 1, 2 ** 53 + 2, 1e21, -1.5e25];
    let seed = 1;
    const random = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    for (let i = 0; i < 5000; i++) values.push((random() - 0.5) * 10 ** (random() * 16), Math.round((random() - 0.5) * 10 ** (random() * 15)) + 0.5);
    for (const v of values) {
      expect(f.fmtShares(v), String(v)).toBe(plain.format(v));
      expect(f.fmtSharesDelta(v), String(v)).toBe(signed.format(v).replace("-", "−"));
    }
    expect(f.fmtSharesDelta(1200)).toBe("+1,200");
    expect(f.fmtSharesDelta(-300)).toBe("−300");
    expect(f.fmtSharesDelta(null)).toBe("—");
  });

  it("percentages use 2 places, 4 under 0.1 %, and a tiny holding never reads as 0", () => {
    expect(f.fmtPct(37.4512)).toBe("37.45%");
    expect(f.fmtPct(0.0923)).toBe("0.0923%");
    expect(f.fmtPct(0)).toBe("0.00%");
    expect(f.fmtPct(0.00002)).toBe("<0.0001%");
    expect(f.fmtPct(0.00002, 2)).toBe("0.00%");
  });

  it("changes in percentage points are signed and never show as −0.0000", () => {
    expect(f.fmtPctDelta(0.25)).toBe("+0.25 pp");
    expect(f.fmtPctDelta(-0.0012)).toBe("−0.0012 pp");
    expect(f.fmtPctDelta(0)).toBe("0.00 pp");
    expect(f.fmtPctDelta(0.000003)).toBe("+<0.0001 pp");
    expect(f.fmtPctDelta(-0.000003)).toBe("−<0.0001 pp");
  });

  it("durations roll over to the next minute instead of showing 60 s", () => {
    expect(f.fmtDuration(12.34)).toBe("12.3 s");
    expect(f.fmtDuration(65)).toBe("1 m 05 s");
    expect(f.fmtDuration(119.6)).toBe("2 m 00 s");
    expect(f.fmtDuration(59.97)).toBe("1 m 00 s");
    expect(f.fmtDuration(null)).toBe("—");
  });
});
