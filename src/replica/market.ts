// The synthetic market behind the local HKEX replica: deterministic from the options (same options,
// same pages), simulated one stock at a time and only when a page of that stock is first asked for.
//
// Each stock has a pool of participants (brokers, custodians, for Stock Connect stocks the two
// southbound clearing agencies, some consenting investors) plus two pseudo-holders: shares outside
// CCASS and the non-consenting investors. Day 0 is a power-law (Zipf) allocation; every following
// settlement day applies small noise flows between holders, then at most one event: a planted large
// transfer (one seller, one to three buyers) or a corporate action (split, consolidation, placing).
// The events are the ground truth the analytics are scored against. With `noise`, transfer days
// are messier (the parties' own trading, several blocks at once, sell-outs, newcomers, investors):
// src/replica/noise.ts.
//
// A long market (more than LONG_MARKET_DAYS settlement days, up to ten years) also has lives
// (src/replica/lifecycle.ts): listings, delistings, participants joining and leaving, renames, and a
// corporate-action chance per year. It is not held in memory: each stock is a walk (a generator)
// advanced one day at a time, so a day-by-day consumer (the dataset writer) costs one pass and a few
// megabytes; going back to an earlier day replays that stock from its listing.
import type { HoldingsPage, ParticipantHolding, ParticipantListPage, SouthboundPage, StockListPage } from "../hkex/types.ts";
import { addDays, isSettlementDay, lastSettlementDays, settlementDayOnOrBefore } from "../lib/calendar.ts";
import { assertIsoDate, isIsoDate } from "../lib/validate.ts";
import { participantKeys } from "../ingest/participant-key.ts";
import { MAX_PIECE, MIN_PIECE, pieceSize } from "./transfer-size.ts";
import { applyNoisyDay, NOISY_FLOW_SCALE, planNoisyDay, type NoisyDayContext, type NoisyDayPlan } from "./noise.ts";
import {
  buildLifecycle,
  isActive,
  isListed,
  LONG_MARKET_DAYS,
  MAX_MARKET_DAYS,
  nameOn,
  type Lifecycle,
  type ParticipantRename,
} from "./lifecycle.ts";
import { Rng } from "./random.ts";
import {
  buildParticipants,
  buildStocks,
  SOUTHBOUND_CLEARING_IDS,
  type ParticipantUniverse,
  type StockKind,
  type UniverseParticipant,
  type UniverseStock,
} from "./universe.ts";

export type { StockKind } from "./universe.ts";

export interface MarketOptions {
  seed: number;
  stocks: number;
  days: number;
  end: string;
  hostileNames?: boolean;
  /** The noisy market of src/replica/noise.ts (default off: the clean replica). */
  noise?: boolean;
}
export interface StockInfo {
  code: string;
  name: string;
  kind: StockKind;
  southbound: boolean;
}
export interface PlantedTransfer {
  date: string;
  stock_code: string;
  seller_id: string;
  buyer_id: string;
  shares: number;
  /** Percent of issued shares on that date: 0.5 means 0.5%. */
  pct_of_issued: number;
  /** Shared by the pieces of one seller's sale to two or three buyers on one day (with `noise`, also of several sellers' sale to one buyer). */
  group?: string;
}
export interface CorporateAction {
  date: string;
  stock_code: string;
  kind: "split" | "consolidation" | "placing";
  /** split/consolidation: every holding and the issued shares are multiplied by this. */
  ratio?: number;
  /** placing: new shares credited to `participant_id`. */
  shares?: number;
  issued_before: number;
  issued_after: number;
  participant_id?: string;
}
export interface Market {
  readonly options: MarketOptions;
  /** The settlement days served, ascending; dates.length === options.days, last one on or before options.end. */
  readonly dates: string[];
  readonly stocks: StockInfo[];
  stockList(date: string): StockListPage;
  participantList(date: string): ParticipantListPage;
  /** date a settlement day in `dates` (or any day of the window: it shows the settlement day on or before it); null for an unknown code. */
  holdings(date: string, code: string): HoldingsPage | null;
  southbound(date: string): SouthboundPage;
  truthTransfers(): PlantedTransfer[];
  truthCorporateActions(): CorporateAction[];
  /** Listings, delistings, participants' joins and exits, renames: null for a short market (it has none). */
  truthLifecycle(): LifecycleTruth | null;
}

/** The lives of a long market, by date (first and last settlement day listed or active). */
export interface LifecycleTruth {
  stocks: { stock_code: string; first_date: string; last_date: string }[];
  participants: { participant_id: string; first_date: string; last_date: string }[];
  renames: (Omit<ParticipantRename, "day"> & { date: string })[];
}

/** The window of dates the replica answers for, like HKEX's "past 12 months". */
export interface MarketWindow {
  /** HKEX's "today" (the first settlement day after `end`): the form's hidden `today` field. */
  today: string;
  /** Earliest date accepted: the first served settlement day (`dates[0]`). */
  earliest: string;
  /** Latest date accepted: the day before `today` (weekend days after `end` repeat `end`'s data). */
  latest: string;
}

/** What the server needs beyond the Market contract. */
export interface ReplicaMarket extends Market {
  readonly window: MarketWindow;
  /** The settlement day whose data a date shows, or null when the date is outside the window. */
  settlementDayFor(date: string): string | null;
  /** Universe record of a code (with its Chinese name), or undefined. */
  stockDetails(code: string): UniverseStock | undefined;
  readonly participants: ParticipantUniverse;
  /**
   * Simulate every stock not yet simulated, one per event-loop turn (requests keep being served in
   * between), so later pages and the truth come from the cache. Resolves when done or stopped.
   */
  warmUp(shouldStop?: () => boolean): Promise<void>;
  /** holdings(), with each listed row's index into participants.all (namesakes are told apart by it). */
  holdingsWithHolders(date: string, code: string): { page: HoldingsPage; holders: number[] } | null;
  /** The day index of a listed stock's listing and one past its last listed day (lives of a long market). */
  listedDays(code: string): { from: number; to: number } | null;
  /** A participant's name on day t (renames of a long market). */
  participantNameOn(index: number, t: number): string;
}

