// Pages derived from the sample pages (tests/fixtures/hkex) by transformation: markup HKEX varies (class order,
// entities, white space, quoting, case), renamed or reordered categories, Chinese labels, pages
// cut short, summaries that do not add up, markup drift, and bodies that are not pages at all.
// The expected record is always the expected JSON (or a stated edit of it), never a
// value computed by the parser.
import { describe, expect, it } from "vitest";
import { categoryOf, DRIFT, parseHoldingsPage, parsePage, parsePartList, parseSouthboundPage, parseStockList } from "../src/hkex/parse.ts";
import type { HoldingsPage, ParseOutcome } from "../src/hkex/types.ts";
import { readExpected, readFixture } from "./parse-helpers.ts";

const SMALL = "holdings-en-08123-small.html";
const LARGE = "holdings-en-00700-large.html";
const CHINESE = "holdings-zh-00005-chinese.html";

const small = readFixture(SMALL);
const large = readFixture(LARGE);
const smallExpected = readExpected(SMALL) as HoldingsPage;
const largeExpected = readExpected(LARGE) as HoldingsPage;

/** Replace exactly one occurrence (fails the test if the fixture changed under it). */
function replaceOnce(html: string, from: string, to: string): string {
  const at = html.indexOf(from);
  expect(at, `fixture text ${JSON.stringify(from)}`).toBeGreaterThanOrEqual(0);
  expect(html.indexOf(from, at + 1), `fixture text ${JSON.stringify(from)} is unique`).toBe(-1);
  return html.slice(0, at) + to + html.slice(at + from.length);
}

function replaceAll(html: string, from: string | RegExp, to: string | ((...m: string[]) => string)): string {
  const out = typeof from === "string" ? html.split(from).join(to as string) : html.replace(from, to as (...m: string[]) => string);
  expect(out, `transformation by ${String(from)} changed something`).not.toBe(html);
  return out;
}

function expectError(outcome: ParseOutcome, error: string, reason?: RegExp): void {
  expect("error" in outcome ? outcome : { error: "none: parsed as " + (outcome as { kind: string }).kind }).toMatchObject({ error });
  if (reason) expect((outcome as { reason?: string }).reason).toMatch(reason);
}

describe("markup that varies", () => {
  it("class order swapped and extra classes", () => {
    const html = replaceAll(large, /class="([^"]*)"/g, (_m, cls) => `class="  extra-a ${cls!.split(" ").reverse().join("\t")} extra-b "`);
    expect(parseHoldingsPage(html)).toEqual(largeExpected);
  });

  it("entities in names and addresses: &amp; &nbsp; &#39; and numeric references are decoded", () => {
    let html = small;
    html = replaceOnce(html, ">PEAKSIDE TRUST (ASIA) LIMITED<", ">PEAKSIDE&nbsp;TRUST &#40;ASIA&#x29;&nbsp;&amp;&#160;CO<");
    html = replaceOnce(html, "28/F CENTRE 2, 236 QUEEN'S ROAD", "28/F&#32;CENTRE 2, 236 QUEEN&#39;S&nbsp;&nbsp;ROAD");
    html = replaceOnce(html, 'value="SAMPLE GEM SMALLCAP"', 'value="SAMPLE&nbsp;GEM &amp; SMALLCAP"');
    const expected = structuredClone(smallExpected);
    expected.participants[1]!.name = "PEAKSIDE TRUST (ASIA) & CO";
    expected.stockName = "SAMPLE GEM & SMALLCAP";
    expect(parseHoldingsPage(html)).toEqual(expected);
  });

  it("line breaks, tabs and indentation inside cells and values", () => {
    const html = replaceAll(
      large,
      /<div class="(mobile-list-body|value|summary-value)">([^<]*)<\/div>/g,
      (_m, cls, text) => `<div class="${cls}">\n\t\t   ${text!.replace(/ /g, " \n      ")}\r\n    </div>`,
    );
    expect(parseHoldingsPage(html)).toEqual(largeExpected);
  });

  it("single-quoted and unquoted attributes", () => {
    let html = replaceAll(small, /="([^"']*)"/g, (_m, v) => `='${v}'`);
    html = replaceAll(html, "class='mobile-list-body'", "class=mobile-list-body");
    expect(parseHoldingsPage(html)).toEqual(smallExpected);
  });

  it("upper-case tag and attribute names", () => {
    const html = replaceAll(large, /<(\/?)([a-z]+)([ >])/g, (_m, slash, tag, after) => `<${slash}${tag!.toUpperCase()}${after}`)
      .replace(/ (class|id|name|value)=/g, (_m, a) => ` ${a!.toUpperCase()}=`);
    expect(parseHoldingsPage(html)).toEqual(largeExpected);
  });

  it("a stray result table inside <script> and <style> is ignored", () => {
    const fake =
      '<div id="pnlResult"><div id="pnlResultNormal"><table><tbody><tr><td class="col-participant-id"><div class="mobile-list-body">X99999</div></td></tr></tbody></table></div></div>';
    const initial = replaceOnce(readFixture("search-initial.html"), "</head>", `<script>var t = '${fake}';</script><style>/* ${fake} */</style></head>`);
    expectError(parsePage(initial), "no-result");
    const withResult = replaceOnce(small, "</head>", `<script>document.write('${fake}')</script></head>`);
    expect(parseHoldingsPage(withResult)).toEqual(smallExpected);
  });

  it("HTML comments around and inside the result do not change it", () => {
    const html = replaceAll(small, "<tr>", "<!-- row --><tr><!-- <td class=\"col-participant-id\">X1</td> -->");
    expect(parseHoldingsPage(html)).toEqual(smallExpected);
  });
});

