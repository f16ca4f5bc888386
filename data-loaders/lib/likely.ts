// The one rule for calling a seller → buyer pair a "likely" transfer (issue #24): its calibrated
// confidence (data-loaders/lib/pairing.ts) is at least this level. Every count, list, feed and
// download that says "likely" uses this constant; pairs below it are "possible matches".
// The level is chosen from the calibration; docs/DATASETS.md says what precision it gives.
export const LIKELY_MIN_CONFIDENCE = 0.5;
