// Sizes of the replica's planted transfers (default and noisy market). A real market has many more
// small blocks than large ones, so a piece's share of issued follows a power law between
// MIN_PIECE and MAX_PIECE: density ∝ x^-1.5, which puts about a third of the pieces in
// 0.05–0.1 %, a third in 0.1–0.3 %, a fifth in 0.3–1 % and a seventh at 1 % or more. The small
// ones are what the transfer finder's precision and recall per size band are measured on
// (bench/transfers.bench.ts): near the floor, a transfer looks like two unrelated trades.
import type { Rng } from "./random.ts";

/** Smallest planted piece: 0.05 % of issued, the transfer finder's floor. */
export const MIN_PIECE = 0.0005;
/** Largest planted piece: 5 % of issued. */
export const MAX_PIECE = 0.05;

/**
 * A piece of `min`..`max` shares (min ≤ max), drawn from the power law x^-1.5 by inverting its
 * distribution function: one draw of `rng`, so the market stays deterministic by seed.
 */
export function pieceSize(rng: Rng, min: number, max: number): number {
  const u = rng.next();
  if (max <= min) return min;
  const a = 1 / Math.sqrt(min);
  const b = 1 / Math.sqrt(max);
  const x = 1 / (a - u * (a - b)) ** 2;
  return Math.max(min, Math.min(max, Math.floor(x)));
}
