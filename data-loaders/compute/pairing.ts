// Pair the sellers and buyers of one stock-day into likely transfers. Input: every position that
// moved by at least the floor that day (split-adjusted shares) and the stock's own noise level. A
// transfer from A to B shows as A falling and B rising by about the same amount; several buyers
// can share one seller (a custodian distributing a block to brokers) and the reverse.
//
// 1. Tolerance from the stock's noise. The parties of a transfer often trade on their own the same
//    day, so the two changes differ by about what the stock's positions usually move in a day
//    (`noise`, the median over the stock's days of the mean absolute change of the positions that
//    moved). Matched amounts may differ by `relTolerance` of the amount plus `noiseTolerance` ×
//    noise. A mover smaller than `standout` × noise looks like every other day's flows: it is never
//    paired, so unrelated small movers on a quiet day are left alone.
// 2. The day's pairs are chosen together. Every candidate set (one-to-one, one seller to 2..maxSplit
//    buyers, 2..maxSplit sellers to one buyer) gets a value that falls with its mismatch, and the
//    disjoint sets with the largest total value win (an exact search over each group of competing
//    sets; they are small). So on a day with several similar blocks the best overall pairing wins,
//    not the first close match. Assignment libraries (Hungarian method, min-cost flow) solve the
//    one-to-one part only: a split must match a sum exactly, which they cannot express.
// 3. Each pair's confidence is a probability fitted to the noisy replica (bench/fit-confidence.ts):
//    among pairs reported with confidence about 0.9, about 90 % were planted transfers there.

export interface Mover {
  key: string;
  /** Day-over-day change in shares (split-adjusted): negative for sellers. */
  change: number;
}

/** What the pairing knows of the stock-day beyond its movers. */
export interface DayNoise {
  /** Issued shares that day (split-adjusted, like the changes). */
  issued: number;
  /** The stock's usual absolute change of a moving position, percent of issued (0: unknown). */
  noisePct: number;
}

export type MatchKind = "one-to-one" | "one-to-many" | "many-to-one";

/** What a pair's confidence is computed from (also what bench/fit-confidence.ts fits on). */
export interface Evidence {
  /** Mismatch of the set's amounts ÷ its tolerance, 0..1. */
  mismatch: number;
  /** Smallest mover of the set ÷ the stock's noise (capped at 1000). */
  standout: number;
  /** Smallest mover of the set, percent of issued. */
  sizePct: number;
  /** How much worse the day's best pairing is without this set, ÷ the set's value, 0..1. */
  margin: number;
  /** Counterparts on the split side (1 for one-to-one). */
  legs: number;
  /** Movers that day. */
  movers: number;
}

export interface Pair {
  seller: string;
  buyer: string;
  shares: number;
  match: MatchKind;
  /** Index of the matched set within the day (several rows share it for one-to-many). */
  set: number;
  confidence: number;
  evidence: Evidence;
}

export interface PairingOptions {
  /** Part of the tolerance proportional to the amount (0.02 = 2 %). */
  relTolerance: number;
  /** Part of the tolerance in units of the stock's noise. */
  noiseTolerance: number;
  /** Movers below this many times the stock's noise are never paired. */
  standout: number;
  /** Most counterparts one side of a split set may have. */
  maxSplit: number;
}

export const DEFAULT_PAIRING: PairingOptions = { relTolerance: 0.02, noiseTolerance: 2, standout: 3, maxSplit: 3 };

/** Value lost per extra counterpart of a split: a split must fit clearly better than a one-to-one. */
const SPLIT_COST = 0.2;
/**
 * Competing sets above this count are chosen greedily instead of by exact search, and an exact
 * search stops after NODE_BUDGET steps with the best found. Large groups are made of movers close
 * to the noise (many similar small amounts), whose pairs carry little confidence anyway; searching
 * them exhaustively made the pairing 5× slower on the default replica.
 */
const EXACT_LIMIT = 14;
const NODE_BUDGET = 4000;
/** Most candidate splits kept per mover on the big side (closest sums first). */
const SPLITS_PER_MOVER = 3;

/**
 * The confidence: a logistic score of the evidence, then an increasing map from score to the share
 * of planted transfers among the training pairs with that score (isotonic regression), so that the
 * number reads as a probability. Both fitted by bench/fit-confidence.ts on every pair of the noisy
 * and the default replica (seed 3, 400 stocks × 120 days, transfers planted from 0.05 % of issued
 * up: issue #24); measured on seed 1 by bench/transfers.bench.ts.
 */
