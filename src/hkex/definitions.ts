// Every selector, id, class name and label meaning the parser relies on, one definition per page
// kind. When HKEX changes its markup, this is the file to change (and the fixtures to add).
// The engine that runs these definitions is src/hkex/parse-engine.ts; the typed interpretation
// (numbers, dates, invariants) is src/hkex/parse.ts.
import { attr, group, list, present, text, type PageDefinition } from "./parse-engine.ts";
import type { HoldingsSummary } from "./types.ts";

/** The search form's fields, as the page's own form posts them back (every named input of the form). */
export const SEARCH_FORM = {
  endTag: "html",
  fields: {
    inputs: list("form#form1 input[name]", {
      name: attr("&", "name"),
      value: attr("&", "value"),
    }),
  },
} as const satisfies PageDefinition;

/** Markers common to every page of the search: the site's message and the maintenance notice. */
const SITE_MARKERS = {
  alert: attr("#alertMsg", "value"),
  maintenance: present(".ccass-search-maintenance"),
};

/** One holdings result page (searchsdw.aspx / searchsdw_c.aspx after a POST). */
export const HOLDINGS_PAGE = {
  // The document is whole only when this end tag is seen; a page cut anywhere before it is incomplete.
  endTag: "html",
  fields: {
    ...SITE_MARKERS,
    stockCode: attr("input#txtStockCode", "value"),
    stockName: attr("input#txtStockName", "value"),
    date: attr("input#txtShareholdingDate", "value"),
    result: group("#pnlResult", {
      summaryRows: list("#pnlResultSummary .ccass-search-summary-table .ccass-search-datarow:not(.ccass-search-header)", {
        category: text(".summary-category"),
        isTotal: present("&.ccass-search-total"),
        shares: text(".shareholding .value"),
        participants: text(".number-of-participants .value"),
      }),
      issuedShares: text("#pnlResultSummary .ccass-search-remarks .summary-value"),
      rows: list("#pnlResultNormal table tbody tr", {
        id: text("td.col-participant-id .mobile-list-body"),
        name: text("td.col-participant-name .mobile-list-body"),
        address: text("td.col-address .mobile-list-body"),
        shares: text("td.col-shareholding .mobile-list-body"),
      }),
    }),
  },
} as const satisfies PageDefinition;

/** The Stock Connect southbound table (mutualmarket.aspx?t=hk), as ARCHITECTURE.md describes it. */
export const SOUTHBOUND_PAGE = {
  endTag: "html",
  fields: {
    ...SITE_MARKERS,
    date: attr("input#txtShareholdingDate", "value"),
    result: group("#mutualmarket-result", {
      rows: list("table tbody tr", {
        code: text("td.col-stock-code .mobile-list-body"),
        name: text("td.col-stock-name .mobile-list-body"),
        shares: text("td.col-shareholding .mobile-list-body"),
        percent: text("td.col-shareholding-percent .mobile-list-body"),
      }),
    }),
  },
} as const satisfies PageDefinition;

/** Page-kind marker for `parsePage` without a hint: a page without the holdings panel may be southbound. */
export const PAGE_KIND_MARKERS = {
  endTag: "html",
  fields: {
    southboundResult: present("#mutualmarket-result"),
  },
} as const satisfies PageDefinition;

/** Value formats on the pages. */
export const FORMATS = {
  /** `#txtShareholdingDate`: YYYY/MM/DD. */
  date: /^(\d{4})\/(\d{2})\/(\d{2})$/,
  /** Share counts: digits with optional thousands separators; an empty cell means zero. */
  integer: /^\d{1,3}(?:,\d{3})*$|^\d+$/,
  thousandsSeparator: /,/g,
  /** The page's rounded percentage column ("12.34%"); kept for reference only. */
  percent: /^(\d+(?:\.\d+)?)\s*%?$/,
} as const;

/** JSON list endpoints: `[{"c": code, "n": name}, …]`, told apart by the shape of the codes. */
export const JSON_LISTS = {
  codeKey: "c",
  nameKey: "n",
  stockCode: /^\d{5}$/,
  participantId: /^[A-Z]\d{5}$/,
} as const;

export type SummaryKey = keyof HoldingsSummary;

/**
 * Summary categories, matched by meaning on a normalised label (NFKC, lower case, dashes as "-",
 * spaces folded). A label must match exactly one category: "Non-consenting …" matches the
 * non-consenting rule and is excluded from the consenting one, whatever noun follows
 * (HKEX renamed "Investor Participants" to "Investor Account Holders" once already).
 */
export const SUMMARY_CATEGORIES: readonly { key: SummaryKey; include: RegExp; exclude?: RegExp }[] = [
  { key: "intermediaries", include: /intermediar|中介/ },
  {
    key: "nonConsenting",
    include: /\bnon ?-? ?consent|\bnot consent|\bunconsent|不願意披露|不愿意披露|不同意披露/,
  },
  {
    key: "consenting",
    include: /consent|願意披露|愿意披露|同意披露/,
    exclude: /\bnon ?-? ?consent|\bnot consent|\bunconsent|不願意|不愿意|不同意/,
  },
  { key: "total", include: /^(?:grand )?total\b|^(?:總數|总数|總計|总计|合計|合计)$/ },
];
