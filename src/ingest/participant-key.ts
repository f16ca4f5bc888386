// Stable keys for participants. Holdings rows carry only this key; names and addresses live in
// the participants table. CCASS IDs are a letter and five digits ("C00010"), so a key with a
// lower-case "ip:" prefix can never collide with one.
import { createHash } from "node:crypto";
import type { ParticipantHolding } from "../hkex/types.ts";

const INVESTOR_PREFIX = "ip:";

/** True for the keys given to consenting investor participants (who have no CCASS ID). */
export function isInvestorKey(key: string): boolean {
  return key.startsWith(INVESTOR_PREFIX);
}

/**
 * Case and white-space insensitive, so a re-spaced name on another day keeps its key. Exported for
 * the archive importer (src/archive/), which must give a named investor the key a scraped page gives.
 */
export function investorKey(name: string): string {
  const normal = name.normalize("NFKC").replace(/\s+/g, " ").trim().toUpperCase();
  return INVESTOR_PREFIX + createHash("sha1").update(normal).digest("hex").slice(0, 12);
}

/**
 * Keys for every row of one page, in page order. Two investors with the same name on one page
 * (HKEX lists them separately) get "#2", "#3"… suffixes in page order, so no (date, stock, key)
 * repeats: HKEX sorts by shareholding, which makes that order as stable as the data allows.
 */
export function participantKeys(rows: readonly ParticipantHolding[]): string[] {
  const seen = new Map<string, number>();
  return rows.map((row) => {
    if (row.id) return row.id;
    const base = investorKey(row.name);
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}#${n}`;
  });
}
