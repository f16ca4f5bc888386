// HKEX-like HTML for the replica, in the shapes of docs/HKEX.md and tests/fixtures/hkex/pages.
// Every value from the market is entity-escaped, so a correct parser recovers hostile names verbatim.
// Rows vary the way HKEX markup does (class order, line breaks, &nbsp;) without changing the values
// a parser that folds white space reads; the footer says the data is synthetic.
import type { HoldingsPage, SouthboundPage } from "../hkex/types.ts";
import { hash32 } from "./random.ts";

export type Lang = "en" | "zh";

export const ALERT_DATE_RANGE = { en: "The shareholding date must be within the past 12 months.", zh: "持股日期必須在過去十二個月內。" } as const;
export const ALERT_INVALID_STOCK = { en: "The stock code entered is not valid.", zh: "所輸入的股份代號無效。" } as const;
export const SYNTHETIC_NOTICE = "Synthetic data from the CCASS Observatory local replica: made-up names and figures, not published by HKEX.";

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] as string);
}

// Names and addresses recur on thousands of pages: escape each once. Bounded, since the rows of a
// hostile market are still a finite set but nothing here should grow without limit.
const escapedCache = new Map<string, string>();

function escapeRecurring(s: string): string {
  let e = escapedCache.get(s);
  if (e === undefined) {
    if (escapedCache.size >= 50_000) escapedCache.clear();
    e = escapeHtml(s);
    escapedCache.set(s, e);
  }
  return e;
}

/** 1234567 → "1,234,567" (toLocaleString is far slower, and locale-dependent). */
export function formatInt(n: number): string {
  const s = String(n);
  if (s.length <= 3) return s;
  let out = "";
  let i = s.length % 3 || 3;
  out = s.slice(0, i);
  for (; i < s.length; i += 3) out += "," + s.slice(i, i + 3);
  return out;
}

/** HKEX's rounded percentage column: shares ÷ issued, 2 decimals. */
export function formatPercent(shares: number, issued: number): string {
  return issued > 0 ? `${((shares / issued) * 100).toFixed(2)}%` : "0.00%";
}

/** YYYY-MM-DD → YYYY/MM/DD (the form's format). */
export function slashDate(iso: string): string {
  return iso.replaceAll("-", "/");
}

const LABELS = {
  en: {
    title: "CCASS Shareholding Search",
    dateHeader: "Shareholding Date:",
    shareholding: "Shareholding in CCASS",
    participants: "Number of Participants",
    percent: "% of the total number of Issued Shares/ Warrants/ Units",
    categories: ["Market Intermediaries", "Consenting Investor Participants", "Non-consenting Investor Participants", "Total"],
    issued: "Total number of Issued Shares/Warrants/Units (last updated figure)",
    colId: "Participant ID",
    colName: "Name of CCASS Participant(* for Consenting Investor Participants )",
    colAddress: "Address",
    colShares: "Shareholding",
    colPercent: "% of the total number of Issued Shares/ Warrants/ Units",
    maintenance: "The CCASS Shareholding Search service is temporarily unavailable due to system maintenance. Please try again later.",
    sbTitle: "Shareholding in Hong Kong Stock Connect (Southbound)",
    sbCode: "Stock Code",
    sbName: "Name",
    sbShares: "Shareholding in CCASS",
    sbPercent: "% of the total number of Issued Shares/Units",
  },
  zh: {
    title: "中央結算系統持股紀錄查詢",
    dateHeader: "持股日期:",
    shareholding: "於中央結算系統的持股量",
    participants: "參與者數目",
    percent: "佔於聯交所上市的已發行股份/權證/單位百分比",
    categories: ["市場中介者", "願意披露的投資者戶口持有人", "不願意披露的投資者戶口持有人", "總數"],
    issued: "已發行股份/權證/單位總數 (最近更新數目)",
    colId: "參與者編號",
    colName: "中央結算系統參與者名稱(* 代表願意披露的投資者戶口持有人)",
    colAddress: "地址",
    colShares: "持股量",
    colPercent: "佔已發行股份/權證/單位百分比",
    maintenance: "由於系統維護，中央結算系統持股紀錄查詢服務暫時未能提供。請稍後再試。",
    sbTitle: "港股通持股紀錄",
    sbCode: "股份代號",
    sbName: "股份名稱",
    sbShares: "於中央結算系統的持股量",
    sbPercent: "佔已發行股份/單位百分比",
  },
} as const;

