// The replica's noisy market (`--noise`): what real CCASS transfer days look like and the default
// replica leaves out. The default market plants clean transfers (the parties sit out the day's
// other flows, so seller and buyer change by exactly the same amount); with `noise` on:
// - the parties trade on their own the same day: a buyer's change differs from the transfer by up
//   to ±3 %, a seller's by up to ±0.5 %;
// - busy stock-days carry two to four separate transfers of similar size (within a third of each
//   other), so amounts alone can pair the wrong partners;
// - split sales go both ways: one seller to two or three buyers, or two or three sellers to one buyer;
// - a seller may sell out (its row disappears), a buyer may be new to the stock (its row appears),
//   and consenting investor participants take part as sellers and buyers;
// - every holder's day-to-day flows are three times the default's.
// The planted transfers (the amount that moved from seller to buyer, before either side's own
// trading) are the ground truth, as in the default market.
import type { Rng } from "./random.ts";
import { MAX_PIECE, MIN_PIECE, pieceSize } from "./transfer-size.ts";

/** The noise flows' cap is this many times the default market's. */
export const NOISY_FLOW_SCALE = 3;
/** Largest own trading of a transfer's buyer and seller, as a share of the transferred amount. */
export const BUYER_BLUR = 0.03;
export const SELLER_BLUR = 0.005;

/** What the planner sees of one stock on one day. Slots index the stock's state vector. */
export interface NoisyDayContext {
  state: Float64Array;
  issued: number;
  /** Broker and custodian slots. */
  intermediaries: readonly number[];
  /** Consenting investor slots whose name is unique in the stock (their key is unambiguous). */
  investors: readonly number[];
}

export interface NoisyLeg {
  seller: number;
  buyer: number;
  shares: number;
  /** Legs of one split sale (one-to-many or many-to-one) share a group number within the day. */
  group?: number;
}

export interface NoisyDayPlan {
  legs: NoisyLeg[];
  /** Each party's own trading that day, against holders outside CCASS: slot and signed shares. */
  ownTrades: { slot: number; shares: number }[];
}

/** Probabilities of the day's shape, given that the stock-day carries transfers. */
const BUSY_DAY = 0.3;
const SPLIT_DAY = 0.2;
const SELL_OUT = 0.15;
const NEWCOMER = 0.15;
const INVESTOR_PARTY = 0.1;

/**
 * Plan one noisy transfer day: its legs and the parties' own trading, or null when the stock has
 * no seller large enough. Every party takes part in one leg set only.
 */
export function planNoisyDay(rng: Rng, ctx: NoisyDayContext): NoisyDayPlan | null {
  const minPiece = Math.ceil(MIN_PIECE * ctx.issued);
  const maxPiece = Math.floor(MAX_PIECE * ctx.issued);
  const used = new Set<number>();
  const legs: NoisyLeg[] = [];
  const r = rng.next();
  if (r < BUSY_DAY) {
    // two to four one-to-one transfers of similar size
    const n = 2 + rng.int(3);
    const base = piece(rng, minPiece, maxPiece);
    for (let k = 0; k < n; k++) {
      const want = Math.max(minPiece, Math.min(maxPiece, Math.floor(base * Math.exp(rng.range(-0.3, 0.3)))));
      const leg = oneToOne(rng, ctx, used, want, minPiece);
      if (leg) legs.push(leg);
    }
  } else if (r < BUSY_DAY + SPLIT_DAY) {
    const parts = 2 + rng.int(2);
    const manyToOne = rng.chance(0.5);
    const big = manyToOne ? pickBuyer(rng, ctx, used) : pickSeller(rng, ctx, used, minPiece * parts * 1.05);
    if (big !== null) {
      used.add(big);
      for (let k = 0; k < parts; k++) {
        const want = piece(rng, minPiece, maxPiece);
        const other = manyToOne ? pickSeller(rng, ctx, used, want) : pickBuyer(rng, ctx, used);
        if (other === null) break;
        used.add(other);
        const shares = manyToOne ? want : Math.min(want, Math.floor(((ctx.state[big] as number) * 0.9) / parts));
        if (shares < minPiece) break;
        legs.push({ seller: manyToOne ? other : big, buyer: manyToOne ? big : other, shares, group: 0 });
      }
      if (legs.length === 1) delete legs[0]!.group; // only one counterpart found: a plain transfer
    }
  } else {
    const leg = oneToOne(rng, ctx, used, piece(rng, minPiece, maxPiece), minPiece);
    if (leg) legs.push(leg);
  }
  if (legs.length === 0) return null;
  const ownTrades: NoisyDayPlan["ownTrades"] = [];
  const soldOut = new Set<number>();
  const sold = new Map<number, number>();
  for (const leg of legs) sold.set(leg.seller, (sold.get(leg.seller) ?? 0) + leg.shares);
  for (const [seller, shares] of sold) if (shares >= (ctx.state[seller] as number)) soldOut.add(seller);
  for (const leg of legs) {
    ownTrades.push({ slot: leg.buyer, shares: Math.round(leg.shares * rng.range(-BUYER_BLUR, BUYER_BLUR)) });
    if (!soldOut.has(leg.seller) && rng.chance(0.5)) ownTrades.push({ slot: leg.seller, shares: Math.round(leg.shares * rng.range(-SELLER_BLUR, SELLER_BLUR)) });
  }
  return { legs, ownTrades };
}