/** A date outside the replica's window (or not a date) given to a Market method. */
export class MarketDateError extends RangeError {
  override readonly name = "MarketDateError";
  constructor(
    readonly date: string,
    readonly window: MarketWindow,
  ) {
    super(`date ${JSON.stringify(date)} is outside the replica's window ${window.earliest}..${window.latest}`);
  }
}

export class MarketOptionsError extends RangeError {
  override readonly name = "MarketOptionsError";
}

// Holder slots 0 and 1 in a stock's state vector are pseudo-holders; pool members start at slot 2.
const OUTSIDE = 0;
const NON_CONSENTING = 1;
const FIRST_SLOT = 2;

/** Cap of one noise flow as a share of issued (well below the 0.2% the analytics treat as noise). */
const NOISE_CAP = 0.0008;
/** Probability of a planted transfer on a given stock-day (about one per 30 trading days). */
const TRANSFER_PROBABILITY = 1 / 30;
/** Share of ordinary stocks with one corporate action in the window (in a long market: per year). */
const CORPORATE_ACTION_PROBABILITY = 0.05;
/** Settlement days per corporate-action chance in a long market (about a year). */
const ACTION_PERIOD_DAYS = 248;

interface StockSim {
  /** Index into participants.all of each pool slot (slot = FIRST_SLOT + i). */
  pool: Int32Array;
  width: number;
  /** days × width holdings, row-major by day. */
  holdings: Float64Array;
  nonConsentingCount: Int32Array;
  issued: Float64Array;
}

/** One day of a walk, as the generator yields it: `state` is the walk's own vector (copy to keep it). */
interface WalkDay {
  t: number;
  state: Float64Array;
  issued: number;
  ncHolders: number;
}

/** Where a walk puts what it finds; shared by the replays of one stock so nothing is recorded twice. */
interface WalkSink {
  transfers: PlantedTransfer[];
  actions: CorporateAction[];
  /** Events of days up to this one are recorded already. */
  through: number;
  /** Set by the walk before its first day. */
  pool: Int32Array;
  width: number;
}

/** A long market's stock: its walk, and the day it stands on. */
interface StockCursor {
  walk: Generator<WalkDay, void, undefined>;
  day: WalkDay;
  sink: WalkSink;
}

interface StockEvents {
  transfers: PlantedTransfer[];
  actions: CorporateAction[];
  /** Per day: southbound clearing agencies' combined holding, for Stock Connect stocks. */
  southbound: Float64Array | null;
  /** Per day: issued shares (kept after the simulation itself is evicted). */
  issued: Float64Array;
}

function validateOptions(opts: MarketOptions): void {
  if (!Number.isInteger(opts.seed)) throw new MarketOptionsError(`seed must be an integer, got ${opts.seed}`);
  if (!Number.isInteger(opts.stocks) || opts.stocks < 1) throw new MarketOptionsError(`stocks must be a positive integer, got ${opts.stocks}`);
  if (!Number.isInteger(opts.days) || opts.days < 1 || opts.days > MAX_MARKET_DAYS) {
    throw new MarketOptionsError(`days must be an integer from 1 to ${MAX_MARKET_DAYS}, got ${opts.days}`);
  }
  if (!isIsoDate(opts.end)) throw new MarketOptionsError(`end must be a date YYYY-MM-DD, got ${JSON.stringify(opts.end)}`);
}

function roundTo(n: number, step: number): number {
  return Math.max(step, Math.round(n / step) * step);
}

/** Per-kind shape of a stock: listed participants, issued shares, share of issued held in CCASS. */
function stockShape(s: UniverseStock, rng: Rng): { listed: number; issued: number; ccass: number; investors: number } {
  const u = s.size;
  let listed: number;
  let issued: number;
  let ccass: number;
  let investors = 0;
  switch (s.kind) {
    case "equity":
      if (s.gem) {
        listed = 12 + Math.round(60 * u * u);
        issued = roundTo(10 ** (8 + 1.3 * u + rng.range(-0.2, 0.2)), 1000);
      } else {
        listed = 20 + Math.round(480 * u ** 6);
        issued = roundTo(10 ** (8 + 2.3 * u + rng.range(-0.2, 0.2)), 1000);
      }
      ccass = rng.range(0.45, 0.95);
      if (rng.chance(0.35)) investors = 1 + rng.int(3 + Math.round(12 * u));
      break;
    case "etf":
      listed = 15 + Math.round(200 * u ** 3);
      issued = roundTo(10 ** (7 + 2 * u), 1000);
      ccass = rng.range(0.9, 0.99);
      if (rng.chance(0.2)) investors = 1 + rng.int(4);
      break;
    case "reit":
      listed = 40 + Math.round(200 * u * u);
      issued = roundTo(10 ** (9 + u), 1000);
      ccass = rng.range(0.6, 0.95);
      if (rng.chance(0.3)) investors = 1 + rng.int(5);
      break;
    case "warrant":
    case "cbbc":
      listed = 8 + Math.round(40 * u * u);
      issued = roundTo(10 ** (7 + 1.7 * u), 1000);
      ccass = rng.range(0.3, 0.9);
      break;
    case "debt":
      listed = 5 + Math.round(20 * u);
      issued = roundTo(10 ** (4 + 2 * u), 10) * 100;
      ccass = rng.range(0.85, 0.99);
      break;
  }
  return { listed, issued, ccass, investors };
}