export interface FormTokens {
  viewState: string;
  eventValidation: string;
}

export interface FormState {
  lang: Lang;
  /** Page file name the form posts back to. */
  action: "searchsdw.aspx" | "searchsdw_c.aspx" | "mutualmarket.aspx?t=hk";
  tokens: FormTokens;
  /** HKEX's "today", YYYY-MM-DD. */
  today: string;
  /** The date shown in the date box, YYYY-MM-DD or raw text the user sent (escaped here). */
  shareholdingDate: string;
  stockCode?: string;
  stockName?: string;
  alertMsg?: string;
}

function head(lang: Lang, title: string): string {
  return `<!DOCTYPE html>
<html lang="${lang === "en" ? "en" : "zh-HK"}">
<head>
<meta charset="utf-8" /><meta name="viewport" content="width=device-width, initial-scale=1" />
<title>
	${title}
</title>
<link href="/sdw/css/ccass-search.css" rel="stylesheet" type="text/css" />
<script src="/sdw/script/jquery.min.js" type="text/javascript"></script>
</head>
`;
}

function dateBoxValue(d: string): string {
  return escapeHtml(/^\d{4}-\d{2}-\d{2}$/.test(d) ? slashDate(d) : d);
}

function formOpen(f: FormState): string {
  const date = dateBoxValue(f.shareholdingDate);
  return `<body class="ccass-search-page">
<form method="post" action="./${escapeHtml(f.action)}" id="form1">
<div class="aspNetHidden">
<input type="hidden" name="__EVENTTARGET" id="__EVENTTARGET" value="" />
<input type="hidden" name="__EVENTARGUMENT" id="__EVENTARGUMENT" value="" />
<input type="hidden" name="__VIEWSTATE" id="__VIEWSTATE" value="${escapeHtml(f.tokens.viewState)}" />
</div>
<script type="text/javascript">
//<![CDATA[
var theForm = document.forms['form1'];
function __doPostBack(eventTarget, eventArgument) { if (!theForm.onsubmit || (theForm.onsubmit() != false)) { theForm.__EVENTTARGET.value = eventTarget; theForm.__EVENTARGUMENT.value = eventArgument; theForm.submit(); } }
//]]>
</script>
<div class="aspNetHidden">
    <input type="hidden" name="__VIEWSTATEGENERATOR" id="__VIEWSTATEGENERATOR" value="3B6E3F7F" />
    <input type="hidden" name="__EVENTVALIDATION" id="__EVENTVALIDATION" value="${escapeHtml(f.tokens.eventValidation)}" />
</div>
<input type="hidden" name="today" id="today" value="${f.today.replaceAll("-", "")}" />
<input type="hidden" name="sortBy" id="sortBy" value="shareholding" />
<input type="hidden" name="sortDirection" id="sortDirection" value="desc" />
<input type="hidden" name="originalShareholdingDate" id="originalShareholdingDate" value="${date}" />
<input type="hidden" name="alertMsg" id="alertMsg" value="${escapeHtml(f.alertMsg ?? "")}" />
<div class="container">
`;
}

function searchFilter(f: FormState): string {
  const L = LABELS[f.lang];
  return `<h1 class="ccass-search-title">${L.title}</h1>
<div class="ccass-search-filter">
    <input name="txtShareholdingDate" type="text" value="${dateBoxValue(f.shareholdingDate)}" id="txtShareholdingDate" class="input-searchDate" />
    <input name="txtStockCode" type="text" value="${escapeHtml(f.stockCode ?? "")}" maxlength="5" id="txtStockCode" class="input-stockCode" />
    <input name="txtStockName" type="text" value="${escapeHtml(f.stockName ?? "")}" readonly="readonly" id="txtStockName" class="input-stockName" />
    <input name="txtParticipantID" type="text" maxlength="6" id="txtParticipantID" class="input-partID" />
    <input name="txtParticipantName" type="text" readonly="readonly" id="txtParticipantName" class="input-partName" />
    <input name="txtSelPartID" type="hidden" id="txtSelPartID" />
    <a id="btnSearch" class="btn-search" href="javascript:__doPostBack(&#39;btnSearch&#39;,&#39;&#39;)">Search</a>
</div>
`;
}

