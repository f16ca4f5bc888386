// Pair the sellers and buyers of one stock-day into likely transfers. Input: every position that
// moved by at least the floor that day (split-adjusted shares). A transfer from A to B shows as A
// falling and B rising by about the same amount; several buyers can share one seller (a custodian
// distributing a block to brokers) and the reverse. Greedy, closest match first, so one mover is
// never used twice.

export interface Mover {
  key: string;
  /** Day-over-day change in shares (split-adjusted): negative for sellers. */
  change: number;
}

export type MatchKind = "one-to-one" | "one-to-many" | "many-to-one";

export interface Pair {
  seller: string;
  buyer: string;
  shares: number;
  match: MatchKind;
  /** Index of the matched set within the day (several rows share it for one-to-many). */
  set: number;
  confidence: number;
}

export interface PairingOptions {
  /** Largest relative difference between matched amounts (0.02 = 2 %). */
  tolerance: number;
  /** Most counterparts one side of a split set may have. */
  maxSplit: number;
}

export const DEFAULT_PAIRING: PairingOptions = { tolerance: 0.02, maxSplit: 3 };

const relDiff = (a: number, b: number) => Math.abs(a - b) / Math.max(a, b);

/** 1 for an exact match, falling linearly to 0.5 at the tolerance. */
function closeness(diff: number, tol: number): number {
  return 1 - 0.5 * (tol > 0 ? diff / tol : 0);
}

interface Side {
  key: string;
  amount: number;
}

const byAmountThenKey = (a: Side, b: Side) => b.amount - a.amount || (a.key < b.key ? -1 : 1);

/**
 * Runs once per stock-day with movers on both sides (378,000 times for the full-market year), so
 * it defines no functions inside: under tsx every closure made per call is also named through
 * Object.defineProperty (esbuild's keepNames), which with the garbage it made cost 2.7–3.4 s for
 * the year; the same pairing with module-level helpers takes 0.7–1.1 s (identical pairs).
 */
export function pairDay(movers: readonly Mover[], options: PairingOptions = DEFAULT_PAIRING): Pair[] {
  const tol = options.tolerance;
  const sellers: Side[] = [];
  const buyers: Side[] = [];
  for (const m of movers) {
    if (m.change < 0) sellers.push({ key: m.key, amount: -m.change });
    else if (m.change > 0) buyers.push({ key: m.key, amount: m.change });
  }
  // most stock-days move on one side only (deposits, withdrawals): nothing to pair
  if (sellers.length === 0 || buyers.length === 0) return [];
  sellers.sort(byAmountThenKey);
  buyers.sort(byAmountThenKey);
  const usedS = new Set<number>();
  const usedB = new Set<number>();
  const out: Pair[] = [];
  let set = 0;
  // Crowding: the more movers compete, the likelier a chance match.
  const crowd = Math.max(0, Math.min(sellers.length, buyers.length) - 1);
  const crowdFactor = 1 / (1 + 0.05 * crowd);

  // 1. one-to-one, best matches first. A candidate's rivals are the other candidates sharing its
  // seller or its buyer.
  const cands: { s: number; b: number; diff: number }[] = [];
  const perSeller = new Array<number>(sellers.length).fill(0);
  const perBuyer = new Array<number>(buyers.length).fill(0);
  for (let si = 0; si < sellers.length; si++) {
    const sa = sellers[si]!.amount;
    for (let bi = 0; bi < buyers.length; bi++) {
      const ba = buyers[bi]!.amount;
      const diff = Math.abs(sa - ba) / Math.max(sa, ba);
      if (diff <= tol) {
        cands.push({ s: si, b: bi, diff });
        perSeller[si]!++;
        perBuyer[bi]!++;
      }
    }
  }
  if (cands.length > 1) cands.sort((x, y) => x.diff - y.diff || sellers[y.s]!.amount - sellers[x.s]!.amount);
  for (const c of cands) {
    if (usedS.has(c.s) || usedB.has(c.b)) continue;
    usedS.add(c.s);
    usedB.add(c.b);
    const s = sellers[c.s]!;
    const b = buyers[c.b]!;
    const ambiguity = perSeller[c.s]! + perBuyer[c.b]! > 2 ? 0.8 : 1;
    out.push({
      seller: s.key,
      buyer: b.key,
      shares: Math.min(s.amount, b.amount),
      match: "one-to-one",
      set: set++,
      confidence: round3(closeness(c.diff, tol) * ambiguity * crowdFactor),
    });
  }

  // 2. one side split among 2..maxSplit counterparts whose sum matches
  const day: DayState = { tol, maxSplit: options.maxSplit, crowdFactor, out, set };
  splitPass(day, sellers, usedS, buyers, usedB, true);
  splitPass(day, buyers, usedB, sellers, usedS, false);
  return out;
}

