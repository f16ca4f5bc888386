// The one rule for calling a seller → buyer pair a "likely" transfer (issue #24): its calibrated
// confidence (data-loaders/compute/pairing.ts) is at least this level. Every count, list, feed and
// download that says "likely" uses this constant; pairs below it are "possible matches".
// The level is chosen from the calibration (bench/transfers.bench.ts, seed 1, 400 stocks × 120
// days, out of the fit's sample): at 0.8, 94 % of the likely pairs were planted transfers on the
// noisy replica (615 of 652) and 99.6 % on the default one (826 of 829); at 0.5 the noisy market's
// figure was 77 %, at 0.9 98 % with a tenth fewer transfers found. docs/DATASETS.md "Likely transfers".
export const LIKELY_MIN_CONFIDENCE = 0.8;
