// The typed records that cross module boundaries. `parse` produces them from HKEX pages,
// the replica produces them from its synthetic market, and ingest stores them.
// The JSON contract of `scrape.ts parse` (docs/HKEX.md) is exactly these shapes.

/** ISO date, YYYY-MM-DD. */
export type IsoDate = string;

/** Five-digit HKEX stock code, e.g. "00700". */
export type StockCode = string;

export interface CategoryTotals {
  shares: number;
  participants: number;
}

export interface HoldingsSummary {
  intermediaries: CategoryTotals;
  consenting: CategoryTotals;
  nonConsenting: CategoryTotals;
  total: CategoryTotals;
}

export interface ParticipantHolding {
  /** CCASS participant ID such as "C00010"; null for consenting investor participants. */
  id: string | null;
  name: string;
  address: string | null;
  shares: number;
}

/** One holdings result page: one stock on one shareholding date. */
export interface HoldingsPage {
  kind: "holdings";
  date: IsoDate;
  stockCode: StockCode;
  stockName: string;
  issuedShares: number;
  summary: HoldingsSummary;
  participants: ParticipantHolding[];
}

export interface StockListPage {
  kind: "stocklist";
  stocks: { code: StockCode; name: string }[];
}

export interface ParticipantListPage {
  kind: "partlist";
  participants: { id: string; name: string }[];
}

/** One row of the Stock Connect southbound (mutual market, t=hk) table. */
export interface SouthboundHolding {
  stockCode: StockCode;
  stockName: string;
  shares: number;
  /** The page's own rounded percentage of issued shares, kept for reference only. */
  reportedPercent: number | null;
}

export interface SouthboundPage {
  kind: "southbound";
  date: IsoDate;
  holdings: SouthboundHolding[];
}

/**
 * A page that is not a result. `incomplete` covers broken invariants and documents that end early;
 * `no-result` anything else (empty or non-HTML bodies included). `reason` says which check failed.
 */
export type PageError =
  | { error: "alert"; message: string }
  | { error: "maintenance" }
  | { error: "incomplete"; reason?: string }
  | { error: "no-result"; reason?: string };

export type ParsedPage = HoldingsPage | StockListPage | ParticipantListPage | SouthboundPage;
export type ParseOutcome = ParsedPage | PageError;

export function isPageError(x: ParseOutcome): x is PageError {
  return "error" in x;
}
