// The replica's synthetic market, in process: determinism, page invariants, the calendar and window,
// code allocation, the ground truth against the pages themselves, and Stock Connect consistency.
import { describe, expect, it } from "vitest";
import type { HoldingsPage } from "../src/hkex/types.ts";
import { participantKeys } from "../src/ingest/participant-key.ts";
import { addDays, isHolidayHK, isSettlementDay } from "../src/lib/calendar.ts";
import { LONG_MARKET_DAYS } from "../src/replica/lifecycle.ts";
import { createMarket, MarketDateError, MarketOptionsError, type ReplicaMarket } from "../src/replica/market.ts";
import { CODE_RANGES, REIT_CODES } from "../src/replica/universe.ts";

const OPTS = { seed: 7, stocks: 40, days: 45, end: "2026-11-20" } as const;
const market = createMarket(OPTS);

function allPages(m: ReplicaMarket): HoldingsPage[] {
  const out: HoldingsPage[] = [];
  for (const d of m.dates) for (const s of m.stocks) out.push(m.holdings(d, s.code) as HoldingsPage);
  return out;
}

/** Holdings of one participant ID on a page (0 when not listed). */
function held(page: HoldingsPage, id: string): number {
  return page.participants.find((p) => p.id === id)?.shares ?? 0;
}

function prevDay(m: ReplicaMarket, date: string): string {
  return m.dates[m.dates.indexOf(date) - 1] as string;
}

describe("replica market: shape and determinism", () => {
  it("serves exactly `days` settlement days, ascending, the last on or before `end`", () => {
    expect(market.dates).toHaveLength(OPTS.days);
    expect(market.dates.at(-1)).toBe("2026-11-20");
    for (let i = 1; i < market.dates.length; i++) expect(market.dates[i]! > market.dates[i - 1]!).toBe(true);
    expect(market.dates.every(isSettlementDay)).toBe(true);
    const onSunday = createMarket({ ...OPTS, end: "2026-11-22" });
    expect(onSunday.dates.at(-1)).toBe("2026-11-20");
  });

  it("gives identical pages and truth for identical options, and different ones for another seed", () => {
    const again = createMarket({ ...OPTS });
    const d = market.dates[20] as string;
    for (const s of market.stocks) expect(again.holdings(d, s.code)).toEqual(market.holdings(d, s.code));
    expect(again.truthTransfers()).toEqual(market.truthTransfers());
    expect(again.truthCorporateActions()).toEqual(market.truthCorporateActions());
    expect(again.southbound(d)).toEqual(market.southbound(d));
    expect(again.participantList(d)).toEqual(market.participantList(d));
    const other = createMarket({ ...OPTS, seed: 8 });
    expect(other.stocks.map((s) => s.name)).not.toEqual(market.stocks.map((s) => s.name));
  });

  it("answers the same whatever order pages are asked in (lazy simulation, LRU cache)", () => {
    // A one-byte cache: every page re-simulates its stock from scratch.
    const fresh = createMarket({ ...OPTS }, { cacheBytes: 1 });
    const last = market.dates.at(-1) as string;
    const code = market.stocks[5]!.code;
    // Fresh market: ask a late date first, then the truth, then an early date.
    const late = fresh.holdings(last, code);
    fresh.truthTransfers();
    expect(fresh.holdings(market.dates[0]!, code)).toEqual(market.holdings(market.dates[0]!, code));
    expect(late).toEqual(market.holdings(last, code));
  });

  it("rejects bad options with a typed error", () => {
    expect(() => createMarket({ ...OPTS, days: 0 })).toThrow(MarketOptionsError);
    expect(() => createMarket({ ...OPTS, end: "2026-02-30" })).toThrow(MarketOptionsError);
    expect(() => createMarket({ ...OPTS, seed: 1.5 })).toThrow(MarketOptionsError);
  });

  it("allocates codes in HKEX's ranges per kind, with every kind present", () => {
    const inRanges = (code: string, ranges: readonly (readonly [number, number])[]): boolean =>
      ranges.some(([lo, hi]) => Number(code) >= lo && Number(code) <= hi);
    const kinds = new Set(market.stocks.map((s) => s.kind));
    expect([...kinds].sort()).toEqual(["cbbc", "debt", "equity", "etf", "reit", "warrant"]);
    for (const s of market.stocks) {
      expect(s.code).toMatch(/^\d{5}$/);
      if (s.kind === "reit") expect(REIT_CODES).toContain(s.code);
      else if (s.kind === "equity") expect(inRanges(s.code, [...CODE_RANGES.equity, ...CODE_RANGES.gem])).toBe(true);
      else expect(inRanges(s.code, CODE_RANGES[s.kind])).toBe(true);
      if (s.southbound) expect(s.kind).toBe("equity");
    }
    expect(new Set(market.stocks.map((s) => s.code)).size).toBe(market.stocks.length);
  });

  it("has about a thousand participants with IDs (A, B, C) and investors without, some sharing a name", () => {
    const list = market.participantList(market.dates[0]!).participants;
    expect(list.length).toBeGreaterThanOrEqual(900);
    expect(list.length).toBeLessThanOrEqual(1100);
    for (const p of list) expect(p.id).toMatch(/^[ABC]\d{5}$/);
    expect(list.map((p) => p.id)).toEqual([...list.map((p) => p.id)].sort());
    for (const prefix of ["A", "B", "C"]) expect(list.some((p) => p.id.startsWith(prefix))).toBe(true);
    const investorNames = market.participants.all.filter((p) => p.id === null).map((p) => p.name);
    expect(new Set(investorNames).size).toBeLessThan(investorNames.length);
  });
});