/** Deterministic Zipf-like weights, descending. */
function zipfWeights(n: number, alpha: number, rng: Rng): number[] {
  const w: number[] = [];
  for (let r = 0; r < n; r++) w.push((1 / (r + 1) ** alpha) * rng.range(0.85, 1.15));
  return w.sort((a, b) => b - a);
}

class MarketModel implements ReplicaMarket {
  readonly options: MarketOptions;
  readonly dates: string[];
  readonly stocks: StockInfo[];
  readonly window: MarketWindow;
  readonly participants: ParticipantUniverse;
  private readonly universe: UniverseStock[];
  private readonly indexByCode = new Map<string, number>();
  private readonly dayIndex = new Map<string, number>();
  private readonly events: (StockEvents | undefined)[];
  /** Recently used simulations, least recent first (Map keeps insertion order). */
  private readonly sims = new Map<number, StockSim>();
  private simBytes = 0;
  private readonly simBudgetBytes: number;
  private readonly southboundSlots: [number, number];
  /** Pairs of distinct consenting investors (indices into participants.all) sharing one name. */
  private readonly namesakes: [number, number][] = [];
  /** More than LONG_MARKET_DAYS: lives on, stocks walked day by day instead of cached whole. */
  private readonly long: boolean;
  private readonly life: Lifecycle;
  /** Long market only: each stock's walk, once asked for. */
  private readonly cursors: (StockCursor | undefined)[];

  constructor(opts: MarketOptions, simBudgetBytes = 1024 ** 3) {
    validateOptions(opts);
    this.options = { ...opts, hostileNames: opts.hostileNames ?? false };
    this.simBudgetBytes = simBudgetBytes;
    this.dates = lastSettlementDays(opts.end, opts.days);
    this.dates.forEach((d, i) => this.dayIndex.set(d, i));
    let today = addDays(opts.end, 1);
    while (!isSettlementDay(today)) today = addDays(today, 1);
    // The window is the served days. HKEX keeps 12 months, about 248 settlement days, so
    // --days 250 reaches a few days past 12 months: every date in `dates` stays servable (the
    // synthetic dataset and the scraper agree on them), and anything outside gets HKEX's alert.
    this.window = { today, earliest: this.dates[0] as string, latest: addDays(today, -1) };
    const hostile = this.options.hostileNames === true;
    this.universe = buildStocks(opts.seed, opts.stocks, hostile);
    this.universe.forEach((s, i) => this.indexByCode.set(s.code, i));
    this.stocks = this.universe.map((s) => ({ code: s.code, name: s.name, kind: s.kind, southbound: s.southbound }));
    this.participants = buildParticipants(opts.seed, hostile);
    this.events = new Array<StockEvents | undefined>(this.universe.length);
    this.long = opts.days > LONG_MARKET_DAYS;
    this.life = buildLifecycle(opts.seed, this.universe, this.participants, this.dates.length);
    this.cursors = new Array<StockCursor | undefined>(this.universe.length);
    const sb = SOUTHBOUND_CLEARING_IDS.map((id) => this.participants.byId.get(id));
    if (sb[0] === undefined || sb[1] === undefined) throw new Error("southbound clearing participants missing from the universe");
    this.southboundSlots = [sb[0], sb[1]];
    const firstByName = new Map<string, number>();
    for (const i of this.participants.investors) {
      const name = (this.participants.all[i] as UniverseParticipant).name;
      const first = firstByName.get(name);
      if (first === undefined) firstByName.set(name, i);
      else this.namesakes.push([first, i]);
    }
  }

  settlementDayFor(date: string): string | null {
    if (!isIsoDate(date) || date < this.window.earliest || date > this.window.latest) return null;
    const day = settlementDayOnOrBefore(date);
    return this.dayIndex.has(day) ? day : null;
  }

  private dayOf(date: string): number {
    const day = this.settlementDayFor(date);
    if (day === null) throw new MarketDateError(date, this.window);
    return this.dayIndex.get(day) as number;
  }

