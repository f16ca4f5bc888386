// Fit the transfer pairs' confidence (CONFIDENCE_COEFFICIENTS in data-loaders/compute/pairing.ts): a
// logistic regression of "this pair is a planted transfer" on the pair's evidence, over the pairs
// of synthetic datasets with ground truth. Prints the coefficients to paste into pairing.ts.
//   npx tsx bench/fit-confidence.ts DATASET… [--threshold 0.5]
// The datasets come from `npm run synth-dataset` (use `--noise` for the noisy market); their
// analytics caches are built in a temporary folder. Fit on one seed, measure on another
// (bench/transfers.bench.ts), so the calibration table is not scored on its own training data.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { openAnalytics } from "../data-loaders/compute/cache.ts";
import { rows } from "../data-loaders/compute/duck.ts";
import { pairDay, type Evidence, type Mover } from "../data-loaders/compute/pairing.ts";
import { readTruth, truthKey } from "./transfer-score.ts";

/** The evidence as the regression's inputs, in CONFIDENCE_COEFFICIENTS order (after the intercept). */
export function features(e: Evidence): number[] {
  const logStandout = Math.log(Math.max(1, e.standout));
  return [e.mismatch, logStandout, e.margin, e.legs > 1 ? 1 : 0, Math.log(e.movers), Math.log(e.sizePct), (1 - e.margin) * logStandout];
}
export const FEATURE_NAMES = ["mismatch", "logStandout", "margin", "split", "logMovers", "logSizePct", "ambiguity"] as const;

/**
 * Isotonic regression (pool adjacent violators) of y on the score, compressed to at most `knots`
 * knots: the increasing map that turns a score into the observed share of planted pairs.
 */