/** Apply a plan to the state: the legs, then the own trading (against slot `outside`). */
export function applyNoisyDay(plan: NoisyDayPlan, state: Float64Array, outside: number): void {
  for (const leg of plan.legs) {
    state[leg.seller] = (state[leg.seller] as number) - leg.shares;
    state[leg.buyer] = (state[leg.buyer] as number) + leg.shares;
  }
  for (const t of plan.ownTrades) {
    const have = state[t.slot] as number;
    // own selling never takes a holder below zero, own buying never overdraws the outside pool
    const shares = t.shares < 0 ? Math.max(t.shares, -have) : Math.min(t.shares, state[outside] as number);
    state[t.slot] = have + shares;
    state[outside] = (state[outside] as number) - shares;
  }
}

function piece(rng: Rng, minPiece: number, maxPiece: number): number {
  return pieceSize(rng, minPiece, maxPiece);
}

/** One seller → one buyer of about `want` shares; sometimes the seller sells out instead. */
function oneToOne(rng: Rng, ctx: NoisyDayContext, used: Set<number>, want: number, minPiece: number): NoisyLeg | null {
  const sellOut = rng.chance(SELL_OUT);
  const seller = sellOut ? pickSellOut(rng, ctx, used, minPiece, want) : pickSeller(rng, ctx, used, want);
  if (seller === null) return null;
  used.add(seller);
  const buyer = pickBuyer(rng, ctx, used);
  if (buyer === null) return null;
  used.add(buyer);
  const shares = sellOut ? (ctx.state[seller] as number) : want;
  return { seller, buyer, shares };
}

/** A holder with at least `need` / 0.9 shares: one of the 15 largest, or an investor that large. */
function pickSeller(rng: Rng, ctx: NoisyDayContext, used: Set<number>, need: number): number | null {
  const enough: number[] = [];
  if (rng.chance(INVESTOR_PARTY)) for (const s of ctx.investors) if (!used.has(s) && (ctx.state[s] as number) * 0.9 >= need) enough.push(s);
  if (enough.length === 0) for (const s of ctx.intermediaries) if (!used.has(s) && (ctx.state[s] as number) * 0.9 >= need) enough.push(s);
  if (enough.length === 0) return null;
  enough.sort((a, b) => (ctx.state[b] as number) - (ctx.state[a] as number) || a - b);
  return enough[rng.int(Math.min(enough.length, 15))] as number;
}

/** A holder whose whole holding is a plausible block (about `want`, at least the minimum piece). */
function pickSellOut(rng: Rng, ctx: NoisyDayContext, used: Set<number>, minPiece: number, want: number): number | null {
  const fit: number[] = [];
  for (const s of ctx.intermediaries) {
    const have = ctx.state[s] as number;
    if (!used.has(s) && have >= minPiece && have <= Math.max(2 * want, 2 * minPiece)) fit.push(s);
  }
  return fit.length === 0 ? null : (fit[rng.int(fit.length)] as number);
}

/** A buyer: sometimes a newcomer (holding nothing yet) or an investor, else any intermediary. */
function pickBuyer(rng: Rng, ctx: NoisyDayContext, used: Set<number>): number | null {
  let from: number[] = [];
  const r = rng.next();
  if (r < NEWCOMER) from = ctx.intermediaries.filter((s) => !used.has(s) && (ctx.state[s] as number) === 0);
  else if (r < NEWCOMER + INVESTOR_PARTY) from = ctx.investors.filter((s) => !used.has(s));
  if (from.length === 0) from = ctx.intermediaries.filter((s) => !used.has(s));
  return from.length === 0 ? null : (from[rng.int(from.length)] as number);
}