  async warmUp(shouldStop: () => boolean = () => false): Promise<void> {
    // A long market is walked on demand: walking every stock to its end now would make the first
    // requests (early dates) replay each stock from its listing.
    if (this.long) return;
    for (let si = 0; si < this.universe.length; si++) {
      if (shouldStop()) return;
      if (this.events[si] === undefined) this.simulation(si);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  listedDays(code: string): { from: number; to: number } | null {
    const si = this.indexByCode.get(code);
    return si === undefined ? null : { from: this.life.listFrom[si]!, to: this.life.listTo[si]! };
  }

  participantNameOn(index: number, t: number): string {
    return nameOn(this.life, index, this.participants.all[index] as UniverseParticipant, t);
  }

  stockDetails(code: string): UniverseStock | undefined {
    const i = this.indexByCode.get(code);
    return i === undefined ? undefined : this.universe[i];
  }

  stockList(date: string): StockListPage {
    const t = this.dayOf(date);
    const stocks: { code: string; name: string }[] = [];
    this.universe.forEach((s, si) => {
      if (isListed(this.life, si, t)) stocks.push({ code: s.code, name: s.name });
    });
    return { kind: "stocklist", stocks };
  }

  participantList(date: string): ParticipantListPage {
    const t = this.dayOf(date);
    const participants: { id: string; name: string }[] = [];
    this.participants.all.forEach((p, i) => {
      if (p.id !== null && isActive(this.life, i, t)) participants.push({ id: p.id, name: nameOn(this.life, i, p, t) });
    });
    return { kind: "partlist", participants };
  }

  holdings(date: string, code: string): HoldingsPage | null {
    return this.holdingsWithHolders(date, code)?.page ?? null;
  }

  holdingsWithHolders(date: string, code: string): { page: HoldingsPage; holders: number[] } | null {
    assertIsoDate(date);
    const t = this.dayOf(date);
    const si = this.indexByCode.get(code);
    if (si === undefined || !isListed(this.life, si, t)) return null;
    const stock = this.universe[si] as UniverseStock;
    const day = this.dayState(si, t);
    const base = day.base;
    const rows: { p: UniverseParticipant; pi: number; name: string; shares: number; order: number }[] = [];
    for (let slot = FIRST_SLOT; slot < day.width; slot++) {
      const shares = day.values[base + slot] as number;
      if (shares <= 0) continue;
      const pi = day.pool[slot - FIRST_SLOT] as number;
      const p = this.participants.all[pi] as UniverseParticipant;
      rows.push({ p, pi, name: nameOn(this.life, pi, p, t), shares, order: slot });
    }
    // HKEX lists by shareholding, largest first; equal holdings keep a stable order.
    rows.sort((a, b) => b.shares - a.shares || a.order - b.order);
    const intermediaries = { shares: 0, participants: 0 };
    const consenting = { shares: 0, participants: 0 };
    const holders = rows.map((r) => r.pi);
    const participants: ParticipantHolding[] = rows.map(({ p, name, shares }) => {
      const cat = p.id === null ? consenting : intermediaries;
      cat.shares += shares;
      cat.participants += 1;
      return { id: p.id, name, address: p.address, shares };
    });
    const ncShares = day.values[base + NON_CONSENTING] as number;
    const nonConsenting = { shares: ncShares, participants: ncShares > 0 ? day.ncHolders : 0 };
    const total = {
      shares: intermediaries.shares + consenting.shares + nonConsenting.shares,
      participants: intermediaries.participants + consenting.participants + nonConsenting.participants,
    };
    const page: HoldingsPage = {
      kind: "holdings",
      date,
      stockCode: stock.code,
      stockName: stock.name,
      issuedShares: day.issued,
      summary: { intermediaries, consenting, nonConsenting, total },
      participants,
    };
    return { page, holders };
  }

  southbound(date: string): SouthboundPage {
    const t = this.dayOf(date);
    const holdings: SouthboundPage["holdings"] = [];
    this.universe.forEach((s, si) => {
      if (!s.southbound || !isListed(this.life, si, t)) return;
      let shares: number;
      let issued: number;
      if (this.long) {
        const day = this.walkTo(si, t);
        shares = (day.state[FIRST_SLOT] as number) + (day.state[FIRST_SLOT + 1] as number);
        issued = day.issued;
      } else {
        shares = this.stockEvents(si).southbound?.[t] ?? 0;
        issued = this.issuedOn(si, t);
      }
      if (shares <= 0) return;
      holdings.push({ stockCode: s.code, stockName: s.name, shares, reportedPercent: Math.round((shares / issued) * 10000) / 100 });
    });
    return { kind: "southbound", date, holdings };
  }

  truthTransfers(): PlantedTransfer[] {
    const out: PlantedTransfer[] = [];
    for (let si = 0; si < this.universe.length; si++) for (const t of this.eventsOf(si).transfers) out.push({ ...t });
    return out.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : a.stock_code < b.stock_code ? -1 : a.stock_code > b.stock_code ? 1 : 0));
  }