export const CONFIDENCE_COEFFICIENTS = { intercept: -1.772, mismatch: -2.999, logStandout: 5.188, margin: -4.296, split: 4.218, logMovers: -1.339, logSizePct: 1.33, ambiguity: -3.136 };
/** Knots of the score → probability map: scores ascending, and the probability at each. */
export const CONFIDENCE_MAP: { score: readonly number[]; p: readonly number[] } = {
  score: [0.000192, 0.000701, 0.001364, 0.001739, 0.002353, 0.003668, 0.004459, 0.004855, 0.00688, 0.009186, 0.012211, 0.017319, 0.021339, 0.027942, 0.034209, 0.039995, 0.048411, 0.057136, 0.069684, 0.092446, 0.153758, 0.261525, 0.590326, 0.986745],
  p: [0, 0, 0.001, 0.002, 0.004, 0.005, 0.005, 0.008, 0.009, 0.009, 0.011, 0.013, 0.02, 0.022, 0.025, 0.028, 0.038, 0.045, 0.054, 0.076, 0.17, 0.295, 0.597, 0.993],
};

interface Side {
  key: string;
  amount: number;
}

/** A candidate set: the big mover and its counterparts (indexes into sellers or buyers). */
interface Cand {
  /** true: one seller (big) to buyers; false: sellers to one buyer (big). A one-to-one is bigIsSeller with one part. */
  bigIsSeller: boolean;
  big: number;
  /** The big mover's amount. */
  amount: number;
  /** Counterparts, largest first. */
  parts: number[];
  mismatch: number;
  standout: number;
  value: number;
  /** The set's smallest mover. */
  smallest: number;
  /** Mover ids (sellers 0..S-1, buyers S..S+B-1) for conflict checks. */
  ids: number[];
  /** Set once chosen: how much the best total drops without it, ÷ its value. */
  margin: number;
}

const byAmountThenKey = (a: Side, b: Side) => b.amount - a.amount || (a.key < b.key ? -1 : 1);
const byValue = (a: Cand, b: Cand) => b.value - a.value || a.mismatch - b.mismatch;
const byAmount = (a: Cand, b: Cand) => b.amount - a.amount || b.value - a.value;

/**
 * Runs once per stock-day with movers on both sides (378,000 times for the full-market year), so
 * it defines no functions inside: under tsx every closure made per call is also named through
 * Object.defineProperty (esbuild's keepNames), which with the garbage it made cost 2.7–3.4 s for
 * the year; the same pairing with module-level helpers takes 0.7–1.1 s (identical pairs).
 */
export function pairDay(movers: readonly Mover[], day: DayNoise, options: PairingOptions = DEFAULT_PAIRING): Pair[] {
  const noise = (day.noisePct / 100) * day.issued;
  const minAmount = options.standout * noise;
  const sellers: Side[] = [];
  const buyers: Side[] = [];
  for (const m of movers) {
    const amount = Math.abs(m.change);
    if (amount < minAmount || amount === 0) continue; // as small as the stock's everyday flows
    if (m.change < 0) sellers.push({ key: m.key, amount });
    else buyers.push({ key: m.key, amount });
  }
  // most stock-days move on one side only (deposits, withdrawals): nothing to pair
  if (sellers.length === 0 || buyers.length === 0) return [];
  sellers.sort(byAmountThenKey);
  buyers.sort(byAmountThenKey);
  const ctx: DayCtx = { sellers, buyers, noise, issued: day.issued, options, cands: [] };
  for (let si = 0; si < sellers.length; si++) {
    const sa = sellers[si]!.amount;
    for (let bi = 0; bi < buyers.length; bi++) {
      const ba = buyers[bi]!.amount;
      // most pairs are far apart: check before making the candidate
      if (Math.abs(sa - ba) <= tolerance(ctx, Math.max(sa, ba))) addCandidate(ctx, true, si, [bi], ba);
    }
  }
  if (options.maxSplit >= 2) {
    splitCandidates(ctx, true);
    splitCandidates(ctx, false);
  }
  if (ctx.cands.length === 0) return [];
  const only = ctx.cands[0]!;
  if (ctx.cands.length === 1 && only.value <= 0) return [];
  if (ctx.cands.length === 1) only.margin = 1; // one candidate (most days): nothing competes with it
  const chosen = ctx.cands.length === 1 ? ctx.cands : choose(ctx.cands, sellers.length + buyers.length);
  return emit(ctx, chosen, movers.length);
}