describe("summary categories by meaning", () => {
  it("renamed categories (Investor Participants → Investor Account Holders, dash and case variants)", () => {
    let html = large;
    html = replaceOnce(html, ">Consenting Investor Participants<", ">Consenting Investor Account Holders<");
    html = replaceOnce(html, ">Non-consenting Investor Participants<", ">Non\u2011Consenting  Investor Account Holders <");
    html = replaceOnce(html, ">Market Intermediaries<", ">MARKET INTERMEDIARY<");
    html = replaceOnce(html, ">Total<", "> Total: <");
    expect(parseHoldingsPage(html)).toEqual(largeExpected);
  });

  it("summary rows in another order give the same summary", () => {
    const rows = [...large.matchAll(/ {8}<div class="ccass-search-datarow">[\s\S]*?\n {8}<\/div>\n/g)].map((m) => m[0]);
    expect(rows).toHaveLength(3);
    let html = large;
    html = replaceOnce(html, rows.join(""), [rows[2], rows[0], rows[1]].join(""));
    expect(parseHoldingsPage(html)).toEqual(largeExpected);
  });

  it("the English page with Chinese labels (traditional and simplified) parses the same", () => {
    let html = small;
    html = replaceOnce(html, ">Market Intermediaries<", ">市场中介者<");
    html = replaceOnce(html, ">Consenting Investor Participants<", ">願意披露的投資者戶口持有人<");
    html = replaceOnce(html, ">Non-consenting Investor Participants<", ">不愿意披露的投资者户口持有人<");
    html = replaceOnce(html, ">Total<", ">總數<");
    expect(parseHoldingsPage(html)).toEqual(smallExpected);
  });

  it("the Chinese fixture keeps Chinese stock name and its consenting rows without ID or address", () => {
    const outcome = parseHoldingsPage(readFixture(CHINESE)) as HoldingsPage;
    expect(outcome).toEqual(readExpected(CHINESE));
    expect(outcome.participants.some((p) => p.id === null && p.address === null)).toBe(true);
  });

  it("categoryOf never takes non-consenting for consenting", () => {
    const cases: [string, string | null][] = [
      ["Market Intermediaries", "intermediaries"],
      ["Consenting Investor Participants", "consenting"],
      ["Consenting Investor Account Holders", "consenting"],
      ["Non-consenting Investor Participants", "nonConsenting"],
      ["Non-consenting Investor Account Holders", "nonConsenting"],
      ["Non consenting investor account holders", "nonConsenting"],
      ["NON‑CONSENTING INVESTOR PARTICIPANTS", "nonConsenting"],
      ["Nonconsenting Investor Participants", "nonConsenting"],
      ["Total", "total"],
      ["市場中介者", "intermediaries"],
      ["願意披露的投資者戶口持有人", "consenting"],
      ["不願意披露的投資者戶口持有人", "nonConsenting"],
      ["願意披露的投資者參與者", "consenting"],
      ["不願意披露的投資者參與者", "nonConsenting"],
      ["總數", "total"],
      ["总数", "total"],
      ["Investor Participants", null],
      ["Shareholding in CCASS", null],
      ["", null],
    ];
    for (const [label, key] of cases) expect([label, categoryOf(label)]).toEqual([label, key]);
  });

  it("an unknown or missing category is markup drift", () => {
    const unknown = replaceOnce(small, ">Market Intermediaries<", ">Custodian Banks<");
    expectError(parseHoldingsPage(unknown), "no-result", /^markup drift: unrecognised summary category "Custodian Banks"/);
    const twice = replaceOnce(small, ">Non-consenting Investor Participants<", ">Consenting Investor Participants (other)<");
    expectError(parseHoldingsPage(twice), "no-result", /^markup drift: summary category consenting appears twice/);
  });
});