  truthCorporateActions(): CorporateAction[] {
    const out: CorporateAction[] = [];
    for (let si = 0; si < this.universe.length; si++) for (const a of this.eventsOf(si).actions) out.push({ ...a });
    return out.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : a.stock_code < b.stock_code ? -1 : 1));
  }

  truthLifecycle(): LifecycleTruth | null {
    if (!this.long) return null;
    const { listFrom, listTo, activeFrom, activeTo } = this.life;
    const last = this.dates.length;
    const date = (t: number) => this.dates[t] as string;
    const stocks: LifecycleTruth["stocks"] = [];
    this.universe.forEach((s, si) => {
      if (listFrom[si] !== 0 || listTo[si] !== last) stocks.push({ stock_code: s.code, first_date: date(listFrom[si] as number), last_date: date((listTo[si] as number) - 1) });
    });
    const participants: LifecycleTruth["participants"] = [];
    this.participants.all.forEach((p, i) => {
      if (p.id !== null && (activeFrom[i] !== 0 || activeTo[i] !== last)) {
        participants.push({ participant_id: p.id, first_date: date(activeFrom[i] as number), last_date: date((activeTo[i] as number) - 1) });
      }
    });
    const renames = [...this.life.renames.values()]
      .map(({ day, ...r }) => ({ ...r, date: date(day) }))
      .sort((a, b) => (a.participant_id < b.participant_id ? -1 : 1));
    return { stocks, participants, renames };
  }

  /** A stock's figures on day t: from the cached whole history (short market) or its walk (long). */
  private dayState(si: number, t: number): { values: Float64Array; base: number; width: number; pool: Int32Array; issued: number; ncHolders: number } {
    if (this.long) {
      const day = this.walkTo(si, t);
      const sink = (this.cursors[si] as StockCursor).sink;
      return { values: day.state, base: 0, width: sink.width, pool: sink.pool, issued: day.issued, ncHolders: day.ncHolders };
    }
    const sim = this.simulation(si);
    return { values: sim.holdings, base: t * sim.width, width: sim.width, pool: sim.pool, issued: sim.issued[t] as number, ncHolders: sim.nonConsentingCount[t] as number };
  }

  /** Transfers and corporate actions of a stock's whole window (a long market walks it to its end). */
  private eventsOf(si: number): { transfers: PlantedTransfer[]; actions: CorporateAction[] } {
    if (!this.long) return this.stockEvents(si);
    this.walkTo(si, (this.life.listTo[si] as number) - 1);
    return (this.cursors[si] as StockCursor).sink;
  }

  /** Long market: the stock's walk moved to day t (listed that day), replayed from its listing when behind. */
  private walkTo(si: number, t: number): WalkDay {
    let cursor = this.cursors[si];
    if (cursor === undefined || cursor.day.t > t) {
      const sink: WalkSink = cursor?.sink ?? { transfers: [], actions: [], through: -1, pool: new Int32Array(0), width: 0 };
      const walk = this.walk(si, sink);
      const first = walk.next();
      if (first.done === true) throw new Error(`stock ${this.universe[si]?.code} has no listed day`);
      cursor = { walk, day: first.value, sink };
      this.cursors[si] = cursor;
    }
    while (cursor.day.t < t) {
      const next = cursor.walk.next();
      if (next.done === true) throw new Error(`day ${t} is past the listed window of stock ${this.universe[si]?.code}`);
      cursor.day = next.value;
    }
    return cursor.day;
  }

  /** Issued shares on day t, from the events alone (no need to keep the simulation). */
  private issuedOn(si: number, t: number): number {
    return this.stockEvents(si).issued[t] as number;
  }

  private stockEvents(si: number): StockEvents {
    let ev = this.events[si];
    if (!ev) {
      this.simulation(si);
      ev = this.events[si] as StockEvents;
    }
    return ev;
  }

  /** The stock's whole history, from the cache or simulated now (and cached, least recently used out). */
  private simulation(si: number): StockSim {
    const cached = this.sims.get(si);
    if (cached) {
      this.sims.delete(si);
      this.sims.set(si, cached);
      return cached;
    }
    const { sim, events } = this.simulate(si);
    this.events[si] ??= events;
    const bytes = sim.holdings.byteLength + sim.issued.byteLength + sim.nonConsentingCount.byteLength;
    this.sims.set(si, sim);
    this.simBytes += bytes;
    for (const [key, old] of this.sims) {
      if (this.simBytes <= this.simBudgetBytes || key === si) break;
      this.sims.delete(key);
      this.simBytes -= old.holdings.byteLength + old.issued.byteLength + old.nonConsentingCount.byteLength;
    }
    return sim;
  }

  /** A short market's stock, whole: every day of its walk kept, row-major by day. */
  private simulate(si: number): { sim: StockSim; events: StockEvents } {
    const stock = this.universe[si] as UniverseStock;
    const days = this.dates.length;
    const sink: WalkSink = { transfers: [], actions: [], through: -1, pool: new Int32Array(0), width: 0 };
    const issued = new Float64Array(days);
    const ncCount = new Int32Array(days);
    const southbound = stock.southbound ? new Float64Array(days) : null;
    let holdings = new Float64Array(0);
    for (const day of this.walk(si, sink)) {
      if (holdings.length === 0) holdings = new Float64Array(days * sink.width);
      const t = day.t;
      holdings.set(day.state, t * sink.width);
      issued[t] = day.issued;
      ncCount[t] = day.ncHolders;
      if (southbound) southbound[t] = (day.state[FIRST_SLOT] as number) + (day.state[FIRST_SLOT + 1] as number);
    }
    const { pool, width, transfers, actions } = sink;
    return { sim: { pool, width, holdings, nonConsentingCount: ncCount, issued }, events: { transfers, actions, southbound, issued } };
  }

  /**
   * A stock's days from its listing (day `from`: the power-law allocation) to its last listed day,
   * one yield per day. Events go to `sink` for days after `sink.through` only, so a replay records
   * nothing twice.
   */
  private *walk(si: number, sink: WalkSink): Generator<WalkDay, void, undefined> {
    const stock = this.universe[si] as UniverseStock;
    const seed = this.options.seed;
    const rng = Rng.of(seed, "stock", stock.code);
    const shape = stockShape(stock, rng);
    const parts = this.participants;

    // Pool: clearing agencies (Stock Connect only), custodians, brokers, then consenting investors.
    // About a fifth more than the listed target: those start empty and may enter later.
    const intermediarySlots = Math.min(parts.brokers.length + parts.custodians.length, Math.ceil(shape.listed * 1.25));
    const nCustodians = Math.min(parts.custodians.length, Math.max(3, Math.round(intermediarySlots * 0.22)));
    const nBrokers = Math.min(parts.brokers.length, intermediarySlots - nCustodians);
    const custodians = rng.sample(parts.custodians.length, nCustodians).map((i) => parts.custodians[i] as number);
    const brokers = rng.sample(parts.brokers.length, nBrokers).map((i) => parts.brokers[i] as number);
    rng.shuffle(custodians);
    rng.shuffle(brokers);
    const investors = rng.sample(parts.investors.length, Math.min(shape.investors, parts.investors.length)).map((i) => parts.investors[i] as number);
    // On some stocks two different investors with the same name hold at once (HKEX lists both).
    if (investors.length >= 2 && this.namesakes.length > 0 && rng.chance(0.3)) {
      const [a, b] = rng.pick(this.namesakes);
      if (!investors.includes(a) && !investors.includes(b)) investors.splice(0, 2, a, b);
    }
    const clearing = stock.southbound ? [...this.southboundSlots] : [];
    // Ranking for the initial allocation: custodians mostly on top, brokers below, interleaved a little.
    const ranked = [...custodians.map((p) => ({ p, key: rng.range(0, 0.6) })), ...brokers.map((p) => ({ p, key: rng.range(0.3, 1) }))]
      .sort((a, b) => a.key - b.key)
      .map((x) => x.p);
    const poolList = [...clearing, ...ranked, ...investors];
    const pool = Int32Array.from(poolList);
    const width = pool.length + FIRST_SLOT;
    sink.pool = pool;
    sink.width = width;
    const days = this.dates.length;
    const from = this.life.listFrom[si] as number;
    const to = this.life.listTo[si] as number;
    const state = new Float64Array(width);

    // Day 0 (the listing day): power-law allocation of the CCASS holding.
    let issuedNow = shape.issued;
    const inCcass = Math.floor(issuedNow * shape.ccass);
    const ncShares = Math.floor(inCcass * rng.range(0.002, 0.03));
    let allocatable = inCcass - ncShares;
    if (stock.southbound) {
      const sbShare = rng.range(0.03, 0.2) * issuedNow;
      const sh = Math.floor(sbShare * rng.range(0.3, 0.7));
      const sz = Math.floor(sbShare) - sh;
      state[FIRST_SLOT] = sh;
      state[FIRST_SLOT + 1] = sz;
      allocatable -= sh + sz;
    }
    const activeIntermediaries = Math.min(shape.listed - clearing.length, ranked.length);
    const invWeights = investors.map(() => rng.range(0.00005, 0.0008));
    const invTotal = Math.floor(invWeights.reduce((a, b) => a + b, 0) * issuedNow);
    const weights = zipfWeights(activeIntermediaries, rng.range(1.1, 1.5), rng);
    const wSum = weights.reduce((a, b) => a + b, 0);
    const forIntermediaries = Math.max(0, allocatable - invTotal);
    let given = 0;
    const firstRanked = FIRST_SLOT + clearing.length;
    for (let r = 0; r < activeIntermediaries; r++) {
      const sh = Math.max(1, Math.floor((forIntermediaries * (weights[r] as number)) / wSum));
      state[firstRanked + r] = sh;
      given += sh;
    }
    state[firstRanked] = (state[firstRanked] as number) + Math.max(0, forIntermediaries - given);
    const firstInvestor = firstRanked + ranked.length;
    investors.forEach((_, k) => {
      state[firstInvestor + k] = Math.max(100, Math.floor((invWeights[k] as number) * issuedNow));
    });
    state[NON_CONSENTING] = ncShares;
    let ncHolders = Math.max(1, Math.round(ncShares / rng.range(2000, 40000)));
    let held = 0;
    for (let s = 1; s < width; s++) held += state[s] as number;
    state[OUTSIDE] = Math.max(0, issuedNow - held);
    issuedNow = held + (state[OUTSIDE] as number);


    // Corporate action: ordinary shares only, at most one per stock, never on day 0.
    // A long market draws one chance per year of the stock's listed window instead (actionSchedule).
    const caSchedule = this.long ? this.actionSchedule(stock, from, to) : [];
    if (!this.long && stock.kind === "equity" && days > 1 && rng.chance(CORPORATE_ACTION_PROBABILITY)) {
      const day = 1 + rng.int(days - 1);
      const k = rng.next();
      caSchedule.push({ day, kind: k < 0.35 ? "split" : k < 0.6 ? "consolidation" : "placing" });
    }
    let caNext = 0;
    let caDay = caSchedule[0]?.day ?? -1;
    let caKind: CorporateAction["kind"] = caSchedule[0]?.kind ?? "placing";

    const transfers = sink.transfers;
    const actions = sink.actions;
    // excluded[slot] === t: that holder is a party to day t's event (or not in CCASS that day) and sits out the day's noise.
    const excluded = new Int32Array(width).fill(-1);
    const eventRng = Rng.of(seed, "events", stock.code);
    const noiseRng = Rng.of(seed, "noise", stock.code);
    const flowsPerDay = 1 + Math.floor(shape.listed / 6);
    const noisy = this.options.noise === true ? this.noisyContext(pool, state, width) : null;
    // Long market: pool slots whose participant joins after `from` or leaves before `to` (applyLives).
    const mortal = this.long ? this.mortalSlots(pool, from, to) : new Int32Array(0);
    const heirRng = Rng.of(seed, "heirs", stock.code);
    const day: WalkDay = { t: from, state, issued: issuedNow, ncHolders };

    for (let t = from; t < to; t++) {
      const date = this.dates[t] as string;
      const record = t > sink.through;
      if (mortal.length > 0) this.applyLives(mortal, pool, state, excluded, t, heirRng, firstRanked, firstInvestor);
      if (t > from) {
        // Decide the day's event first, so its parties can be kept out of the noise.
        let transferPlan: { seller: number; buyers: number[]; shares: number[] } | null = null;
        let noisyPlan: NoisyDayPlan | null = null;
        let placingTo = -1;
        if (t === caDay) {
          if (caKind === "placing") {
            placingTo = firstRanked + eventRng.int(Math.min(ranked.length, 10));
            if (excluded[placingTo] === t) placingTo = this.activeSlot(excluded, t, firstRanked, firstInvestor);
            excluded[placingTo] = t;
          }
        } else if (eventRng.chance(TRANSFER_PROBABILITY)) {
          if (noisy) {
            noisy.issued = issuedNow;
            noisyPlan = planNoisyDay(eventRng, noisy);
            // In a long market a party may be out of CCASS that day (already excluded): no noisy transfer then.
            for (const leg of noisyPlan?.legs ?? []) if (excluded[leg.seller] === t || excluded[leg.buyer] === t) noisyPlan = null;
            for (const leg of noisyPlan?.legs ?? []) excluded[leg.seller] = excluded[leg.buyer] = t;
          } else transferPlan = this.planTransfer(eventRng, state, pool, issuedNow, excluded, t);
          if (transferPlan) {
            excluded[transferPlan.seller] = t;
            for (const b of transferPlan.buyers) excluded[b] = t;
          }
        }

        // Noise: small flows between holders, deposits from and withdrawals to outside CCASS.
        const cap = NOISE_CAP * issuedNow * (noisy ? NOISY_FLOW_SCALE : 1);
        const flows = flowsPerDay + noiseRng.int(flowsPerDay + 1);
        for (let f = 0; f < flows; f++) {
          const src = this.pickSource(noiseRng, state, width);
          const dst = this.pickTarget(noiseRng, width);
          if (src === dst || excluded[src] === t || excluded[dst] === t) continue;
          const have = state[src] as number;
          if (have <= 0) continue;
          const u = noiseRng.next();
          let amount = Math.floor(cap * u * u * u);
          if (src >= FIRST_SLOT && have <= cap && noiseRng.chance(0.05)) amount = have; // a small holder leaves
          else amount = Math.min(amount, Math.floor(have * 0.5));
          if (amount < 1) continue;
          state[src] = have - amount;
          state[dst] = (state[dst] as number) + amount;
          if (dst === NON_CONSENTING) ncHolders += noiseRng.int(3);
          if (src === NON_CONSENTING) ncHolders = Math.max(1, ncHolders - noiseRng.int(3));
        }

        if (noisyPlan) {
          applyNoisyDay(noisyPlan, state, OUTSIDE);
          for (const leg of noisyPlan.legs) {
            const rec: PlantedTransfer = {
              date,
              stock_code: stock.code,
              seller_id: this.idOf(pool, leg.seller),
              buyer_id: this.idOf(pool, leg.buyer),
              shares: leg.shares,
              pct_of_issued: (leg.shares / issuedNow) * 100,
            };
            if (leg.group !== undefined) rec.group = `${stock.code}-${date}`;
            // a replayed walk (long market) has recorded this day already
            if (record) transfers.push(rec);
          }
        } else if (transferPlan) {
          const group = transferPlan.buyers.length > 1 ? `${stock.code}-${date}` : undefined;
          const seller = transferPlan.seller;
          for (let k = 0; k < transferPlan.buyers.length; k++) {
            const buyer = transferPlan.buyers[k] as number;
            const shares = transferPlan.shares[k] as number;
            state[seller] = (state[seller] as number) - shares;
            state[buyer] = (state[buyer] as number) + shares;
            const rec: PlantedTransfer = {
              date,
              stock_code: stock.code,
              seller_id: this.idOf(pool, seller),
              buyer_id: this.idOf(pool, buyer),
              shares,
              pct_of_issued: (shares / issuedNow) * 100,
            };
            if (group) rec.group = group;
            if (record) transfers.push(rec);
          }
        } else if (t === caDay) {
          const action = this.applyCorporateAction(eventRng, caKind, state, pool, issuedNow, placingTo, date, stock.code);
          if (record) actions.push(action);
          issuedNow = action.issued_after;
          caNext++;
          caDay = caSchedule[caNext]?.day ?? -1;
          caKind = caSchedule[caNext]?.kind ?? "placing";
        }
      }
      if ((state[NON_CONSENTING] as number) <= 0) ncHolders = 0;
      else if (ncHolders === 0) ncHolders = 1;
      if (record) sink.through = t;
      day.t = t;
      day.issued = issuedNow;
      day.ncHolders = ncHolders;
      yield day;
    }
  }

  /** Long market: one corporate-action chance per ACTION_PERIOD_DAYS of an ordinary stock's listed window. */
  private actionSchedule(stock: UniverseStock, from: number, to: number): { day: number; kind: CorporateAction["kind"] }[] {
    const out: { day: number; kind: CorporateAction["kind"] }[] = [];
    if (stock.kind !== "equity") return out;
    const rng = Rng.of(this.options.seed, "action-schedule", stock.code);
    for (let start = from + 1; start < to; start += ACTION_PERIOD_DAYS) {
      if (!rng.chance(CORPORATE_ACTION_PROBABILITY)) continue;
      const k = rng.next();
      out.push({ day: start + rng.int(Math.min(ACTION_PERIOD_DAYS, to - start)), kind: k < 0.35 ? "split" : k < 0.6 ? "consolidation" : "placing" });
    }
    return out;
  }

  /** Pool slots whose participant is not in CCASS for the whole of [from, to). */
  private mortalSlots(pool: Int32Array, from: number, to: number): Int32Array {
    const out: number[] = [];
    for (let k = 0; k < pool.length; k++) {
      const pi = pool[k] as number;
      if ((this.life.activeFrom[pi] as number) > from || (this.life.activeTo[pi] as number) < to) out.push(FIRST_SLOT + k);
    }
    return Int32Array.from(out);
  }

  /**
   * Day t of a long market: a participant not in CCASS that day holds nothing and sits out the day.
   * What it held on its last day goes to another intermediary of the pool (its clients move with
   * their broker's exit, as a large transfer does), or outside CCASS when none is found.
   */
  private applyLives(
    mortal: Int32Array,
    pool: Int32Array,
    state: Float64Array,
    excluded: Int32Array,
    t: number,
    rng: Rng,
    firstRanked: number,
    firstInvestor: number,
  ): void {
    for (let k = 0; k < mortal.length; k++) {
      const slot = mortal[k] as number;
      if (isActive(this.life, pool[slot - FIRST_SLOT] as number, t)) continue;
      excluded[slot] = t;
      const shares = state[slot] as number;
      if (shares <= 0) continue;
      let heir = OUTSIDE;
      for (let tries = 0; tries < 8 && firstInvestor > firstRanked; tries++) {
        const cand = firstRanked + rng.int(firstInvestor - firstRanked);
        if (cand !== slot && isActive(this.life, pool[cand - FIRST_SLOT] as number, t)) {
          heir = cand;
          break;
        }
      }
      state[heir] = (state[heir] as number) + shares;
      state[slot] = 0;
    }
  }

  /** First slot in [lo, hi) not sitting out day t (lo when every one does). */
  private activeSlot(excluded: Int32Array, t: number, lo: number, hi: number): number {
    for (let s = lo; s < hi; s++) if (excluded[s] !== t) return s;
    return lo;
  }

  /** The participant's key in the dataset: its CCASS ID, or for an investor its name key. */
  private idOf(pool: Int32Array, slot: number): string {
    const p = this.participants.all[pool[slot - FIRST_SLOT] as number] as UniverseParticipant;
    return p.id ?? (participantKeys([{ id: null, name: p.name, address: p.address, shares: 0 }])[0] as string);
  }

  /** The noisy planner's view of a stock: its intermediaries, and its investors with a name of their own. */
  private noisyContext(pool: Int32Array, state: Float64Array, width: number): NoisyDayContext {
    const intermediaries: number[] = [];
    const investors: number[] = [];
    const names = new Map<string, number>();
    for (let s = FIRST_SLOT; s < width; s++) {
      const p = this.participants.all[pool[s - FIRST_SLOT] as number] as UniverseParticipant;
      if (p.id === null) names.set(p.name, (names.get(p.name) ?? 0) + 1);
    }
    for (let s = FIRST_SLOT; s < width; s++) {
      const p = this.participants.all[pool[s - FIRST_SLOT] as number] as UniverseParticipant;
      if (this.isIntermediary(pool, s)) intermediaries.push(s);
      else if (p.id === null && names.get(p.name) === 1) investors.push(s);
    }
    return { state, issued: 0, intermediaries, investors };
  }

  /** Brokers and custodians: the parties of planted transfers (clearing agencies and investors never are). */
  private isIntermediary(pool: Int32Array, slot: number): boolean {
    if (slot < FIRST_SLOT) return false;
    const type = (this.participants.all[pool[slot - FIRST_SLOT] as number] as UniverseParticipant).type;
    return type === "B" || type === "C";
  }

  private pickSource(rng: Rng, state: Float64Array, width: number): number {
    const r = rng.next();
    if (r < 0.1) return OUTSIDE;
    if (r < 0.15) return NON_CONSENTING;
    for (let tries = 0; tries < 4; tries++) {
      const slot = FIRST_SLOT + rng.int(width - FIRST_SLOT);
      if ((state[slot] as number) > 0) return slot;
    }
    return OUTSIDE;
  }

  private pickTarget(rng: Rng, width: number): number {
    const r = rng.next();
    if (r < 0.1) return OUTSIDE;
    if (r < 0.15) return NON_CONSENTING;
    return FIRST_SLOT + rng.int(width - FIRST_SLOT);
  }

  /**
   * One seller among the larger intermediaries, one to three buyers, each piece 0.05 %–5 % of issued,
   * small ones more often than large ones (transfer-size.ts).
   */
  private planTransfer(
    rng: Rng,
    state: Float64Array,
    pool: Int32Array,
    issued: number,
    excluded: Int32Array,
    t: number,
  ): { seller: number; buyers: number[]; shares: number[] } | null {
    const minPiece = Math.ceil(MIN_PIECE * issued);
    const sellers: number[] = [];
    const buyersAll: number[] = [];
    const width = pool.length + FIRST_SLOT;
    for (let s = FIRST_SLOT; s < width; s++) {
      // excluded[s] === t here only in a long market, for a participant not in CCASS that day.
      if (!this.isIntermediary(pool, s) || excluded[s] === t) continue;
      buyersAll.push(s);
      if ((state[s] as number) * 0.9 >= minPiece * 1.05) sellers.push(s);
    }
    if (sellers.length === 0 || buyersAll.length < 2) return null;
    sellers.sort((a, b) => (state[b] as number) - (state[a] as number) || a - b);
    const seller = sellers[rng.int(Math.min(sellers.length, 15))] as number;
    const r = rng.next();
    let nBuyers = r < 0.7 ? 1 : r < 0.9 ? 2 : 3;
    const available = Math.floor((state[seller] as number) * 0.9);
    while (nBuyers > 1 && available / nBuyers < minPiece * 1.05) nBuyers--;
    nBuyers = Math.min(nBuyers, buyersAll.length - 1);
    const candidates = buyersAll.filter((b) => b !== seller);
    const buyers = rng.sample(candidates.length, nBuyers).map((i) => candidates[i] as number);
    rng.shuffle(buyers);
    const maxPiece = Math.min(Math.floor(MAX_PIECE * issued), Math.floor(available / nBuyers));
    const shares = buyers.map(() => pieceSize(rng, minPiece, maxPiece));
    return { seller, buyers, shares };
  }

  private applyCorporateAction(
    rng: Rng,
    kind: CorporateAction["kind"],
    state: Float64Array,
    pool: Int32Array,
    issuedBefore: number,
    placingTo: number,
    date: string,
    code: string,
  ): CorporateAction {
    const width = pool.length + FIRST_SLOT;
    if (kind === "placing") {
      const shares = roundTo(issuedBefore * rng.range(0.05, 0.2), 1000);
      state[placingTo] = (state[placingTo] as number) + shares;
      return { date, stock_code: code, kind, shares, issued_before: issuedBefore, issued_after: issuedBefore + shares, participant_id: this.idOf(pool, placingTo) };
    }
    if (kind === "split") {
      const ratio = rng.pick([2, 4, 5, 10]);
      for (let s = 0; s < width; s++) state[s] = (state[s] as number) * ratio;
      return { date, stock_code: code, kind, ratio, issued_before: issuedBefore, issued_after: issuedBefore * ratio };
    }
    // Consolidation: issued is a multiple of 1000, so issued × ratio is whole; holders' fractions of a
    // share are rounded down and the remainders end up outside CCASS.
    const divisor = rng.pick([2, 5, 10]);
    const issuedAfter = issuedBefore / divisor;
    let held = 0;
    for (let s = 1; s < width; s++) {
      state[s] = Math.floor((state[s] as number) / divisor);
      held += state[s] as number;
    }
    state[OUTSIDE] = issuedAfter - held;
    return { date, stock_code: code, kind, ratio: 1 / divisor, issued_before: issuedBefore, issued_after: issuedAfter };
  }
}

export interface MarketTuning {
  /** Memory for cached per-stock histories (default 1 GiB: a full 2,800 × 250 market fits). */
  cacheBytes?: number;
}

/** A deterministic synthetic market: same options, same pages and same ground truth. */
export function createMarket(opts: MarketOptions, tuning: MarketTuning = {}): ReplicaMarket {
  return new MarketModel(opts, tuning.cacheBytes);
}
