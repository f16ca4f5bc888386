// Browser copies of the checks in src/lib/validate.ts (Framework serves only files under the
// site root, so pages cannot import that module). Every value from a URL or a data file passes
// through these before it becomes part of a URL.

export const isStockCode = (x) => typeof x === "string" && /^\d{5}$/.test(x);
// (an impossible date such as 2026-13-05 parses to an invalid Date, whose toISOString throws)
export const isIsoDate = (x) => {
  if (typeof x !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(x)) return false;
  const d = new Date(`${x}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === x;
};
/** Participant keys: a CCASS ID (letter + five digits) or "ip:" + 12 hex, optionally "#n". */
export const isParticipantKey = (x) =>
  typeof x === "string" && /^(?:[A-Z]\d{5}|ip:[0-9a-f]{12}(?:#\d+)?)$/.test(x);

/** "700", "0700", "00700" → "00700"; anything that is not 1–5 digits → null. */
export function normaliseStockCode(input) {
  const s = String(input ?? "").trim();
  return /^\d{1,5}$/.test(s) ? s.padStart(5, "0") : null;
}