/** What the split pass shares across its calls for one day. */
interface DayState {
  tol: number;
  maxSplit: number;
  crowdFactor: number;
  out: Pair[];
  /** Next set index. */
  set: number;
}

/** A counterpart that may take part in a split: its index on its side, and its amount. */
interface PoolEntry {
  i: number;
  key: string;
  amount: number;
}

/**
 * Match each unmatched mover of `big` with 2..maxSplit unmatched movers of `small` whose amounts
 * sum to it within the tolerance (the closest sum wins, then the fewest counterparts).
 */
function splitPass(day: DayState, big: Side[], usedBig: Set<number>, small: Side[], usedSmall: Set<number>, bigIsSeller: boolean) {
  if (usedBig.size === big.length || small.length - usedSmall.size < 2) return; // nothing left to split
  const { tol } = day;
  for (let gi = 0; gi < big.length; gi++) {
    if (usedBig.has(gi)) continue;
    const g = big[gi]!;
    const pool: PoolEntry[] = [];
    for (let i = 0; i < small.length && pool.length < 30; i++) {
      const x = small[i]!;
      if (!usedSmall.has(i) && x.amount < g.amount * (1 + tol)) pool.push({ i, key: x.key, amount: x.amount });
    }
    const found = bestSplit(pool, g.amount, tol, day.maxSplit);
    if (!found) continue;
    usedBig.add(gi);
    const id = day.set++;
    for (const j of found.idx) {
      const x = pool[j]!;
      usedSmall.add(x.i);
      day.out.push({
        seller: bigIsSeller ? g.key : x.key,
        buyer: bigIsSeller ? x.key : g.key,
        shares: x.amount,
        match: bigIsSeller ? "one-to-many" : "many-to-one",
        set: id,
        confidence: round3(closeness(found.diff, tol) * 0.8 * day.crowdFactor),
      });
    }
  }
}

/** The best combination of 2..maxSplit pool entries (indexes, largest first) summing to `target`. */
function bestSplit(pool: PoolEntry[], target: number, tol: number, maxSplit: number): { idx: number[]; diff: number } | null {
  const search = { pool, target, tol, maxSplit, low: target * (1 - tol), high: target * (1 + tol), best: null as { idx: number[]; diff: number } | null };
  searchSplits(search, 0, [], 0);
  return search.best;
}

function searchSplits(
  s: { pool: PoolEntry[]; target: number; tol: number; maxSplit: number; low: number; high: number; best: { idx: number[]; diff: number } | null },
  start: number,
  chosen: number[],
  sum: number,
) {
  if (chosen.length >= 2) {
    const diff = relDiff(s.target, sum);
    if (diff <= s.tol && (!s.best || diff < s.best.diff || (diff === s.best.diff && chosen.length < s.best.idx.length)))
      s.best = { idx: [...chosen], diff };
  }
  const slots = s.maxSplit - chosen.length;
  if (slots === 0) return;
  for (let j = start; j < s.pool.length; j++) {
    const amount = s.pool[j]!.amount;
    // the pool is sorted largest first: if even `slots` copies of this one fall short, stop
    if (sum + slots * amount < s.low) break;
    const next = sum + amount;
    if (next > s.high) continue;
    chosen.push(j);
    searchSplits(s, j + 1, chosen, next);
    chosen.pop();
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
