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

export function pairDay(movers: readonly Mover[], options: PairingOptions = DEFAULT_PAIRING): Pair[] {
  const tol = options.tolerance;
  // most stock-days move on one side only (deposits, withdrawals): nothing to pair
  let hasSeller = false;
  let hasBuyer = false;
  for (const m of movers) {
    if (m.change < 0) hasSeller = true;
    else if (m.change > 0) hasBuyer = true;
  }
  if (!hasSeller || !hasBuyer) return [];
  const sellers = movers.filter((m) => m.change < 0).map((m) => ({ key: m.key, amount: -m.change }));
  const buyers = movers.filter((m) => m.change > 0).map((m) => ({ key: m.key, amount: m.change }));
  sellers.sort((a, b) => b.amount - a.amount || (a.key < b.key ? -1 : 1));
  buyers.sort((a, b) => b.amount - a.amount || (a.key < b.key ? -1 : 1));
  const usedS = new Set<number>();
  const usedB = new Set<number>();
  const out: Pair[] = [];
  let set = 0;
  // Crowding: the more movers compete, the likelier a chance match.
  const crowd = Math.max(0, Math.min(sellers.length, buyers.length) - 1);
  const crowdFactor = 1 / (1 + 0.05 * crowd);

  // 1. one-to-one, best matches first
  const cands: { s: number; b: number; diff: number }[] = [];
  sellers.forEach((s, si) =>
    buyers.forEach((b, bi) => {
      const diff = relDiff(s.amount, b.amount);
      if (diff <= tol) cands.push({ s: si, b: bi, diff });
    }),
  );
  const rivals = (si: number, bi: number) => cands.filter((c) => c.s === si || c.b === bi).length - 1;
  cands.sort((x, y) => x.diff - y.diff || sellers[y.s]!.amount - sellers[x.s]!.amount);
  for (const c of cands) {
    if (usedS.has(c.s) || usedB.has(c.b)) continue;
    usedS.add(c.s);
    usedB.add(c.b);
    const s = sellers[c.s]!;
    const b = buyers[c.b]!;
    const ambiguity = rivals(c.s, c.b) > 0 ? 0.8 : 1;
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
  const splitPass = (
    big: { key: string; amount: number }[],
    usedBig: Set<number>,
    small: { key: string; amount: number }[],
    usedSmall: Set<number>,
    bigIsSeller: boolean,
  ) => {
    if (usedBig.size === big.length || small.length - usedSmall.size < 2) return; // nothing left to split
    big.forEach((g, gi) => {
      if (usedBig.has(gi)) return;
      const pool = small
        .map((x, i) => ({ ...x, i }))
        .filter((x) => !usedSmall.has(x.i) && x.amount < g.amount * (1 + tol))
        .slice(0, 30);
      let best: { idx: number[]; diff: number } | null = null;
      const low = g.amount * (1 - tol);
      const high = g.amount * (1 + tol);
      const search = (start: number, chosen: number[], sum: number) => {
        if (chosen.length >= 2) {
          const diff = relDiff(g.amount, sum);
          if (diff <= tol && (!best || diff < best.diff || (diff === best.diff && chosen.length < best.idx.length)))
            best = { idx: [...chosen], diff };
        }
        const slots = options.maxSplit - chosen.length;
        if (slots === 0) return;
        for (let j = start; j < pool.length; j++) {
          const amount = pool[j]!.amount;
          // the pool is sorted largest first: if even `slots` copies of this one fall short, stop
          if (sum + slots * amount < low) break;
          const next = sum + amount;
          if (next > high) continue;
          chosen.push(j);
          search(j + 1, chosen, next);
          chosen.pop();
        }
      };
      search(0, [], 0);
      const found = best as { idx: number[]; diff: number } | null;
      if (!found) return;
      usedBig.add(gi);
      const id = set++;
      for (const j of found.idx) {
        const x = pool[j]!;
        usedSmall.add(x.i);
        out.push({
          seller: bigIsSeller ? g.key : x.key,
          buyer: bigIsSeller ? x.key : g.key,
          shares: x.amount,
          match: bigIsSeller ? "one-to-many" : "many-to-one",
          set: id,
          confidence: round3(closeness(found.diff, tol) * 0.8 * crowdFactor),
        });
      }
    });
  };
  splitPass(sellers, usedS, buyers, usedB, true);
  splitPass(buyers, usedB, sellers, usedS, false);
  return out;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
