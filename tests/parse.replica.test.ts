// Round trip through the local replica's renderer (src/replica/render.ts), which the scraper
// reads in every end-to-end run: a record rendered as an HKEX page parses back to the same record,
// in both languages, including the replica's own markup variations (&nbsp;, line breaks, class order).
import { describe, expect, it } from "vitest";
import { extractFormFields, parsePage } from "../src/hkex/parse.ts";
import type { HoldingsPage, SouthboundPage } from "../src/hkex/types.ts";
import { renderSearchPage, renderSouthboundPage, type FormState, type Lang } from "../src/replica/render.ts";
import { readExpected } from "./parse-helpers.ts";

const form = (lang: Lang, action: FormState["action"], date: string, extra: Partial<FormState> = {}): FormState => ({
  lang,
  action,
  tokens: { viewState: "/wEPDw+VIEW/STATE==", eventValidation: "/wEdAA+EVENT&VALID==" },
  today: "2026-11-23",
  shareholdingDate: date,
  ...extra,
});

describe("replica pages parse back to the records they were rendered from", () => {
  for (const fixture of ["holdings-en-00700-large.html", "holdings-zh-00005-chinese.html", "holdings-en-02999-no-participants.html"]) {
    for (const lang of ["en", "zh"] as const) {
      it(`${fixture} rendered in ${lang}`, () => {
        const record = readExpected(fixture) as HoldingsPage;
        const action = lang === "en" ? "searchsdw.aspx" : "searchsdw_c.aspx";
        const html = renderSearchPage(form(lang, action, record.date, { stockCode: record.stockCode, stockName: record.stockName }), record);
        expect(parsePage(html)).toEqual(record);
      });
    }
  }

  it("the replica's form carries its tokens back through extractFormFields", () => {
    const fields = extractFormFields(renderSearchPage(form("en", "searchsdw.aspx", "2026-11-20")));
    expect(fields.__VIEWSTATE).toBe("/wEPDw+VIEW/STATE==");
    expect(fields.__EVENTVALIDATION).toBe("/wEdAA+EVENT&VALID==");
    expect(fields.txtShareholdingDate).toBe("2026/11/20");
  });

  it("a southbound table", () => {
    const record: SouthboundPage = {
      kind: "southbound",
      date: "2026-11-20",
      holdings: [
        { stockCode: "00700", stockName: "SAMPLE TECH & HOLDINGS", shares: 1234567890, reportedPercent: 12.5 },
        { stockCode: "00005", stockName: "SAMPLE BANK", shares: 42, reportedPercent: null },
      ],
    };
    const html = renderSouthboundPage(form("en", "mutualmarket.aspx?t=hk", record.date), record);
    expect(parsePage(html)).toEqual(record);
  });
});
