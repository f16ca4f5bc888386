// Ten years of synthetic market (a long market, more than LONG_MARKET_DAYS settlement days): stocks
// list and delist, brokers and custodians join CCASS and leave it, participants are renamed, and
// corporate actions happen across the years, all consistent between the pages and the truth. The
// market is walked day by day, as the dataset writer reads it.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HoldingsPage } from "../src/hkex/types.ts";
import { LONG_MARKET_DAYS, MAX_MARKET_DAYS } from "../src/replica/lifecycle.ts";
import { createMarket, MarketOptionsError, type LifecycleTruth, type ReplicaMarket } from "../src/replica/market.ts";
import { startReplica } from "../src/replica/server.ts";

const OPTS = { seed: 5, stocks: 60, days: MAX_MARKET_DAYS, end: "2026-11-20" } as const;

interface Seen {
  /** code → first and last date on the stock list */
  listed: Map<string, { first: string; last: string }>;
  /** participant ID → first and last date on the participant list */
  active: Map<string, { first: string; last: string }>;
  /** participant ID → every name shown on holdings pages, with the first date shown */
  pageNames: Map<string, Map<string, string>>;
  /** holdings of a participant not on that date's participant list */
  strays: string[];
  /** a listed stock without a page, or an unlisted one with a page */
  listMismatches: string[];
  /** pages whose summary does not add up */
  badPages: string[];
  issued: Map<string, Map<string, number>>;
}

function span(map: Map<string, { first: string; last: string }>, key: string, date: string): void {
  const s = map.get(key);
  if (s) s.last = date;
  else map.set(key, { first: date, last: date });
}

function walk(m: ReplicaMarket): Seen {
  const seen: Seen = { listed: new Map(), active: new Map(), pageNames: new Map(), strays: [], listMismatches: [], badPages: [], issued: new Map() };
  for (const date of m.dates) {
    const listed = new Set(m.stockList(date).stocks.map((s) => s.code));
    const active = new Set<string>();
    for (const p of m.participantList(date).participants) {
      active.add(p.id);
      span(seen.active, p.id, date);
    }
    for (const s of m.stocks) {
      const page = m.holdings(date, s.code);
      if ((page !== null) !== listed.has(s.code)) seen.listMismatches.push(`${date} ${s.code}`);
      if (!page) continue;
      span(seen.listed, s.code, date);
      let issued = seen.issued.get(s.code);
      if (!issued) seen.issued.set(s.code, (issued = new Map()));
      issued.set(date, page.issuedShares);
      checkPage(page, active, seen);
    }
  }
  return seen;
}

function checkPage(page: HoldingsPage, active: Set<string>, seen: Seen): void {
  let sum = page.summary.nonConsenting.shares;
  for (const p of page.participants) {
    sum += p.shares;
    if (p.id === null) continue;
    if (!active.has(p.id)) seen.strays.push(`${page.date} ${page.stockCode} ${p.id}`);
    let names = seen.pageNames.get(p.id);
    if (!names) seen.pageNames.set(p.id, (names = new Map()));
    if (!names.has(p.name)) names.set(p.name, page.date);
  }
  if (sum !== page.summary.total.shares || sum > page.issuedShares || !page.participants.every((p) => Number.isInteger(p.shares) && p.shares > 0)) {
    seen.badPages.push(`${page.date} ${page.stockCode}`);
  }
}

