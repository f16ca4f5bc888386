// The checks a holdings page must pass before any of it is stored. The parser already rejects
// documents that end early; these checks repeat the arithmetic invariants (cheap, and the replica's
// market feeds the writer without the parser) and add what only the caller knows: that the page is
// for the stock and date that were asked for.
import type { HoldingsPage, SouthboundPage, StockListPage, ParticipantListPage } from "../hkex/types.ts";
import { isIsoDate, isParticipantId, isStockCode } from "../lib/validate.ts";
import { participantKeys } from "./participant-key.ts";

export class InvalidPageError extends Error {
  override readonly name = "InvalidPageError";
  constructor(
    readonly what: string,
    readonly reason: string,
  ) {
    super(`${what}: ${reason}`);
  }
}

const isCount = (n: unknown): n is number => typeof n === "number" && Number.isSafeInteger(n) && n >= 0;

/** The reason a holdings page must not be stored, or null when it is sound. */
export function holdingsPageProblem(page: HoldingsPage, expected?: { date: string; stockCode: string }): string | null {
  if (!isStockCode(page.stockCode)) return `stock code ${JSON.stringify(page.stockCode)} is not five digits`;
  if (!isIsoDate(page.date)) return `date ${JSON.stringify(page.date)} is not a calendar date`;
  if (expected && page.stockCode !== expected.stockCode)
    return `page is for stock ${page.stockCode}, requested ${expected.stockCode}`;
  if (expected && page.date !== expected.date) return `page is for ${page.date}, requested ${expected.date}`;
  if (!isCount(page.issuedShares)) return `issued shares ${page.issuedShares} is not a whole number`;
  const s = page.summary;
  for (const [name, c] of Object.entries(s)) {
    if (!isCount(c.shares) || !isCount(c.participants)) return `summary ${name} is not whole numbers`;
  }
  let sum = 0;
  for (const p of page.participants) {
    if (!isCount(p.shares)) return `shares ${p.shares} of ${p.id ?? p.name} is not a whole number`;
    if (p.id !== null && !isParticipantId(p.id)) return `participant ID ${JSON.stringify(p.id)} is malformed`;
    if (p.id === null && p.name.trim() === "") return "an investor participant has no name";
    sum += p.shares;
  }
  const listed = s.intermediaries.participants + s.consenting.participants;
  if (page.participants.length !== listed)
    return `${page.participants.length} rows listed, summary says ${listed} (intermediaries + consenting)`;
  if (sum !== s.intermediaries.shares + s.consenting.shares)
    return `rows sum to ${sum} shares, summary says ${s.intermediaries.shares + s.consenting.shares}`;
  if (s.total.shares !== s.intermediaries.shares + s.consenting.shares + s.nonConsenting.shares)
    return "total shares is not the sum of the three categories";
  if (s.total.participants !== s.intermediaries.participants + s.consenting.participants + s.nonConsenting.participants)
    return "total participants is not the sum of the three categories";
  const keys = participantKeys(page.participants);
  if (new Set(keys).size !== keys.length) return "a participant ID is listed twice";
  return null;
}

export function southboundPageProblem(page: SouthboundPage, expectedDate?: string): string | null {
  if (!isIsoDate(page.date)) return `date ${JSON.stringify(page.date)} is not a calendar date`;
  if (expectedDate && page.date !== expectedDate) return `page is for ${page.date}, requested ${expectedDate}`;
  const seen = new Set<string>();
  for (const h of page.holdings) {
    if (!isStockCode(h.stockCode)) return `stock code ${JSON.stringify(h.stockCode)} is not five digits`;
    if (seen.has(h.stockCode)) return `stock ${h.stockCode} is listed twice`;
    seen.add(h.stockCode);
    if (!isCount(h.shares)) return `shares of ${h.stockCode} is not a whole number`;
  }
  return null;
}

export function stockListProblem(page: StockListPage): string | null {
  const seen = new Set<string>();
  for (const s of page.stocks) {
    if (!isStockCode(s.code)) return `stock code ${JSON.stringify(s.code)} is not five digits`;
    if (seen.has(s.code)) return `stock ${s.code} is listed twice`;
    seen.add(s.code);
  }
  return null;
}

export function participantListProblem(page: ParticipantListPage): string | null {
  const seen = new Set<string>();
  for (const p of page.participants) {
    if (!isParticipantId(p.id)) return `participant ID ${JSON.stringify(p.id)} is malformed`;
    if (seen.has(p.id)) return `participant ${p.id} is listed twice`;
    seen.add(p.id);
  }
  return null;
}