describe("replica market: pages", () => {
  const pages = allPages(market);

  it("satisfies the three invariants exactly on every page, with the non-consenting category present", () => {
    // Collect every broken rule (one expect per row would take far longer than the checks).
    const broken: string[] = [];
    const rule = (ok: boolean, p: HoldingsPage, what: string): void => {
      if (!ok) broken.push(`${p.date} ${p.stockCode}: ${what}`);
    };
    for (const p of pages) {
      const s = p.summary;
      const listed = p.participants.length;
      const rowShares = p.participants.reduce((a, r) => a + r.shares, 0);
      rule(listed === s.intermediaries.participants + s.consenting.participants, p, "listed rows");
      rule(rowShares === s.intermediaries.shares + s.consenting.shares, p, "row shares");
      rule(s.total.shares === s.intermediaries.shares + s.consenting.shares + s.nonConsenting.shares, p, "total shares");
      rule(s.total.participants === s.intermediaries.participants + s.consenting.participants + s.nonConsenting.participants, p, "total participants");
      rule(p.participants.filter((r) => r.id === null).length === s.consenting.participants, p, "consenting rows");
      rule(s.total.shares <= p.issuedShares && Number.isSafeInteger(p.issuedShares), p, "issued");
      p.participants.forEach((r, i) => {
        rule(Number.isSafeInteger(r.shares) && r.shares > 0, p, `row ${i} shares`);
        rule(r.id === null || /^[ABC]\d{5}$/.test(r.id), p, `row ${i} id`);
        // HKEX lists by shareholding, largest first.
        rule(i === 0 || p.participants[i - 1]!.shares >= r.shares, p, `row ${i} order`);
      });
    }
    expect(broken).toEqual([]);
    expect(pages.some((p) => p.summary.consenting.participants > 0)).toBe(true);
    // Namesakes: two consenting investors (no ID) with the very same name on one page.
    const namesakePage = pages.find((p) => {
      const names = p.participants.filter((r) => r.id === null).map((r) => r.name);
      return new Set(names).size < names.length;
    });
    expect(namesakePage).toBeDefined();
    expect(pages.filter((p) => p.summary.nonConsenting.participants > 0).length).toBeGreaterThan(pages.length * 0.9);
  });

  it("has power-law holdings: the top holder far above the median", () => {
    const big = pages.filter((p) => p.participants.length >= 30);
    expect(big.length).toBeGreaterThan(0);
    for (const p of big) {
      const median = p.participants[Math.floor(p.participants.length / 2)]!.shares;
      expect(p.participants[0]!.shares).toBeGreaterThan(median * 10);
    }
  });

  it("answers null for an unknown code and a typed error for a date outside the window", () => {
    expect(market.holdings(market.dates[0]!, "99999")).toBeNull();
    expect(() => market.holdings(addDays(market.dates[0]!, -1), market.stocks[0]!.code)).toThrow(MarketDateError);
    expect(() => market.holdings(market.window.today, market.stocks[0]!.code)).toThrow(MarketDateError);
  });

  it("repeats the previous settlement day on weekends and Hong Kong holidays", () => {
    const code = market.stocks[3]!.code;
    const friday = "2026-11-20";
    for (const weekend of ["2026-11-21", "2026-11-22"]) {
      expect(market.holdings(weekend, code)).toEqual({ ...market.holdings(friday, code), date: weekend });
    }
    // A weekday public holiday inside the window (from the shared calendar, not a hand-kept list).
    let holiday = "";
    for (let d = market.dates[1]!; d < market.dates.at(-1)!; d = addDays(d, 1)) {
      const dow = new Date(`${d}T00:00:00Z`).getUTCDay();
      if (dow !== 0 && dow !== 6 && isHolidayHK(d)) holiday = d;
    }
    expect(holiday).not.toBe("");
    let before = addDays(holiday, -1);
    while (!isSettlementDay(before)) before = addDays(before, -1);
    expect(market.dates).not.toContain(holiday);
    expect(market.holdings(holiday, code)).toEqual({ ...market.holdings(before, code), date: holiday });
  });

  it("has the clearing agencies' holdings of Stock Connect stocks equal the southbound page", () => {
    const eligible = market.stocks.filter((s) => s.southbound);
    expect(eligible.length).toBeGreaterThan(0);
    const ordinary = market.stocks.filter((s) => s.kind === "equity");
    expect(eligible.length / ordinary.length).toBeLessThan(0.4);
    for (const d of [market.dates[0]!, market.dates[30]!, "2026-11-22"]) {
      const sb = market.southbound(d);
      expect(sb.date).toBe(d);
      expect(sb.holdings.map((h) => h.stockCode)).toEqual(eligible.map((s) => s.code));
      for (const h of sb.holdings) {
        const page = market.holdings(d, h.stockCode) as HoldingsPage;
        expect(h.shares).toBe(held(page, "A00003") + held(page, "A00004"));
        expect(h.stockName).toBe(page.stockName);
        expect(h.reportedPercent).toBeCloseTo((h.shares / page.issuedShares) * 100, 2);
      }
    }
    // Stocks outside Stock Connect have no southbound clearing holdings.
    for (const s of market.stocks.filter((x) => !x.southbound)) {
      const page = market.holdings(market.dates[10]!, s.code) as HoldingsPage;
      expect(held(page, "A00003") + held(page, "A00004")).toBe(0);
    }
  });
});

