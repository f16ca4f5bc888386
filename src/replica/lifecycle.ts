// Lives of securities and participants over a long synthetic market (more than LONG_MARKET_DAYS
// settlement days): new listings and delistings, brokers and custodians that join CCASS late or
// leave it, and participants renamed under the same CCASS ID. Short markets (the demo, the tests,
// one HKEX window) have none of this, so their pages stay exactly what they always were.
// Everything is drawn from (seed, code or participant index) alone: the same options give the same lives.
import { Rng } from "./random.ts";
import type { ParticipantUniverse, UniverseParticipant, UniverseStock } from "./universe.ts";

/** Up to this many settlement days the market is "short": one window, no lifecycle. */
export const LONG_MARKET_DAYS = 400;
/** Longest market: ten years and a little of Hong Kong settlement days (about 248 a year). */
export const MAX_MARKET_DAYS = 2600;

const DAYS_PER_YEAR = 248;

/** Per year of market, the share of the universe that lists after the first day, delists before the last, … */
const LISTING_RATE = 0.045;
const DELISTING_RATE = 0.03;
const BROKER_JOIN_RATE = 0.03;
const BROKER_LEAVE_RATE = 0.025;
const RENAME_RATE = 0.025;
/** Custodians come and go at half the brokers' rate; clearing agencies and investors never do. */
const CUSTODIAN_FACTOR = 0.5;
/** A security listed later, or delisted, is listed for at least this many settlement days. */
const MIN_LISTED_DAYS = 20;

const RENAME_WORDS = ["NEW HORIZON", "PACIFIC UNION", "GREAT BAY", "SUMMIT", "EVERBRIGHT", "PRIME ORIENT", "CROWN", "ZENITH"];

export interface ParticipantRename {
  participant_id: string;
  /** First settlement day (index into the market's dates) showing `name`. */
  day: number;
  old_name: string;
  name: string;
}

export interface Lifecycle {
  /** Per universe stock: first listed day (index into dates) and one past its last listed day. */
  listFrom: Int32Array;
  listTo: Int32Array;
  /** Per participant (index into participants.all): first active day and one past its last. */
  activeFrom: Int32Array;
  activeTo: Int32Array;
  /** Participant index → its rename (at most one each). */
  renames: Map<number, ParticipantRename>;
}

/** Whole-window lives: what a short market has (everything listed and active on every day). */
export function fullWindow(stocks: number, participants: number, days: number): Lifecycle {
  return {
    listFrom: new Int32Array(stocks),
    listTo: new Int32Array(stocks).fill(days),
    activeFrom: new Int32Array(participants),
    activeTo: new Int32Array(participants).fill(days),
    renames: new Map(),
  };
}

/** A window [from, to) inside [0, days): starts later with probability `pLate`, ends early with `pEarly`. */
function drawWindow(rng: Rng, days: number, pLate: number, pEarly: number): [number, number] {
  let from = 0;
  let to = days;
  if (rng.chance(pLate) && days > 2 * MIN_LISTED_DAYS) from = 1 + rng.int(days - 2 * MIN_LISTED_DAYS);
  if (rng.chance(pEarly) && to - from > 2 * MIN_LISTED_DAYS) to = from + MIN_LISTED_DAYS + rng.int(to - from - MIN_LISTED_DAYS);
  return [from, to];
}

/** Lives for a market of `days` settlement days; a short market gets `fullWindow`. */
export function buildLifecycle(seed: number, stocks: readonly UniverseStock[], participants: ParticipantUniverse, days: number): Lifecycle {
  const life = fullWindow(stocks.length, participants.all.length, days);
  if (days <= LONG_MARKET_DAYS) return life;
  const years = days / DAYS_PER_YEAR;
  const listing = Math.min(0.45, LISTING_RATE * years);
  const delisting = Math.min(0.3, DELISTING_RATE * years);
  stocks.forEach((s, i) => {
    const [from, to] = drawWindow(Rng.of(seed, "listing", s.code), days, listing, delisting);
    life.listFrom[i] = from;
    life.listTo[i] = to;
  });
  participants.all.forEach((p, i) => {
    if (p.type !== "B" && p.type !== "C") return;
    const f = p.type === "B" ? 1 : CUSTODIAN_FACTOR;
    const rng = Rng.of(seed, "participant-life", p.id as string);
    const [from, to] = drawWindow(rng, days, Math.min(0.3, BROKER_JOIN_RATE * f * years), Math.min(0.25, BROKER_LEAVE_RATE * f * years));
    life.activeFrom[i] = from;
    life.activeTo[i] = to;
    if (rng.chance(Math.min(0.25, RENAME_RATE * f * years)) && to - from > 2) {
      life.renames.set(i, { participant_id: p.id as string, day: from + 1 + rng.int(to - from - 1), old_name: p.name, name: renamed(rng, p) });
    }
  });
  return life;
}

/** The new name of a renamed participant: a new brand in front of its kind ("… SECURITIES LIMITED"). */
function renamed(rng: Rng, p: UniverseParticipant): string {
  const words = p.name.split(" ");
  const kind = words.slice(p.type === "B" ? 2 : 1).join(" ");
  return `${rng.pick(RENAME_WORDS)} ${kind}`;
}

/** Name of participant `index` on day `t`. */
export function nameOn(life: Lifecycle, index: number, p: UniverseParticipant, t: number): string {
  const r = life.renames.get(index);
  return r !== undefined && t >= r.day ? r.name : p.name;
}

export function isActive(life: Lifecycle, index: number, t: number): boolean {
  return life.activeFrom[index]! <= t && t < life.activeTo[index]!;
}

export function isListed(life: Lifecycle, stockIndex: number, t: number): boolean {
  return life.listFrom[stockIndex]! <= t && t < life.listTo[stockIndex]!;
}