const FOOTER = `</div>
<footer class="footer"><p class="synthetic-notice">${escapeHtml(SYNTHETIC_NOTICE)}</p></footer>
</form>
</body>
</html>
`;

/** Escaped text with, on some rows, one inner space shown as &nbsp; or a line break (HKEX markup varies so). */
function variedText(s: string, variant: number): string {
  const escaped = escapeRecurring(s);
  if (variant === 0) return escaped;
  const i = escaped.indexOf(" ");
  if (i <= 0 || i === escaped.length - 1) return escaped;
  const sep = variant === 1 ? "&nbsp;" : "\n                        ";
  return escaped.slice(0, i) + sep + escaped.slice(i + 1);
}

function summaryRow(label: string, L: (typeof LABELS)[Lang], shares: number, count: number, issued: number, total: boolean): string {
  const empty = shares === 0 && count === 0;
  const v = (x: string): string => (empty ? "" : x);
  return `        <div class="ccass-search-datarow${total ? " ccass-search-total" : ""}">
            <div class="summary-category">${label}</div>
            <div class="shareholding"><div class="header">${L.shareholding} </div><div class="value">${v(formatInt(shares))}</div></div>
            <div class="number-of-participants"><div class="header">${L.participants}</div><div class="value">${v(formatInt(count))}</div></div>
            <div class="percent-of-participants"><div class="header">${L.percent}</div><div class="value">${v(formatPercent(shares, issued))}</div></div>
        </div>
`;
}

/** The result panel of one holdings page (summary, issued shares, one row per listed participant). */
export function renderHoldingsResult(page: HoldingsPage, lang: Lang): string {
  const L = LABELS[lang];
  const s = page.summary;
  const issued = page.issuedShares;
  const parts: string[] = [];
  parts.push(`<div id="pnlResult">
    <div class="ccass-search-date"><span class="header">${L.dateHeader}</span> <span class="value">${slashDate(page.date)}</span></div>
    <div id="pnlResultSummary" class="ccass-search-summary">
    <div class="ccass-search-summary-table">
        <div class="ccass-search-datarow ccass-search-header"><div class="summary-category"></div><div class="shareholding">${L.shareholding}</div><div class="number-of-participants">${L.participants}</div><div class="percent-of-participants">${L.percent}</div></div>
`);
  parts.push(summaryRow(L.categories[0], L, s.intermediaries.shares, s.intermediaries.participants, issued, false));
  parts.push(summaryRow(L.categories[1], L, s.consenting.shares, s.consenting.participants, issued, false));
  parts.push(summaryRow(L.categories[2], L, s.nonConsenting.shares, s.nonConsenting.participants, issued, false));
  parts.push(summaryRow(L.categories[3], L, s.total.shares, s.total.participants, issued, true));
  parts.push(`        <div class="ccass-search-remarks"><div class="summary-header">${L.issued}</div><div class="summary-value">${formatInt(issued)}</div></div>
    </div>
    </div>
    <div id="pnlResultNormal">
    <div class="search-details-table-container table-mobile-list-container">
    <table class="table table-scroll table-sort table-mobile-list" style="width: 100%;">
        <thead><tr>
            <th data-column-class="col-participant-id" class="col-participant-id" data-sort-by="participant-id">${L.colId}</th>
            <th data-column-class="col-participant-name" class="col-participant-name" data-sort-by="participant-name">${L.colName}</th>
            <th data-column-class="col-address" class="col-address" data-sort-by="address">${L.colAddress}</th>
            <th data-column-class="col-shareholding text-right" class="col-shareholding text-right" data-sort-by="shareholding">${L.colShares}</th>
            <th data-column-class="col-shareholding-percent text-right" class="col-shareholding-percent text-right" data-sort-by="shareholding-percent">${L.colPercent}</th>
        </tr></thead>
        <tbody>
`);
  const hId = `<div class="mobile-list-heading">${L.colId}:</div>`;
  const hName = `<div class="mobile-list-heading">${L.colName}:</div>`;
  const hAddr = `<div class="mobile-list-heading">${L.colAddress}:</div>`;
  const hShares = `<div class="mobile-list-heading">${L.colShares}:</div>`;
  const hPct = `<div class="mobile-list-heading">${L.colPercent}:</div>`;
  const rowSeed = hash32(page.stockCode, page.date);
  page.participants.forEach((p, i) => {
    // Markup variation, fixed per (stock, date, row): 1 in 8 rows swap the numeric cells' class
    // order, 1 in 10 show a space as &nbsp;, 1 in 10 break the name across lines.
    const v = (Math.imul(rowSeed ^ i, 0x9e3779b1) >>> 0) % 40;
    const numClass = v < 5 ? ["text-right col-shareholding", "text-right col-shareholding-percent"] : ["col-shareholding text-right", "col-shareholding-percent text-right"];
    const textVariant = v >= 36 ? 1 : v >= 32 ? 2 : 0;
    parts.push(`            <tr>
                <td class="col-participant-id">${hId}<div class="mobile-list-body">${escapeRecurring(p.id ?? "")}</div></td>
                <td class="col-participant-name">${hName}<div class="mobile-list-body">${variedText(p.name, textVariant)}</div></td>
                <td class="col-address">${hAddr}<div class="mobile-list-body">${p.address === null ? "" : variedText(p.address, textVariant === 2 ? 1 : textVariant)}</div></td>
                <td class="${numClass[0]}">${hShares}<div class="mobile-list-body">${formatInt(p.shares)}</div></td>
                <td class="${numClass[1]}">${hPct}<div class="mobile-list-body">${formatPercent(p.shares, issued)}</div></td>
            </tr>
`);
  });
  parts.push(`        </tbody>
    </table>
    </div>
    </div>
</div>
`);
  return parts.join("");
}