describe("replica market: ground truth", () => {
  const transfers = market.truthTransfers();
  const actions = market.truthCorporateActions();

  it("plants transfers at roughly one per stock per 20–40 trading days, some grouped", () => {
    const events = new Set(transfers.map((t) => `${t.stock_code} ${t.date}`)).size;
    const perStockDays = (market.stocks.length * (market.dates.length - 1)) / events;
    expect(perStockDays).toBeGreaterThan(15);
    expect(perStockDays).toBeLessThan(50);
    const groups = new Map<string, typeof transfers>();
    for (const t of transfers) if (t.group) groups.set(t.group, [...(groups.get(t.group) ?? []), t]);
    expect(groups.size).toBeGreaterThan(0);
    for (const g of groups.values()) {
      expect(g.length).toBeGreaterThanOrEqual(2);
      expect(g.length).toBeLessThanOrEqual(3);
      expect(new Set(g.map((t) => t.seller_id)).size).toBe(1);
      expect(new Set(g.map((t) => `${t.date} ${t.stock_code}`)).size).toBe(1);
      expect(new Set(g.map((t) => t.buyer_id)).size).toBe(g.length);
    }
  });

  it("moves the planted shares: seller down and each buyer up by at least the shares that day", () => {
    expect(transfers.length).toBeGreaterThan(10);
    for (const t of transfers) {
      expect(t.date).not.toBe(market.dates[0]);
      const before = market.holdings(prevDay(market, t.date), t.stock_code) as HoldingsPage;
      const after = market.holdings(t.date, t.stock_code) as HoldingsPage;
      expect(t.seller_id).not.toBe(t.buyer_id);
      expect(held(before, t.seller_id) - held(after, t.seller_id)).toBeGreaterThanOrEqual(t.shares);
      expect(held(after, t.buyer_id) - held(before, t.buyer_id)).toBeGreaterThanOrEqual(t.shares);
      expect(t.pct_of_issued).toBeCloseTo((t.shares / after.issuedShares) * 100, 10);
      expect(t.pct_of_issued).toBeGreaterThanOrEqual(0.05);
      expect(t.pct_of_issued).toBeLessThanOrEqual(5);
      expect(t.seller_id).toMatch(/^[BC]\d{5}$/);
      expect(t.buyer_id).toMatch(/^[BC]\d{5}$/);
    }
  });

  it("plants more small transfers than large ones: from 0.05 % of issued up, fewer in each larger band", () => {
    const count = (lo: number, hi: number) => transfers.filter((t) => t.pct_of_issued >= lo && t.pct_of_issued < hi).length;
    const bands = [count(0.05, 0.1), count(0.1, 0.3), count(0.3, 1), count(1, Infinity)];
    // the power law x^-1.5 puts about 32 %, 33 %, 21 %, 14 % of the pieces in these bands
    expect(bands[0]! + bands[1]!).toBeGreaterThan(bands[2]! + bands[3]!);
    expect(bands[2]!).toBeGreaterThan(bands[3]!);
    expect(bands[3]!).toBeGreaterThan(0);
  });

  it("keeps daily noise small: outside planted transfers and corporate actions no holding moves 0.3% of issued", () => {
    const parties = new Set(transfers.flatMap((t) => [`${t.date} ${t.stock_code} ${t.seller_id}`, `${t.date} ${t.stock_code} ${t.buyer_id}`]));
    const actionDays = new Set(actions.map((a) => `${a.date} ${a.stock_code}`));
    let checked = 0;
    const moved: string[] = [];
    for (const s of market.stocks) {
      for (let i = 1; i < market.dates.length; i++) {
        const d = market.dates[i]!;
        if (actionDays.has(`${d} ${s.code}`)) continue;
        const a = market.holdings(market.dates[i - 1]!, s.code) as HoldingsPage;
        const b = market.holdings(d, s.code) as HoldingsPage;
        const ids = new Set([...a.participants, ...b.participants].flatMap((p) => (p.id ? [p.id] : [])));
        for (const id of ids) {
          if (parties.has(`${d} ${s.code} ${id}`)) continue;
          checked++;
          if (Math.abs(held(b, id) - held(a, id)) / b.issuedShares >= 0.003) moved.push(`${d} ${s.code} ${id}`);
        }
      }
    }
    expect(moved).toEqual([]);
    expect(checked).toBeGreaterThan(1000);
  });

  it("records corporate actions that change issued shares (and holdings) by the recorded ratio", () => {
    const big = createMarket({ seed: 3, stocks: 150, days: 30, end: "2026-11-20" });
    const acts = big.truthCorporateActions();
    expect(new Set(acts.map((a) => a.kind)).size).toBeGreaterThanOrEqual(2);
    const planted = new Set(big.truthTransfers().map((t) => `${t.date} ${t.stock_code}`));
    for (const a of acts) {
      expect(planted.has(`${a.date} ${a.stock_code}`)).toBe(false);
      const before = big.holdings(prevDay(big, a.date), a.stock_code) as HoldingsPage;
      const after = big.holdings(a.date, a.stock_code) as HoldingsPage;
      expect(before.issuedShares).toBe(a.issued_before);
      expect(after.issuedShares).toBe(a.issued_after);
      if (a.kind === "placing") {
        expect(a.issued_after).toBe(a.issued_before + (a.shares as number));
        expect(held(after, a.participant_id as string) - held(before, a.participant_id as string)).toBeGreaterThanOrEqual(a.shares as number);
      } else {
        const ratio = a.ratio as number;
        expect(a.kind === "split" ? ratio > 1 : ratio < 1).toBe(true);
        expect(a.issued_after).toBeCloseTo(a.issued_before * ratio, 6);
        // The largest holder is far above noise, so its holding follows the ratio to within noise.
        const top = before.participants[0]!;
        if (top.id) expect(Math.abs(held(after, top.id) - top.shares * ratio) / after.issuedShares).toBeLessThan(0.003);
      }
    }
  });
});