interface DayCtx {
  sellers: Side[];
  buyers: Side[];
  noise: number;
  issued: number;
  options: PairingOptions;
  cands: Cand[];
}

/** The tolerance for matched amounts around `amount`. */
function tolerance(ctx: DayCtx, amount: number): number {
  return ctx.options.relTolerance * amount + ctx.options.noiseTolerance * ctx.noise;
}

/** Add the set (big, parts) when `sum` of the parts matches the big mover within the tolerance. */
function addCandidate(ctx: DayCtx, bigIsSeller: boolean, big: number, parts: number[], sum: number): void {
  const bigSide = bigIsSeller ? ctx.sellers : ctx.buyers;
  const target = bigSide[big]!.amount;
  const tol = tolerance(ctx, Math.max(target, sum));
  const diff = Math.abs(target - sum);
  if (diff > tol) return;
  const mismatch = tol > 0 ? diff / tol : 0;
  const smallSide = bigIsSeller ? ctx.buyers : ctx.sellers;
  let smallest = target;
  for (const p of parts) if (smallSide[p]!.amount < smallest) smallest = smallSide[p]!.amount;
  const ids: number[] = [];
  const nS = ctx.sellers.length;
  ids.push(bigIsSeller ? big : nS + big);
  for (const p of parts) ids.push(bigIsSeller ? nS + p : p);
  ctx.cands.push({
    bigIsSeller,
    big,
    amount: target,
    smallest,
    parts,
    mismatch,
    standout: ctx.noise > 0 ? Math.min(1000, smallest / ctx.noise) : 1000,
    value: setValue(mismatch, parts.length, ctx.noise > 0 ? smallest / ctx.noise : Infinity, ctx.options.standout),
    ids,
    margin: 0,
  });
}

/**
 * What a candidate set is worth in the day's pairing: 1 for an exact one-to-one far above the
 * noise, less for a mismatch (up to 0.5 at the tolerance), for each extra counterpart of a split,
 * and for a smallest mover close to the noise (0.5 at the standout limit, a quarter of that at twice it).
 */
function setValue(mismatch: number, parts: number, standout: number, limit: number): number {
  const nearNoise = limit / standout;
  return 1 - 0.5 * mismatch * mismatch - SPLIT_COST * (parts - 1) - 0.5 * nearNoise * nearNoise;
}

/**
 * Splits with each mover of one side as the big mover: combinations of 2..maxSplit counterparts
 * whose sum matches it, the closest few kept.
 */
function splitCandidates(ctx: DayCtx, bigIsSeller: boolean): void {
  const big = bigIsSeller ? ctx.sellers : ctx.buyers;
  const small = bigIsSeller ? ctx.buyers : ctx.sellers;
  if (small.length < 2) return;
  for (let gi = 0; gi < big.length; gi++) {
    const target = big[gi]!.amount;
    const tol = tolerance(ctx, target);
    const search: SplitSearch = { small, low: target - tol, high: target + tol, target, maxSplit: ctx.options.maxSplit, found: [] };
    searchSplits(search, 0, [], 0);
    if (search.found.length === 0) continue;
    search.found.sort(byDiff);
    for (let k = 0; k < search.found.length && k < SPLITS_PER_MOVER; k++) {
      const f = search.found[k]!;
      addCandidate(ctx, bigIsSeller, gi, f.idx, f.sum);
    }
  }
}

interface SplitSearch {
  small: Side[];
  low: number;
  high: number;
  target: number;
  maxSplit: number;
  found: { idx: number[]; sum: number; diff: number }[];
}

const byDiff = (a: { diff: number; idx: number[] }, b: { diff: number; idx: number[] }) => a.diff - b.diff || a.idx.length - b.idx.length;