describe(`replica market over ten years (${OPTS.stocks} stocks × ${OPTS.days} settlement days)`, () => {
  const market = createMarket(OPTS);
  let seen: Seen;
  let life: LifecycleTruth;
  beforeAll(() => {
    seen = walk(market);
    life = market.truthLifecycle() as LifecycleTruth;
  });
  const first = market.dates[0] as string;
  const last = market.dates.at(-1) as string;
  const years = (dates: string[]) => new Set(dates.map((d) => d.slice(0, 4))).size;

  it("spans ten years of settlement days, and every page adds up", () => {
    expect(market.dates).toHaveLength(MAX_MARKET_DAYS);
    expect(Number(last.slice(0, 4)) - Number(first.slice(0, 4))).toBeGreaterThanOrEqual(10);
    expect(seen.badPages).toEqual([]);
    expect(seen.listMismatches).toEqual([]);
  });

  it("has new listings and delistings spread over the years, as the truth says", () => {
    const listings = [...seen.listed].filter(([, s]) => s.first > first);
    const delistings = [...seen.listed].filter(([, s]) => s.last < last);
    expect(listings.length).toBeGreaterThanOrEqual(5);
    expect(delistings.length).toBeGreaterThanOrEqual(3);
    expect(years(listings.map(([, s]) => s.first))).toBeGreaterThanOrEqual(4);
    expect(years(delistings.map(([, s]) => s.last))).toBeGreaterThanOrEqual(3);
    const fromPages = [...seen.listed]
      .filter(([, s]) => s.first > first || s.last < last)
      .map(([code, s]) => ({ stock_code: code, first_date: s.first, last_date: s.last }))
      .sort((a, b) => (a.stock_code < b.stock_code ? -1 : 1));
    expect(fromPages).toEqual(life.stocks);
  });

  it("has participants that appear and leave, holding nothing while out of CCASS", () => {
    const joined = [...seen.active].filter(([, s]) => s.first > first);
    const left = [...seen.active].filter(([, s]) => s.last < last);
    expect(joined.length).toBeGreaterThanOrEqual(20);
    expect(left.length).toBeGreaterThanOrEqual(20);
    // Some of those held shares in these 60 stocks while they were in CCASS.
    expect(joined.filter(([id]) => seen.pageNames.has(id)).length).toBeGreaterThan(0);
    expect(left.filter(([id]) => seen.pageNames.has(id)).length).toBeGreaterThan(0);
    expect(seen.strays).toEqual([]);
    const truth = new Map(life.participants.map((p) => [p.participant_id, p]));
    for (const [id, s] of [...joined, ...left]) expect(truth.get(id)).toEqual({ participant_id: id, first_date: s.first, last_date: s.last });
  });

  it("renames participants under the same ID, on the pages and the participant list, from the truth's date on", () => {
    const renamedOnPages = [...seen.pageNames].filter(([, names]) => names.size > 1);
    expect(renamedOnPages.length).toBeGreaterThanOrEqual(5);
    const byId = new Map(life.renames.map((r) => [r.participant_id, r]));
    for (const [id, names] of renamedOnPages) {
      const r = byId.get(id);
      expect(r, id).toBeDefined();
      expect([...names.keys()].sort()).toEqual([r!.old_name, r!.name].sort());
      expect(names.get(r!.name)! >= r!.date).toBe(true);
      expect(names.get(r!.old_name)! < r!.date).toBe(true);
    }
    const r = life.renames[0]!;
    const nameOnList = (date: string) => market.participantList(date).participants.find((p) => p.id === r.participant_id)?.name;
    expect(nameOnList(r.date)).toBe(r.name);
  });

  it("has corporate actions in many years, changing issued shares on their dates", () => {
    const actions = market.truthCorporateActions();
    expect(years(actions.map((a) => a.date))).toBeGreaterThanOrEqual(5);
    const perStock = new Map<string, number>();
    for (const a of actions) perStock.set(a.stock_code, (perStock.get(a.stock_code) ?? 0) + 1);
    expect(Math.max(...perStock.values())).toBeGreaterThanOrEqual(2);
    for (const a of actions) {
      const issued = seen.issued.get(a.stock_code)!;
      expect(issued.get(a.date)).toBe(a.issued_after);
      expect(issued.get(market.dates[market.dates.indexOf(a.date) - 1]!)).toBe(a.issued_before);
    }
  });

  it("answers an earlier date after a later one (a replay), recording no event twice", () => {
    const code = [...seen.listed].find(([, s]) => s.first === first)![0];
    const transfers = market.truthTransfers();
    const again = createMarket(OPTS);
    const early = market.dates[100]!;
    again.holdings(last, code);
    expect(again.holdings(early, code)).toEqual(market.holdings(early, code));
    expect(again.truthTransfers()).toEqual(transfers);
    expect(transfers.length).toBeGreaterThan(0);
  });
});

describe("market length", () => {
  it(`keeps a market of at most ${LONG_MARKET_DAYS} days free of lives: every stock listed and every participant active each day`, () => {
    const m = createMarket({ seed: 5, stocks: 30, days: LONG_MARKET_DAYS, end: "2026-11-20" });
    expect(m.truthLifecycle()).toBeNull();
    const full = m.stockList(m.dates[0]!).stocks.length;
    expect(full).toBe(30);
    expect(m.stockList(m.dates.at(-1)!).stocks).toHaveLength(full);
    expect(m.participantList(m.dates[0]!)).toEqual(m.participantList(m.dates.at(-1)!));
  });

  it(`refuses more than ${MAX_MARKET_DAYS} days with one typed error`, () => {
    expect(() => createMarket({ ...OPTS, days: MAX_MARKET_DAYS + 1 })).toThrow(MarketOptionsError);
    expect(() => createMarket({ ...OPTS, days: MAX_MARKET_DAYS + 1 })).toThrow(`days must be an integer from 1 to ${MAX_MARKET_DAYS}, got ${MAX_MARKET_DAYS + 1}`);
  });

  it("the replica serves a long market's pages by date and its lives at /__truth/lifecycle.json", async () => {
    const opts = { seed: 5, stocks: 8, days: 600, end: "2026-11-20" };
    const replica = await startReplica({ ...opts, port: 0, warmUp: false });
    try {
      const lives = await (await fetch(`${replica.url}/__truth/lifecycle.json`)).json();
      expect(lives).toEqual(createMarket(opts).truthLifecycle());
      expect((lives as LifecycleTruth).participants.length).toBeGreaterThan(0);
      const first = replica.market.dates[0]!.replaceAll("-", "");
      const list = (await (await fetch(`${replica.url}/sdw/search/stocklist.aspx?sortby=stockcode&shareholdingdate=${first}`)).json()) as unknown[];
      expect(list).toHaveLength(replica.market.stockList(replica.market.dates[0]!).stocks.length);
    } finally {
      await replica.close();
    }
  });

  describe("command lines", () => {
    const root = path.resolve(import.meta.dirname, "..");
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(path.join(tmpdir(), "long-market-"));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("synth-dataset and replica refuse --days beyond the maximum in one line, writing nothing", () => {
      const out = path.join(dir, "ds");
      for (const [script, args] of [
        ["synth-dataset.ts", ["--out", out, "--end", "2026-11-20", "--stocks", "3"]],
        ["replica.ts", ["--port", "0", "--end", "2026-11-20"]],
      ] as const) {
        const r = spawnSync(process.execPath, ["--import", "tsx", path.join(root, "scripts", script), ...args, "--days", String(MAX_MARKET_DAYS + 1)], {
          cwd: root,
          encoding: "utf8",
          timeout: 30_000,
        });
        expect(r.status, script).not.toBe(0);
        expect(r.stdout).toBe("");
        const lines = r.stderr.trim().split("\n").filter((l) => l.trim() !== "");
        expect(lines[0]).toMatch(`days must be an integer from 1 to ${MAX_MARKET_DAYS}`);
      }
      expect(existsSync(out)).toBe(false);
    });
  });
});