describe("replica market: the noisy market (--noise)", () => {
  it("a long noisy market (more than LONG_MARKET_DAYS days) records each transfer once, however often its walk is replayed", () => {
    // A long market walks each stock day by day and replays the walk from the listing day when a page
    // behind the cursor is asked for; the replay must not record the noisy transfers a second time.
    const opts = { seed: 2, stocks: 8, days: LONG_MARKET_DAYS + 30, end: "2026-11-20", noise: true } as const;
    const once = createMarket(opts).truthTransfers();
    expect(once.length).toBeGreaterThan(0);
    const m = createMarket(opts);
    const last = m.dates.at(-1)!;
    for (const s of m.stocks) {
      m.holdings(last, s.code); // walked to its last listed day (null when delisted before: walked to it all the same)
      m.holdings(m.dates[0]!, s.code); // behind the cursor: replayed from the listing day
      m.holdings(last, s.code);
    }
    const replayed = m.truthTransfers();
    expect(replayed.length).toBe(once.length);
    expect(replayed).toEqual(once);
  });

  const noisy = createMarket({ seed: 2, stocks: 80, days: 60, end: "2026-11-20", noise: true });
  const transfers = noisy.truthTransfers();
  /** The page's holdings by dataset key (CCASS ID, or an investor's `ip:` key). */
  const byKey = (page: HoldingsPage | null) => {
    const rows = page?.participants ?? [];
    const keys = participantKeys(rows);
    return new Map(rows.map((r, i) => [keys[i]!, r.shares]));
  };

  it("plants every noisy kind of transfer day: busy days, both-way splits, sell-outs, newcomers, investors", () => {
    const perDay = new Map<string, typeof transfers>();
    for (const t of transfers) perDay.set(`${t.date}|${t.stock_code}`, [...(perDay.get(`${t.date}|${t.stock_code}`) ?? []), t]);
    const days = [...perDay.values()];
    const busy = days.filter((d) => d.length >= 2 && d.every((t) => !t.group) && new Set(d.map((t) => t.seller_id)).size === d.length);
    expect(busy.length).toBeGreaterThan(5);
    const groups = days.filter((d) => d.some((t) => t.group));
    expect(groups.some((d) => new Set(d.map((t) => t.seller_id)).size === 1 && d.length > 1)).toBe(true); // one-to-many
    expect(groups.some((d) => new Set(d.map((t) => t.buyer_id)).size === 1 && d.length > 1)).toBe(true); // many-to-one
    let sellOuts = 0;
    let newcomers = 0;
    for (const t of transfers) {
      const before = byKey(noisy.holdings(prevDay(noisy, t.date), t.stock_code));
      const after = byKey(noisy.holdings(t.date, t.stock_code));
      if (before.has(t.seller_id) && !after.has(t.seller_id)) sellOuts++;
      if (!before.has(t.buyer_id) && after.has(t.buyer_id)) newcomers++;
    }
    expect(sellOuts).toBeGreaterThan(3);
    expect(newcomers).toBeGreaterThan(3);
    expect(transfers.some((t) => t.seller_id.startsWith("ip:") || t.buyer_id.startsWith("ip:"))).toBe(true);
  });

  it("the truth covers every planted transfer: each party moves by its legs within its own trading (buyers ±3 %, sellers ±0.5 %)", () => {
    const moved = new Map<string, { planted: number; gross: number }>();
    for (const t of transfers) {
      for (const [key, sign] of [[t.seller_id, -1], [t.buyer_id, 1]] as const) {
        const k = `${t.date}|${t.stock_code}|${key}`;
        const m = moved.get(k) ?? { planted: 0, gross: 0 };
        m.planted += sign * t.shares;
        m.gross += t.shares;
        moved.set(k, m);
      }
    }
    for (const [k, m] of moved) {
      const [date, code, key] = k.split("|") as [string, string, string];
      const change = (byKey(noisy.holdings(date, code)).get(key) ?? 0) - (byKey(noisy.holdings(prevDay(noisy, date), code)).get(key) ?? 0);
      expect(Math.abs(change - m.planted), k).toBeLessThanOrEqual(0.03 * m.gross + 1);
    }
  });
});
