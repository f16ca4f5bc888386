// The replica over HTTP, read back with the project's own parser: pages round-trip exactly to the
// market's records (hostile names included), the form/token dance, alerts, the 12-month window,
// weekends, the JSON lists, the southbound page and the ground-truth endpoints.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { extractFormFields, parseHoldingsPage, parsePartList, parseSouthboundPage, parseStockList } from "../src/hkex/parse.ts";
import type { HoldingsPage, PageError } from "../src/hkex/types.ts";
import { createMarket, type ReplicaMarket } from "../src/replica/market.ts";
import { renderHoldingsResult, renderSearchPage, type FormState } from "../src/replica/render.ts";
import { startReplica, type RunningReplica } from "../src/replica/server.ts";

const OPTS = { seed: 11, stocks: 30, days: 250, end: "2026-11-20" } as const;

/** GET the form, then POST a search with every field of the form copied back. */
async function search(base: string, date: string, code: string, page = "searchsdw.aspx"): Promise<string> {
  const form = await (await fetch(`${base}/sdw/search/${page}`)).text();
  return post(base, page, extractFormFields(form), date, code);
}

async function post(base: string, page: string, fields: Record<string, string>, date: string, code: string): Promise<string> {
  const body = new URLSearchParams({ ...fields, __EVENTTARGET: "btnSearch", __EVENTARGUMENT: "", txtShareholdingDate: date, txtStockCode: code });
  const res = await fetch(`${base}/sdw/search/${page}`, { method: "POST", body, headers: { "content-type": "application/x-www-form-urlencoded" } });
  expect(res.status).toBe(200);
  return res.text();
}

function form(m: ReplicaMarket): FormState {
  return { lang: "en", action: "searchsdw.aspx", tokens: { viewState: "v", eventValidation: "e" }, today: m.window.today, shareholdingDate: m.dates.at(-1)! };
}