describe("pages that do not add up", () => {
  it("a total that is not the sum of the categories", () => {
    const html = replaceOnce(small, '<div class="value">124,000,000</div>', '<div class="value">124,000,001</div>');
    expectError(parseHoldingsPage(html), "incomplete", /total shares 124000001/);
  });

  it("participant rows whose shares do not sum to the summary", () => {
    const html = replaceOnce(small, ">54,496,106<", ">54,496,107<");
    expectError(parseHoldingsPage(html), "incomplete", /participant rows hold 122400001 shares/);
  });

  it("a participant row missing from a complete document", () => {
    const row = /<tr>\s*<td class="col-participant-id"><div class="mobile-list-heading">Participant ID:<\/div><div class="mobile-list-body">C00373<\/div>[\s\S]*?<\/tr>/.exec(small)![0];
    const html = replaceOnce(small, row, "");
    expectError(parseHoldingsPage(html), "incomplete", /13 participant rows listed, summary says 14 intermediaries \+ 0 consenting = 14/);
  });

  it("a value that is not a number names the value", () => {
    const html = replaceOnce(small, ">236,437<", ">236,43x<");
    expectError(parseHoldingsPage(html), "incomplete", /participant row 7 shareholding is "236,43x", not a whole number/);
    const badSummary = replaceOnce(small, '<div class="value">2,729</div>', '<div class="value">2.729</div>');
    expectError(parseHoldingsPage(badSummary), "incomplete", /summary nonConsenting number of participants is "2.729"/);
    const badIssued = replaceOnce(small, ">400,000,000<", ">n/a<");
    expectError(parseHoldingsPage(badIssued), "incomplete", /issued shares is "n\/a"/);
  });

  it("a bad stock code, date or participant ID is rejected, not passed on", () => {
    expectError(parseHoldingsPage(replaceOnce(small, 'value="08123"', 'value="../x"')), "incomplete", /stock code/);
    expectError(parseHoldingsPage(replaceOnce(small, 'value="2026/11/20" id="txtShareholdingDate"', 'value="2026/02/30" id="txtShareholdingDate"')), "incomplete", /shareholding date is "2026\/02\/30"/);
    expectError(parseHoldingsPage(replaceOnce(small, ">C00373<", ">C0037'; DROP<")), "incomplete", /participant ID "C0037'; DROP"/);
  });
});