function searchSplits(s: SplitSearch, start: number, chosen: number[], sum: number): void {
  if (chosen.length >= 2 && sum >= s.low && sum <= s.high) s.found.push({ idx: [...chosen], sum, diff: Math.abs(sum - s.target) });
  const slots = s.maxSplit - chosen.length;
  if (slots === 0 || s.found.length > 50) return;
  // the side is sorted largest first: skip (by bisection) the ones that would overshoot
  let j = start;
  let hi = s.small.length;
  while (j < hi) {
    const mid = (j + hi) >>> 1;
    if (sum + s.small[mid]!.amount > s.high) j = mid + 1;
    else hi = mid;
  }
  for (; j < s.small.length; j++) {
    const amount = s.small[j]!.amount;
    // if even `slots` copies of this one fall short, so do all smaller ones: stop
    if (sum + slots * amount < s.low) break;
    const next = sum + amount;
    chosen.push(j);
    searchSplits(s, j + 1, chosen, next);
    chosen.pop();
  }
}

/**
 * The disjoint candidate sets of largest total value. Candidates that share no mover do not
 * compete, so each group of competing candidates (a connected component) is solved on its own.
 */
function choose(cands: Cand[], moverCount: number): Cand[] {
  // union-find over movers, joined by the candidates' members
  const parent = new Int32Array(moverCount);
  for (let i = 0; i < moverCount; i++) parent[i] = i;
  for (const c of cands) for (let k = 1; k < c.ids.length; k++) union(parent, c.ids[0]!, c.ids[k]!);
  const groups = new Map<number, Cand[]>();
  for (const c of cands) {
    const root = find(parent, c.ids[0]!);
    const g = groups.get(root);
    if (g) g.push(c);
    else groups.set(root, [c]);
  }
  const out: Cand[] = [];
  const used = new Uint8Array(moverCount);
  for (const group of groups.values()) {
    if (group.length === 1) {
      // no competitor (most stock-days): taken when worth anything, and nothing else explains it
      const c = group[0]!;
      if (c.value > 0) {
        c.margin = 1;
        out.push(c);
      }
      continue;
    }
    group.sort(byValue);
    const best = solve(group, used, -1);
    for (const i of best.picked) {
      const without = solve(group, used, i);
      const c = group[i]!;
      c.margin = c.value > 0 ? Math.max(0, Math.min(1, (best.total - without.total) / c.value)) : 0;
      out.push(c);
    }
  }
  return out;
}

function find(parent: Int32Array, i: number): number {
  while (parent[i] !== i) {
    parent[i] = parent[parent[i]!]!;
    i = parent[i]!;
  }
  return i;
}

function union(parent: Int32Array, a: number, b: number): void {
  const ra = find(parent, a);
  const rb = find(parent, b);
  if (ra !== rb) parent[ra] = rb;
}

interface Search {
  group: Cand[];
  used: Uint8Array;
  banned: number;
  /** suffix[i]: sum of the positive values of group[i..] (the bound). */
  suffix: Float64Array;
  picked: number[];
  total: number;
  bestPicked: number[];
  bestTotal: number;
  /** Steps left before the search settles for the best found. */
  budget: number;
}

/** Best disjoint subset of `group` (sorted by value), never using index `banned`. */
function solve(group: Cand[], used: Uint8Array, banned: number): { picked: number[]; total: number } {
  if (group.length > EXACT_LIMIT) return greedy(group, used, banned);
  const suffix = new Float64Array(group.length + 1);
  for (let i = group.length - 1; i >= 0; i--) suffix[i] = suffix[i + 1]! + Math.max(0, group[i]!.value);
  const s: Search = { group, used, banned, suffix, picked: [], total: 0, bestPicked: [], bestTotal: 0, budget: NODE_BUDGET };
  dfs(s, 0);
  return { picked: s.bestPicked, total: s.bestTotal };
}

function dfs(s: Search, i: number): void {
  if (s.total > s.bestTotal + 1e-12) {
    s.bestTotal = s.total;
    s.bestPicked = [...s.picked];
  }
  if (i >= s.group.length || s.total + s.suffix[i]! <= s.bestTotal + 1e-12 || --s.budget < 0) return;
  const c = s.group[i]!;
  if (i !== s.banned && c.value > 0 && fits(s.used, c)) {
    mark(s.used, c, 1);
    s.picked.push(i);
    s.total += c.value;
    dfs(s, i + 1);
    s.total -= c.value;
    s.picked.pop();
    mark(s.used, c, 0);
  }
  dfs(s, i + 1);
}

