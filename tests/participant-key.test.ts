// Investor-participant keys (README "The dataset"): `ip:` + 12 hex of SHA-1 of the name after
// NFKC, white-space folding and upper-casing, so a name re-typed in another width, case or
// spacing keeps its key; `#2`, `#3`… for same-name investors on one page, in page order.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { ParticipantHolding } from "../src/hkex/types.ts";
import { isInvestorKey, participantKeys } from "../src/ingest/participant-key.ts";

const investor = (name: string, shares = 1): ParticipantHolding => ({ id: null, name, address: null, shares });
const keyOf = (name: string) => participantKeys([investor(name)])[0]!;
/** The key by hand: what the README says it is, for the already-normal form of a name. */
const expected = (normalName: string) => `ip:${createHash("sha1").update(normalName).digest("hex").slice(0, 12)}`;

describe("investor-participant keys", () => {
  it("are ip: + 12 hex digits of the SHA-1 of the normalised name", () => {
    expect(keyOf("CHAN TAI MAN")).toBe(expected("CHAN TAI MAN"));
    expect(keyOf("CHAN TAI MAN")).toMatch(/^ip:[0-9a-f]{12}$/);
    expect(isInvestorKey(keyOf("CHAN TAI MAN"))).toBe(true);
    expect(isInvestorKey("C00010")).toBe(false);
  });

  it("ignore width, case and spacing", () => {
    const base = expected("CHAN TAI MAN");
    for (const variant of [
      "ＣＨＡＮ　ＴＡＩ　ＭＡＮ", // full-width letters, ideographic spaces
      "chan tai man",
      "Chan Tai Man",
      "  CHAN   TAI\tMAN \n",
      "CHAN\u00a0TAI MAN", // no-break space
    ]) {
      expect(keyOf(variant), JSON.stringify(variant)).toBe(base);
    }
    expect(keyOf("陳大文")).toBe(expected("陳大文"));
    expect(keyOf(" 陳大文　")).toBe(expected("陳大文"));
  });

  it("tell different names apart, spaces inside a name included", () => {
    const keys = ["CHAN TAI MAN", "CHAN TAI MEN", "CHANTAI MAN", "CHAN TAI MAN JR", "陳大文", "陳大民"].map(keyOf);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("number same-name investors on one page #2, #3 in page order, however the name is typed", () => {
    const rows = [
      investor("CHAN TAI MAN", 900),
      { id: "C00010", name: "CHAN TAI MAN", address: null, shares: 800 }, // an ID is its own key
      investor("WONG SIU MING", 700),
      investor("chan  tai man", 600),
      investor("ＣＨＡＮ ＴＡＩ ＭＡＮ", 500),
      investor("WONG SIU MING", 400),
    ];
    const chan = expected("CHAN TAI MAN");
    const wong = expected("WONG SIU MING");
    expect(participantKeys(rows)).toEqual([chan, "C00010", wong, `${chan}#2`, `${chan}#3`, `${wong}#2`]);
    // Another page counts afresh: the first CHAN TAI MAN there has the plain key again.
    expect(participantKeys(rows.slice(3))).toEqual([chan, `${chan}#2`, wong]);
    // No key repeats on a page, whatever the names.
    const keys = participantKeys(rows);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
