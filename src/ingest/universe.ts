// Which stocks a run fetches. `equities` keeps ordinary shares, ETFs and REITs and drops the rest
// by HKEX's stock code allocation (derivative warrants, CBBCs, debt, leveraged and inverse
// products hold little of interest in CCASS and would triple the page count). docs/SCRAPE.md
// lists the ranges; they are data here so a change to HKEX's allocation is a one-line edit.
import { assertStockCode } from "../lib/validate.ts";

export type Universe = "equities" | "all";

/** Code ranges (inclusive) that `equities` keeps. */
export const EQUITY_RANGES: readonly (readonly [number, number])[] = [
  [1, 3999], // Main Board shares, with ETFs at 02800–02849 and 03000–03199
  [6000, 7199], // Main Board shares (06000–06999), 07000–07199
  [7400, 7499],
  [7600, 9199], // incl. GEM 08000–08999 and USD-counter ETFs 09000–09199
  [9400, 9499],
  [9600, 9999], // Main Board shares (recent and secondary listings)
  [87000, 87099], // RMB-counter REITs
];
// Dropped: 04000–05999 debt securities; 07200–07399, 07500–07599, 09200–09399, 09500–09599
// leveraged and inverse products; 10000–29999 derivative warrants; 50000–69999 CBBCs; other 5-digit codes.

export function isEquityCode(code: string): boolean {
  const n = Number(assertStockCode(code));
  return EQUITY_RANGES.some(([lo, hi]) => n >= lo && n <= hi);
}

/** The codes to fetch on a date: the explicit list when given, else the stock list filtered. */
export function selectStocks(stockList: readonly string[], universe: Universe, explicit?: readonly string[]): string[] {
  if (explicit && explicit.length > 0) return [...new Set(explicit.map(assertStockCode))].sort();
  const codes = stockList.map(assertStockCode);
  return [...new Set(universe === "all" ? codes : codes.filter(isEquityCode))].sort();
}

/** "00700,5" → ["00700", "00005"]: short codes are zero-padded, anything else is rejected. */
export function parseStockOption(value: string): string[] {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map((s) => assertStockCode(/^\d{1,5}$/.test(s) ? s.padStart(5, "0") : s));
}