function greedy(group: Cand[], used: Uint8Array, banned: number): { picked: number[]; total: number } {
  const picked: number[] = [];
  let total = 0;
  for (let i = 0; i < group.length; i++) {
    const c = group[i]!;
    if (i === banned || c.value <= 0 || !fits(used, c)) continue;
    mark(used, c, 1);
    picked.push(i);
    total += c.value;
  }
  for (const i of picked) mark(used, group[i]!, 0);
  return { picked, total };
}

function fits(used: Uint8Array, c: Cand): boolean {
  for (const id of c.ids) if (used[id] === 1) return false;
  return true;
}

function mark(used: Uint8Array, c: Cand, v: number): void {
  for (const id of c.ids) used[id] = v;
}

/** Pairs of the chosen sets, largest big mover first, with their confidence. */
function emit(ctx: DayCtx, sets: Cand[], moverCount: number): Pair[] {
  sets.sort(byAmount);
  const out: Pair[] = [];
  for (let n = 0; n < sets.length; n++) {
    const c = sets[n]!;
    const evidence: Evidence = {
      mismatch: round3(c.mismatch),
      standout: round3(c.standout),
      sizePct: (c.smallest * 100) / ctx.issued,
      margin: round3(c.margin),
      legs: c.parts.length,
      movers: moverCount,
    };
    const confidence = confidenceOf(evidence);
    const big = (c.bigIsSeller ? ctx.sellers : ctx.buyers)[c.big]!;
    const small = c.bigIsSeller ? ctx.buyers : ctx.sellers;
    const match: MatchKind = c.parts.length === 1 ? "one-to-one" : c.bigIsSeller ? "one-to-many" : "many-to-one";
    for (const p of c.parts) {
      const x = small[p]!;
      out.push({
        seller: c.bigIsSeller ? big.key : x.key,
        buyer: c.bigIsSeller ? x.key : big.key,
        shares: c.parts.length === 1 ? Math.min(big.amount, x.amount) : x.amount,
        match,
        set: n,
        confidence,
        evidence,
      });
    }
  }
  return out;
}

/** The most a set can be worth when another pairing explains its day exactly as well: a coin toss. */
const TIE_CONFIDENCE = 0.5;

/** The calibrated probability that a set is a real transfer, from its evidence. */
export function confidenceOf(e: Evidence): number {
  const k = CONFIDENCE_COEFFICIENTS;
  const z =
    k.intercept +
    k.mismatch * e.mismatch +
    k.logStandout * Math.log(Math.max(1, e.standout)) +
    k.margin * e.margin +
    k.split * (e.legs > 1 ? 1 : 0) +
    k.logMovers * Math.log(e.movers) +
    k.logSizePct * Math.log(e.sizePct) +
    // a large set that another pairing explains almost as well (a busy day's similar blocks)
    k.ambiguity * (1 - e.margin) * Math.log(Math.max(1, e.standout));
  // never 0: every reported pair has some chance of being real (and the published range stays (0, 1])
  const p = Math.max(0.001, round3(mapScore(1 / (1 + Math.exp(-z)))));
  // margin 0: another pairing of the day explains it exactly as well (two equal sellers, one buyer),
  // so at most one of them is real; the fitted score barely sees such ties (the replicas plant few)
  return e.margin === 0 ? Math.min(p, TIE_CONFIDENCE) : p;
}

/**
 * Linear interpolation in CONFIDENCE_MAP: flat below its first knot; above its last one, on to
 * (1, 1). The isotonic map's top block (scores from about 0.99, observed share 0.993) is flat, which
 * would give a unique exact block and one that another pairing explains almost as well the same
 * confidence: the last stretch keeps the score's order, within 0.007 of the block's observed share.
 */
function mapScore(x: number): number {
  const { score, p } = CONFIDENCE_MAP;
  if (x <= score[0]!) return p[0]!;
  for (let i = 1; i < score.length; i++) {
    if (x <= score[i]!) {
      const span = score[i]! - score[i - 1]!;
      return span > 0 ? p[i - 1]! + ((p[i]! - p[i - 1]!) * (x - score[i - 1]!)) / span : p[i]!;
    }
  }
  const lastScore = score[score.length - 1]!;
  const lastP = p[p.length - 1]!;
  return lastScore < 1 ? lastP + ((1 - lastP) * (Math.min(1, x) - lastScore)) / (1 - lastScore) : lastP;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
