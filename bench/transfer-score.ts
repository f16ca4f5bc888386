// The transfer finder scored against a synthetic market's ground truth (`_truth/` beside the
// dataset): recall and precision at a threshold, corporate-action days with pairs, and the
// calibration of the pairs' confidence. Shared by bench/loaders.bench.ts and bench/transfers.bench.ts.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Analytics } from "../data-loaders/compute/cache.ts";
import { rows } from "../data-loaders/compute/duck.ts";
import type { CorporateAction, PlantedTransfer } from "../src/replica/market.ts";

export interface ScoredPair {
  /** date|stock|seller|buyer */
  k: string;
  /** date|stock */
  day: string;
  pct: number;
  confidence: number;
}

export interface Truth {
  transfers: PlantedTransfer[];
  actions: CorporateAction[];
}

export async function readTruth(data: string): Promise<Truth | null> {
  const dir = path.join(data, "_truth");
  if (!existsSync(path.join(dir, "transfers.json"))) return null;
  return {
    transfers: JSON.parse(await readFile(path.join(dir, "transfers.json"), "utf8")) as PlantedTransfer[],
    actions: JSON.parse(await readFile(path.join(dir, "corporate-actions.json"), "utf8")) as CorporateAction[],
  };
}

export async function readPairs(a: Analytics): Promise<ScoredPair[]> {
  return rows<ScoredPair>(
    a.db.conn,
    `SELECT concat_ws('|', strftime(date, '%Y-%m-%d'), stock_code, seller, buyer) AS k,
       concat_ws('|', strftime(date, '%Y-%m-%d'), stock_code) AS day, pct_of_issued AS pct, confidence FROM window_pairs`,
  );
}

export const truthKey = (t: PlantedTransfer) => `${t.date}|${t.stock_code}|${t.seller_id}|${t.buyer_id}`;

/** Recall (right seller and buyer) and precision of the pairs at or above `threshold` % of issued. */
export function accuracy(pairs: readonly ScoredPair[], truth: Truth, threshold: number) {
  const found = pairs.filter((p) => p.pct >= threshold);
  const foundKeys = new Set(found.map((p) => p.k));
  const truthKeys = new Set(truth.transfers.map(truthKey));
  const planted = truth.transfers.filter((t) => t.pct_of_issued >= threshold);
  const pairDays = new Set(pairs.map((p) => p.day));
  return {
    threshold_pct: threshold,
    planted: planted.length,
    reported: found.length,
    recall: planted.filter((t) => foundKeys.has(truthKey(t))).length / Math.max(1, planted.length),
    precision: found.filter((p) => truthKeys.has(p.k)).length / Math.max(1, found.length),
    corporate_actions: truth.actions.length,
    corporate_action_days_with_pairs: truth.actions.filter((c) => pairDays.has(`${c.date}|${c.stock_code}`)).length,
  };
}

/**
 * Confidence bands (0.1 wide) against the share of their pairs that are planted transfers, over
 * the pairs at or above `threshold`. A calibrated confidence has each band's precision inside it.
 */
export function calibration(pairs: readonly ScoredPair[], truth: Truth, threshold: number) {
  const truthKeys = new Set(truth.transfers.map(truthKey));
  const bands: { band: string; pairs: number; real: number; mean_confidence: number; precision: number }[] = [];
  for (let lo = 0; lo < 1; lo = Math.round((lo + 0.1) * 10) / 10) {
    const hi = Math.round((lo + 0.1) * 10) / 10;
    const inBand = pairs.filter((p) => p.pct >= threshold && p.confidence >= lo && (hi === 1 ? p.confidence <= 1 : p.confidence < hi));
    if (inBand.length === 0) continue;
    const real = inBand.filter((p) => truthKeys.has(p.k)).length;
    bands.push({
      band: `${lo.toFixed(1)}–${hi.toFixed(1)}`,
      pairs: inBand.length,
      real,
      mean_confidence: Math.round((inBand.reduce((s, p) => s + p.confidence, 0) / inBand.length) * 1000) / 1000,
      precision: Math.round((real / inBand.length) * 1000) / 1000,
    });
  }
  return bands;
}

/** The size bands the likely rule is scored in, percent of issued: [low, high). */
export const SIZE_BANDS: readonly { band: string; lo: number; hi: number }[] = [
  { band: "0.05–0.1 %", lo: 0.05, hi: 0.1 },
  { band: "0.1–0.3 %", lo: 0.1, hi: 0.3 },
  { band: "0.3–1 %", lo: 0.3, hi: 1 },
  { band: "≥ 1 %", lo: 1, hi: Infinity },
];

const inBand = (pct: number, b: { lo: number; hi: number }) => pct >= b.lo && pct < b.hi;

/**
 * Per size band: the planted transfers (by their own size), the likely pairs (confidence at least
 * `rule`, by the pair's size), recall (planted found as a likely pair with the right seller and
 * buyer) and precision (likely pairs that are planted). A band with nothing planted or nothing
 * found has recall or precision null rather than a made-up 0 or 1.
 */
export function likelyByBand(pairs: readonly ScoredPair[], truth: Truth, rule: number) {
  const likely = pairs.filter((p) => p.confidence >= rule);
  const likelyKeys = new Set(likely.map((p) => p.k));
  const truthKeys = new Set(truth.transfers.map(truthKey));
  return SIZE_BANDS.map((b) => {
    const planted = truth.transfers.filter((t) => inBand(t.pct_of_issued, b));
    const found = likely.filter((p) => inBand(p.pct, b));
    const foundPlanted = planted.filter((t) => likelyKeys.has(truthKey(t))).length;
    const real = found.filter((p) => truthKeys.has(p.k)).length;
    return {
      band: b.band,
      planted: planted.length,
      /** every pair the finder reported in the band, likely or not */
      pairs: pairs.filter((p) => inBand(p.pct, b)).length,
      likely: found.length,
      likely_planted: real,
      recall: planted.length ? Math.round((foundPlanted / planted.length) * 1000) / 1000 : null,
      precision: found.length ? Math.round((real / found.length) * 1000) / 1000 : null,
    };
  });
}

/** The calibration table (see `calibration`) of each size band's pairs. */
export function calibrationByBand(pairs: readonly ScoredPair[], truth: Truth) {
  return SIZE_BANDS.map((b) => ({ band: b.band, table: calibration(pairs.filter((p) => inBand(p.pct, b)), truth, 0) }));
}