describe("replica rendering round-trips through the parser", () => {
  it("parses every page of a small market back to exactly the market's HoldingsPage", () => {
    const m = createMarket({ seed: 5, stocks: 25, days: 12, end: "2026-11-20" });
    const wrong: string[] = [];
    let pages = 0;
    for (const d of m.dates) {
      for (const s of m.stocks) {
        const page = m.holdings(d, s.code) as HoldingsPage;
        const parsed = parseHoldingsPage(renderSearchPage({ ...form(m), shareholdingDate: d, stockCode: s.code, stockName: s.name }, page));
        pages++;
        if (JSON.stringify(parsed) !== JSON.stringify(page)) wrong.push(`${d} ${s.code}`);
      }
    }
    expect(pages).toBe(300);
    expect(wrong).toEqual([]);
  });

  it("carries hostile names entity-escaped, so the parser recovers them verbatim", () => {
    const m = createMarket({ seed: 5, stocks: 60, days: 3, end: "2026-11-20", hostileNames: true });
    const hostileStocks = m.stocks.filter((s) => /[<>"'&]|^[=+\-@]/.test(s.name));
    const hostileParticipants = m.participants.all.filter((p) => /[<>]/.test(p.name) || /^[=+\-@]/.test(p.name) || /[<>]/.test(p.address ?? ""));
    expect(hostileStocks.length).toBeGreaterThan(0);
    expect(hostileParticipants.length).toBeGreaterThan(10);
    const payloads = [...hostileStocks.map((s) => s.name), ...hostileParticipants.map((p) => p.name)].join("\n");
    for (const p of ["<img src=x onerror=alert(1)>", "</script><script>", "=HYPERLINK(", "+cmd|", "@SUM("]) expect(payloads).toContain(p);

    const d = m.dates.at(-1)!;
    let sawHostileRow = false;
    const wrong: string[] = [];
    for (const s of m.stocks) {
      const page = m.holdings(d, s.code) as HoldingsPage;
      const html = renderSearchPage({ ...form(m), shareholdingDate: d, stockCode: s.code, stockName: s.name }, page);
      // No payload survives as markup: the only tags are the page's own.
      expect(html).not.toMatch(/<img|<svg|<script>alert|<b>BOLD/);
      if (page.participants.some((r) => /[<>]/.test(r.name))) sawHostileRow = true;
      if (JSON.stringify(parseHoldingsPage(html)) !== JSON.stringify(page)) wrong.push(s.code);
    }
    expect(sawHostileRow).toBe(true);
    expect(wrong).toEqual([]);
    const escaped = renderHoldingsResult(
      { ...(m.holdings(d, m.stocks[0]!.code) as HoldingsPage), participants: [{ id: "B01000", name: "<img src=x onerror=alert(1)>", address: "=1+2", shares: 1 }] },
      "en",
    );
    expect(escaped).toContain("&lt;img src=x onerror=alert(1)&gt;");
  });
});

describe("replica over HTTP", () => {
  let replica: RunningReplica;
  let base: string;
  let m: ReplicaMarket;

  beforeAll(async () => {
    replica = await startReplica({ ...OPTS, port: 0 });
    base = replica.url;
    m = replica.market as ReplicaMarket;
  });
  afterAll(() => replica.close());

  it("serves the search form with tokens, today and the last settlement day", async () => {
    const res = await fetch(`${base}/sdw/search/searchsdw.aspx`);
    expect(res.status).toBe(200);
    const html = await res.text();
    const fields = extractFormFields(html);
    expect(fields.__VIEWSTATE).toMatch(/^\/wEPDwUKMTY0NjY0/);
    expect(fields.__EVENTVALIDATION).toBeTruthy();
    expect(fields.today).toBe("20261123");
    expect(fields.txtShareholdingDate).toBe("2026/11/20");
    expect(parseHoldingsPage(html)).toMatchObject({ error: "no-result" });
    expect(html).toContain("Synthetic data");
  });

  it("answers a POST with the result page that parses to the market's page", async () => {
    for (const s of m.stocks.slice(0, 6)) {
      const html = await search(base, "2026/11/18", s.code);
      expect(parseHoldingsPage(html)).toEqual(m.holdings("2026-11-18", s.code));
    }
  });

  it("serves the Chinese page with Chinese labels and name, same figures", async () => {
    const code = m.stocks[2]!.code;
    const html = await search(base, "2026/11/18", code, "searchsdw_c.aspx");
    expect(html).toContain("市場中介者");
    const parsed = parseHoldingsPage(html) as HoldingsPage;
    const page = m.holdings("2026-11-18", code) as HoldingsPage;
    expect(parsed.stockName).toBe(m.stockDetails(code)!.nameZh);
    expect({ ...parsed, stockName: page.stockName }).toEqual(page);
  });

  it("repeats the previous settlement day for a weekend date", async () => {
    const code = m.stocks[1]!.code;
    const parsed = parseHoldingsPage(await search(base, "2026/11/22", code)) as HoldingsPage;
    expect(parsed.date).toBe("2026-11-22");
    expect({ ...parsed, date: "2026-11-20" }).toEqual(m.holdings("2026-11-20", code));
  });

  it("alerts on dates outside the past 12 months and on unknown codes", async () => {
    const code = m.stocks[0]!.code;
    const dateAlert = { error: "alert", message: "The shareholding date must be within the past 12 months." };
    // The window: the 250 served settlement days (HKEX's 12 months), up to the day before "today".
    expect(m.dates[0]).toBe("2025-11-17");
    expect(parseHoldingsPage(await search(base, "2025/11/16", code))).toEqual(dateAlert);
    expect(parseHoldingsPage(await search(base, "2024/11/20", code))).toEqual(dateAlert);
    expect(parseHoldingsPage(await search(base, "2026/11/23", code))).toEqual(dateAlert);
    expect(parseHoldingsPage(await search(base, "not a date", code))).toEqual(dateAlert);
    expect(parseHoldingsPage(await search(base, "2025/11/17", code))).toEqual(m.holdings("2025-11-17", code));
    const codeAlert = { error: "alert", message: "The stock code entered is not valid." };
    const unknown = ["99999", "00000", "12345"].find((c) => m.holdings("2026-11-20", c) === null);
    expect(parseHoldingsPage(await search(base, "2026/11/20", unknown!))).toEqual(codeAlert);
    expect(parseHoldingsPage(await search(base, "2026/11/20", "7"))).toEqual(codeAlert);
  });

  it("echoes what was searched escaped, never as markup", async () => {
    const html = await search(base, "2026/11/20", '"><script>x</script>');
    expect(html).not.toContain("<script>x</script>");
    expect(html).toContain("&quot;&gt;&lt;script&gt;");
  });

  it("serves the stock and participant lists as JSON that parses to the market's lists", async () => {
    const sl = await (await fetch(`${base}/sdw/search/stocklist.aspx?sortby=stockcode&shareholdingdate=20261120`)).text();
    expect(parseStockList(sl)).toEqual(m.stockList("2026-11-20"));
    const pl = await (await fetch(`${base}/sdw/search/partlist.aspx?sortby=partid&shareholdingdate=20261120`)).text();
    expect(parsePartList(pl)).toEqual(m.participantList("2026-11-20"));
    const old = await (await fetch(`${base}/sdw/search/stocklist.aspx?sortby=stockcode&shareholdingdate=20241120`)).json();
    expect(old).toEqual([]);
  });

  it("serves the southbound page (GET: latest date, POST: the date asked) matching the market", async () => {
    const getHtml = await (await fetch(`${base}/sdw/search/mutualmarket.aspx?t=hk`)).text();
    expect(parseSouthboundPage(getHtml)).toEqual(m.southbound("2026-11-20"));
    const fields = extractFormFields(getHtml);
    const body = new URLSearchParams({ ...fields, __EVENTTARGET: "btnSearch", txtShareholdingDate: "2026/10/15" });
    const postHtml = await (await fetch(`${base}/sdw/search/mutualmarket.aspx?t=hk`, { method: "POST", body })).text();
    const sb = parseSouthboundPage(postHtml);
    expect(sb).toEqual(m.southbound("2026-10-15"));
    expect((sb as { holdings: unknown[] }).holdings.length).toBeGreaterThan(0);
  });

  it("publishes the ground truth as JSON", async () => {
    const transfers = await (await fetch(`${base}/__truth/transfers.json`)).json();
    expect(transfers).toEqual(m.truthTransfers());
    expect(transfers.length).toBeGreaterThan(0);
    for (const k of ["date", "stock_code", "seller_id", "buyer_id", "shares", "pct_of_issued"]) expect(transfers[0]).toHaveProperty(k);
    const actions = await (await fetch(`${base}/__truth/corporate-actions.json`)).json();
    expect(actions).toEqual(m.truthCorporateActions());
    expect((await fetch(`${base}/nothing-here`)).status).toBe(404);
  });

  it("gives identical result pages from two replicas with the same options (tokens aside)", async () => {
    const other = await startReplica({ ...OPTS, port: 0 });
    try {
      const strip = (h: string): string => h.replace(/value="\/wE[^"]*"/g, 'value="TOKEN"');
      const code = m.stocks[4]!.code;
      const a = strip(await search(base, "2026/09/01", code));
      const b = strip(await search(other.url, "2026/09/01", code));
      expect(a).toBe(b);
      expect(a).toContain("pnlResultNormal");
    } finally {
      await other.close();
    }
  });

  it("keeps pages whole and parseable for every kind of security", async () => {
    const seen = new Set<string>();
    for (const s of m.stocks) {
      if (seen.has(s.kind)) continue;
      seen.add(s.kind);
      const parsed: HoldingsPage | PageError = parseHoldingsPage(await search(base, "2026/11/20", s.code));
      expect(parsed).toEqual(m.holdings("2026-11-20", s.code));
    }
    expect(seen.size).toBe(6);
  });
});