export function isotonicMap(scores: number[], ys: number[], knots = 24): { score: number[]; p: number[] } {
  const order = scores.map((_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  const blocks: { sum: number; n: number; lo: number; hi: number }[] = [];
  for (const i of order) {
    blocks.push({ sum: ys[i]!, n: 1, lo: scores[i]!, hi: scores[i]! });
    while (blocks.length > 1 && blocks[blocks.length - 2]!.sum / blocks[blocks.length - 2]!.n >= blocks[blocks.length - 1]!.sum / blocks[blocks.length - 1]!.n) {
      const b = blocks.pop()!;
      const a = blocks[blocks.length - 1]!;
      a.sum += b.sum;
      a.n += b.n;
      a.hi = b.hi;
    }
  }
  // one knot at the middle of each block, then thinned to `knots` by merging the smallest neighbours
  let pts = blocks.map((b) => ({ score: (b.lo + b.hi) / 2, sum: b.sum, n: b.n }));
  while (pts.length > knots) {
    let best = 0;
    for (let i = 1; i < pts.length - 1; i++) if (pts[i]!.n + pts[i + 1]!.n < pts[best]!.n + pts[best + 1]!.n) best = i;
    const a = pts[best]!;
    const b = pts[best + 1]!;
    pts.splice(best, 2, { score: (a.score * a.n + b.score * b.n) / (a.n + b.n), sum: a.sum + b.sum, n: a.n + b.n });
  }
  pts = pts.filter((x) => x.n > 0);
  return { score: pts.map((x) => Math.round(x.score * 1e6) / 1e6), p: pts.map((x) => Math.round((x.sum / x.n) * 1000) / 1000) };
}

/**
 * Every pair of a dataset with its evidence, percent of issued and whether it is planted; and the
 * seconds the pairing loop took (grouping the movers by stock-day and pairDay, no database work).
 */
export async function labelledPairs(data: string, cache: string) {
  const truth = await readTruth(data);
  if (!truth) throw new Error(`${data}: no _truth/transfers.json (write it with npm run synth-dataset)`);
  const planted = new Set(truth.transfers.map(truthKey));
  const a = await openAnalytics(data, { cache });
  try {
    // Each pair's noise as the month chunks compute it (chunk SQL 30, c_noise): per stock and month,
    // the median over the stock's days of that month and the 11 months of data before it.
    const movers = await rows<{ stock_code: string; date: string; seq: number; issued: number; noise: number; pkey: string; change: number }>(
      a.db.conn,
      `WITH f AS (
         SELECT stock_code, date, dense_rank() OVER (ORDER BY strftime(date, '%Y-%m')) AS mi, ca_kind, first_day,
           coalesce(moved * 100.0 / nullif(positions_changed, 0) / issued_shares, 0) AS x
         FROM chunk_dayfig
       ), months AS (SELECT DISTINCT mi FROM f),
       noise AS (
         SELECT f.stock_code, m.mi, median(f.x) AS noise_pct FROM months m JOIN f ON f.mi BETWEEN m.mi - 11 AND m.mi
         WHERE f.ca_kind IS NULL AND NOT f.first_day GROUP BY ALL
       )
       SELECT m.stock_code, strftime(m.date, '%Y-%m-%d') AS date, m.seq, m.issued_adj::DOUBLE AS issued, coalesce(n.noise_pct, 0) AS noise,
         m.pkey, m.change::DOUBLE AS change
       FROM movers m JOIN f USING (stock_code, date) LEFT JOIN noise n ON n.stock_code = m.stock_code AND n.mi = f.mi
       WHERE m.ca_kind IS NULL ORDER BY m.stock_code, m.seq, m.pkey`,
    );
    const out: { x: number[]; y: number; pct: number; confidence: number; evidence: Evidence }[] = [];
    const t0 = performance.now();
    for (let i = 0; i < movers.length; ) {
      const first = movers[i]!;
      const day: Mover[] = [];
      let j = i;
      for (; j < movers.length && movers[j]!.stock_code === first.stock_code && movers[j]!.seq === first.seq; j++) {
        day.push({ key: movers[j]!.pkey, change: movers[j]!.change });
      }
      i = j;
      for (const p of pairDay(day, { issued: first.issued, noisePct: first.noise })) {
        const y = planted.has(`${first.date}|${first.stock_code}|${p.seller}|${p.buyer}`) ? 1 : 0;
        out.push({ x: features(p.evidence), y, pct: (p.shares * 100) / first.issued, confidence: p.confidence, evidence: p.evidence });
      }
    }
    return { pairs: out, pairSeconds: (performance.now() - t0) / 1000 };
  } finally {
    a.db.close();
  }
}

/** Logistic regression by Newton's method (a handful of features: the normal equations are tiny). */
export function fitLogistic(xs: number[][], ys: number[], iterations = 30, ridge = 1e-6): number[] {
  const k = (xs[0]?.length ?? 0) + 1;
  const w = new Array<number>(k).fill(0);
  for (let it = 0; it < iterations; it++) {
    const g = new Array<number>(k).fill(0);
    const h = Array.from({ length: k }, () => new Array<number>(k).fill(0));
    for (let n = 0; n < xs.length; n++) {
      const x = [1, ...xs[n]!];
      let z = 0;
      for (let a = 0; a < k; a++) z += w[a]! * x[a]!;
      const p = 1 / (1 + Math.exp(-z));
      for (let a = 0; a < k; a++) {
        g[a]! += (ys[n]! - p) * x[a]!;
        for (let b = 0; b < k; b++) h[a]![b]! += p * (1 - p) * x[a]! * x[b]!;
      }
    }
    for (let a = 0; a < k; a++) h[a]![a]! += ridge;
    const step = solve(h, g);
    let moved = 0;
    for (let a = 0; a < k; a++) {
      w[a]! += step[a]!;
      moved = Math.max(moved, Math.abs(step[a]!));
    }
    if (moved < 1e-9) break;
  }
  return w;
}

/** Gaussian elimination with partial pivoting: solve A x = b. */
function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const m = A.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[piv]![c]!)) piv = r;
    [m[c], m[piv]] = [m[piv]!, m[c]!];
    for (let r = 0; r < n; r++) {
      if (r === c || m[c]![c] === 0) continue;
      const f = m[r]![c]! / m[c]![c]!;
      for (let k = c; k <= n; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  return m.map((row, i) => (row[i] === 0 ? 0 : row[n]! / row[i]!));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const at = args.indexOf("--threshold");
  const threshold = at >= 0 ? Number(args.splice(at, 2)[1]) : 0.5;
  const cache = await mkdtemp(path.join(tmpdir(), "ccass-fit-cache-"));
  try {
    const xs: number[][] = [];
    const ys: number[] = [];
    for (const data of args) {
      const pairs = (await labelledPairs(path.resolve(data), cache)).pairs.filter((p) => p.pct >= threshold);
      console.log(`${data}: ${pairs.length} pairs ≥ ${threshold} %, ${pairs.filter((p) => p.y === 1).length} planted`);
      for (const p of pairs) {
        xs.push(p.x);
        ys.push(p.y);
      }
    }
    const w = fitLogistic(xs, ys).map((v) => Math.round(v * 1000) / 1000);
    const coefficients = Object.fromEntries([["intercept", w[0]], ...FEATURE_NAMES.map((n, i) => [n, w[i + 1]])]);
    const scores = xs.map((x) => 1 / (1 + Math.exp(-x.reduce((z, v, i) => z + v * w[i + 1]!, w[0]!))));
    console.log(`export const CONFIDENCE_COEFFICIENTS = ${JSON.stringify(coefficients)};`);
    console.log(`export const CONFIDENCE_MAP: { score: readonly number[]; p: readonly number[] } = ${JSON.stringify(isotonicMap(scores, ys))};`);
  } finally {
    await rm(cache, { recursive: true, force: true });
  }
}