describe("pages cut short", () => {
  // A cut page must never yield a holdings record: the data it carries may be short of rows.
  // Offsets spread over the document up to the end of its closing </html> (what follows is only
  // a trailing newline), plus the spots where a cut keeps every row: after the table, inside </html>.
  function cutsOf(html: string, count: number): number[] {
    const end = html.lastIndexOf("</html>") + "</html>".length;
    const offsets = new Set<number>([1, end - 1, end - 2, end - 7, html.indexOf("</tbody>"), html.indexOf("</table>") + 8, html.indexOf("</form>")]);
    for (let i = 1; i <= count; i++) offsets.add(Math.floor((end * i) / (count + 1)));
    return [...offsets].filter((o) => o > 0 && o < end).sort((a, b) => a - b);
  }

  it("the small page cut at 300 offsets is incomplete or no-result, never a record", () => {
    const kinds = new Set<string>();
    for (const at of cutsOf(small, 300)) {
      const outcome = parseHoldingsPage(small.slice(0, at));
      expect(["incomplete", "no-result"], `cut at ${at}`).toContain((outcome as { error?: string }).error);
      kinds.add((outcome as { error: string }).error);
    }
    // Cuts before the result panel read as the bare form; cuts after it as incomplete.
    expect([...kinds].sort()).toEqual(["incomplete", "no-result"]);
  });

  it("the large page cut at 40 offsets is incomplete or no-result", () => {
    for (const at of cutsOf(large, 40)) {
      const outcome = parseHoldingsPage(large.slice(0, at));
      expect(["incomplete", "no-result"], `cut at ${at}`).toContain((outcome as { error?: string }).error);
    }
  });

  it("a cut page reports that the document ended early", () => {
    expectError(parseHoldingsPage(small.slice(0, small.indexOf("</tbody>"))), "incomplete", /ended early/);
  });
});

describe("markup drift", () => {
  it("a result panel whose summary table the definition cannot find", () => {
    const html = replaceAll(small, "ccass-search-summary-table", "ccass-summary-grid");
    expectError(parseHoldingsPage(html), "no-result", new RegExp(`^${DRIFT} `));
  });

  it("participant cells renamed", () => {
    const html = replaceAll(small, 'class="col-shareholding text-right"', 'class="col-holding text-right"');
    expectError(parseHoldingsPage(html), "no-result", /^markup drift: no participant row has a shares cell/);
  });

  it("participant table moved out of its panel", () => {
    const html = replaceAll(small, 'id="pnlResultNormal"', 'id="pnlResultList"');
    expectError(parseHoldingsPage(html), "no-result", /^markup drift: summary lists 14 participants but no participant rows/);
  });
});

describe("site messages", () => {
  it("alert text is decoded and folded", () => {
    const html = replaceOnce(readFixture("search-alert-invalid-stock.html"), 'value="The stock code entered is not valid."', 'value="  The stock code &amp; date&#39;s\n range  "');
    expect(parsePage(html)).toEqual({ error: "alert", message: "The stock code & date's range" });
  });

  it("maintenance with extra classes", () => {
    const html = replaceOnce(readFixture("search-maintenance.html"), 'class="ccass-search-maintenance"', "class='notice ccass-search-maintenance wide'");
    expect(parsePage(html)).toEqual({ error: "maintenance" });
  });
});

describe("bodies that are not pages", () => {
  const binary = (() => {
    // Deterministic garbage (a small LCG), decoded as UTF-8 the way a client would.
    let x = 12345;
    const bytes = new Uint8Array(4096).map(() => ((x = (x * 1103515245 + 12345) >>> 0) >>> 16) & 0xff);
    return new TextDecoder().decode(bytes);
  })();
  const bodies: [string, string][] = [
    ["empty", ""],
    ["white space", " \n\t "],
    ["plain text", "Service Unavailable. Please try again later."],
    ["JSON object", '{"error": "blocked"}'],
    ["JSON list of something else", '[{"x": 1}]'],
    ["broken JSON", '[{"c": "00001", "n": '],
    ["binary garbage", binary],
    ["HTML without the search form", "<html><body><h1>403 Forbidden</h1></body></html>"],
  ];

  for (const [what, body] of bodies) {
    it(`${what} → no-result with a reason`, () => {
      for (const outcome of [parsePage(body), parseHoldingsPage(body), parseSouthboundPage(body)]) {
        expectError(outcome, "no-result", /\w/);
      }
    });
  }
});

