// Every sample page parses to exactly its expected JSON (tests/fixtures/hkex/expected), through the
// library entry points the HTTP client and ingest use.
import { describe, expect, it } from "vitest";
import { extractFormFields, parseHoldingsPage, parsePage } from "../src/hkex/parse.ts";
import { fixtureNames, readExpected, readFixture, withoutReason } from "./parse-helpers.ts";

const names = fixtureNames();

describe("HKEX sample pages", () => {
  it("finds the fixtures and an expected file for each", () => {
    expect(names.length).toBeGreaterThanOrEqual(11);
    for (const name of names) expect(readExpected(name)).toBeTypeOf("object");
  });

  for (const name of names) {
    it(`${name} → expected/${name.replace(/\.[^.]+$/, "")}.json`, () => {
      const expected = readExpected(name) as Record<string, unknown>;
      const outcome = parsePage(readFixture(name));
      if ("error" in expected) {
        expect("error" in outcome).toBe(true);
        expect(withoutReason(outcome)).toEqual(expected);
        if (expected.error === "incomplete" || expected.error === "no-result") {
          // The reason is free text, but it must be there to tell the user which check failed.
          expect((outcome as { reason?: string }).reason).toMatch(/\w/);
        }
      } else {
        expect(outcome).toEqual(expected);
      }
    });
  }

  it("parseHoldingsPage alone gives the same record as parsePage for holdings fixtures", () => {
    for (const name of names.filter((n) => n.startsWith("holdings-"))) {
      expect(parseHoldingsPage(readFixture(name))).toEqual(parsePage(readFixture(name)));
    }
  });
});

describe("extractFormFields", () => {
  const fields = extractFormFields(readFixture("search-initial.html"));

  it("returns every named input of form#form1, in document order, nothing from the script", () => {
    expect(Object.keys(fields)).toEqual([
      "__EVENTTARGET",
      "__EVENTARGUMENT",
      "__VIEWSTATE",
      "__VIEWSTATEGENERATOR",
      "__EVENTVALIDATION",
      "today",
      "sortBy",
      "sortDirection",
      "originalShareholdingDate",
      "alertMsg",
      "txtShareholdingDate",
      "txtStockCode",
      "txtStockName",
      "txtParticipantID",
      "txtParticipantName",
      "txtSelPartID",
    ]);
  });

  it("copies values verbatim, and an input without a value as empty", () => {
    expect(fields.__VIEWSTATEGENERATOR).toBe("3B6E3F7F");
    expect(fields.__VIEWSTATE).toMatch(/^\/wEPDwUKMTY0NjY0xIl\/kFjp.*==$/);
    expect(fields.txtShareholdingDate).toBe("2026/11/20");
    expect(fields.today).toBe("20261123");
    expect(fields.txtParticipantID).toBe("");
  });

  it("ignores inputs outside form#form1 and decodes entities in values", () => {
    const html =
      '<html><body><input name="outside" value="x"><form id="other"><input name="alsoOutside"></form>' +
      '<form id="form1"><div><input name="a" value="1 &amp; 2"><input value="nameless"><input name="b"></div></form></body></html>';
    expect(extractFormFields(html)).toEqual({ a: "1 & 2", b: "" });
  });

  it("gives no fields for a page without the form", () => {
    expect(extractFormFields("")).toEqual({});
    expect(extractFormFields("<html><body><p>hello</p></body></html>")).toEqual({});
  });
});