/** The search page: the plain form (no result, no alert), an alert, or a result. */
export function renderSearchPage(f: FormState, result?: HoldingsPage): string {
  return head(f.lang, LABELS[f.lang].title) + formOpen(f) + searchFilter(f) + (result ? renderHoldingsResult(result, f.lang) : "") + FOOTER;
}

/** The page HKEX shows while the service is down. */
export function renderMaintenancePage(f: FormState): string {
  return (
    head(f.lang, LABELS[f.lang].title) +
    formOpen(f) +
    searchFilter(f) +
    `<div class="ccass-search-maintenance">
    <p>${LABELS[f.lang].maintenance}</p>
</div>
` +
    FOOTER
  );
}

/** Stock Connect southbound holdings (mutualmarket.aspx?t=hk); without `page`, the form alone. */
export function renderSouthboundPage(f: FormState, page?: SouthboundPage): string {
  const L = LABELS[f.lang];
  const parts: string[] = [head(f.lang, L.sbTitle), formOpen(f)];
  parts.push(`<h1 class="ccass-search-title">${L.sbTitle}</h1>
<div class="ccass-search-filter">
    <input name="txtShareholdingDate" type="text" value="${dateBoxValue(f.shareholdingDate)}" id="txtShareholdingDate" class="input-searchDate" />
    <a id="btnSearch" class="btn-search" href="javascript:__doPostBack(&#39;btnSearch&#39;,&#39;&#39;)">Search</a>
</div>
`);
  if (page) {
    parts.push(`<div id="mutualmarket-result">
    <table class="table table-scroll table-sort table-mobile-list" style="width: 100%;">
        <thead><tr>
            <th class="col-stock-code">${L.sbCode}</th>
            <th class="col-stock-name">${L.sbName}</th>
            <th class="col-shareholding text-right">${L.sbShares}</th>
            <th class="col-shareholding-percent text-right">${L.sbPercent}</th>
        </tr></thead>
        <tbody>
`);
    for (const h of page.holdings) {
      parts.push(`            <tr>
                <td class="col-stock-code"><div class="mobile-list-heading">${L.sbCode}:</div><div class="mobile-list-body">${escapeHtml(h.stockCode)}</div></td>
                <td class="col-stock-name"><div class="mobile-list-heading">${L.sbName}:</div><div class="mobile-list-body">${escapeHtml(h.stockName)}</div></td>
                <td class="col-shareholding text-right"><div class="mobile-list-heading">${L.sbShares}:</div><div class="mobile-list-body">${formatInt(h.shares)}</div></td>
                <td class="col-shareholding-percent text-right"><div class="mobile-list-heading">${L.sbPercent}:</div><div class="mobile-list-body">${h.reportedPercent === null ? "" : `${h.reportedPercent.toFixed(2)}%`}</div></td>
            </tr>
`);
    }
    parts.push(`        </tbody>
    </table>
</div>
`);
  }
  parts.push(FOOTER);
  return parts.join("");
}