describe("JSON lists", () => {
  it("stock and participant lists are told apart by their codes", () => {
    expect(parsePage('[{"c": "00700", "n": " SAMPLE  TECH "}]')).toEqual({ kind: "stocklist", stocks: [{ code: "00700", name: "SAMPLE TECH" }] });
    expect(parsePage('[{"c": "B01234", "n": "BROKER"}]')).toEqual({ kind: "partlist", participants: [{ id: "B01234", name: "BROKER" }] });
  });

  it("an empty list needs a hint", () => {
    expectError(parsePage("[]"), "no-result", /hint/);
    expect(parsePage("[]", "stocklist")).toEqual({ kind: "stocklist", stocks: [] });
    expect(parsePage("[]", "partlist")).toEqual({ kind: "partlist", participants: [] });
  });

  it("a bad code anywhere rejects the whole list", () => {
    expectError(parseStockList('[{"c": "00001", "n": "A"}, {"c": "../etc", "n": "B"}]'), "no-result", /item 2 has code "..\/etc"/);
    expectError(parsePartList('[{"c": "B01234", "n": "A"}, {"c": "00001", "n": "B"}]'), "no-result", /item 2 has code "00001"/);
    expectError(parseStockList('[{"c": "00001"}]'), "no-result", /no name/);
  });
});

describe("southbound table", () => {
  const row = (code: string, name: string, shares: string, pct: string): string =>
    `<tr>
      <td class="col-stock-code"><div class="mobile-list-heading">Stock code:</div><div class="mobile-list-body">${code}</div></td>
      <td class="col-stock-name"><div class="mobile-list-heading">Name:</div><div class="mobile-list-body">${name}</div></td>
      <td class="col-shareholding text-right"><div class="mobile-list-heading">Shareholding in CCASS:</div><div class="mobile-list-body">${shares}</div></td>
      <td class="col-shareholding-percent text-right"><div class="mobile-list-heading">%:</div><div class="mobile-list-body">${pct}</div></td>
    </tr>`;
  const page = (rows: string, date = "2026/11/20"): string =>
    `<!DOCTYPE html><html><body><form id="form1"><input type="hidden" name="alertMsg" id="alertMsg" value="" />
    <input name="txtShareholdingDate" type="text" value="${date}" id="txtShareholdingDate" />
    <div id="mutualmarket-result"><table class="table"><thead><tr><th class="col-stock-code">Stock code</th></tr></thead>
    <tbody>${rows}</tbody></table></div></form></body></html>`;
  const html = page(row("00700", "SAMPLE&nbsp;TECH &amp; CO", "1,234,567", "12.34%") + row("00005", "SAMPLE BANK", "", ""));

  it("parses rows, with an empty percentage as null and an empty count as zero", () => {
    const expected = {
      kind: "southbound",
      date: "2026-11-20",
      holdings: [
        { stockCode: "00700", stockName: "SAMPLE TECH & CO", shares: 1234567, reportedPercent: 12.34 },
        { stockCode: "00005", stockName: "SAMPLE BANK", shares: 0, reportedPercent: null },
      ],
    };
    expect(parseSouthboundPage(html)).toEqual(expected);
    expect(parsePage(html)).toEqual(expected);
  });

  it("rejects cut pages, bad codes and bad dates", () => {
    expectError(parseSouthboundPage(html.slice(0, html.indexOf("</tbody>"))), "incomplete", /ended early/);
    expectError(parseSouthboundPage(page(row("7OO", "X", "1", "1%"))), "incomplete", /stock code "7OO"/);
    expectError(parseSouthboundPage(page(row("00700", "X", "1", "1%"), "20/11/2026")), "incomplete", /shareholding date/);
    expectError(parseSouthboundPage(page(row("00700", "X", "1", "lots"))), "incomplete", /percentage "lots"/);
  });

  it("a missing shareholding or name cell is drift in every row, a broken row in one; never a silent zero", () => {
    const noShares = (r: string) => r.replace(/<td class="col-shareholding text-right">.*?<\/td>/s, "");
    const noName = (r: string) => r.replace(/<td class="col-stock-name">.*?<\/td>/s, "");
    const a = row("00700", "A", "1,000", "1%");
    const b = row("00005", "B", "2,000", "2%");
    expectError(parseSouthboundPage(page(noShares(a) + noShares(b))), "no-result", /markup drift: no southbound row has a shareholding cell/);
    expectError(parseSouthboundPage(page(noName(a) + noName(b))), "no-result", /markup drift: no southbound row has a stock name cell/);
    expectError(parseSouthboundPage(page(a + noShares(b))), "incomplete", /southbound row 2 lacks/);
  });

  it("the bare form (no result table) is no-result", () => {
    expectError(parseSouthboundPage(readFixture("search-initial.html")), "no-result", /mutualmarket-result/);
  });
});
