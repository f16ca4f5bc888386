// Parsers for every HKEX page kind: pure functions of the page text. The definitions in
// src/hkex/definitions.ts say where each value sits; this file turns the extracted strings into
// the typed records of src/hkex/types.ts and checks what a complete page must satisfy.
// Nothing here throws on bad input: a page that is not a usable result is a PageError with a reason.
import {
  FORMATS,
  HOLDINGS_PAGE,
  JSON_LISTS,
  PAGE_KIND_MARKERS,
  SEARCH_FORM,
  SOUTHBOUND_PAGE,
  SUMMARY_CATEGORIES,
  type SummaryKey,
} from "./definitions.ts";
import { compileDefinition, extract, foldSpace, type ExtractedFields } from "./parse-engine.ts";
import type {
  CategoryTotals,
  HoldingsPage,
  HoldingsSummary,
  PageError,
  ParseOutcome,
  ParticipantHolding,
  ParticipantListPage,
  SouthboundHolding,
  SouthboundPage,
  StockListPage,
} from "./types.ts";
import { isIsoDate, isParticipantId, isStockCode } from "../lib/validate.ts";

/** Prefix of every reason that means "the definition no longer fits the page" (the drift check greps it). */
export const DRIFT = "markup drift:";

const holdingsDef = compileDefinition(HOLDINGS_PAGE);
const southboundDef = compileDefinition(SOUTHBOUND_PAGE);
const formDef = compileDefinition(SEARCH_FORM);
const kindDef = compileDefinition(PAGE_KIND_MARKERS);

/** A value that broke a format or invariant check; turned into a PageError at the parser's edge. */
class PageProblem extends Error {
  constructor(readonly outcome: PageError) {
    super("reason" in outcome ? outcome.reason : outcome.error);
  }
}
const incomplete = (reason: string): PageProblem => new PageProblem({ error: "incomplete", reason });
const drift = (reason: string): PageProblem => new PageProblem({ error: "no-result", reason: `${DRIFT} ${reason}` });

const NO_HOLDINGS_PANEL = "no result panel (#pnlResult) and no alert: the search form, or not a result page";

function noResult(reason: string): PageError {
  return { error: "no-result", reason };
}

/** "1,234" → 1234; "" → 0; anything else is a bad value, named in the reason. */
function toInteger(raw: string | undefined, what: string): number {
  const s = raw ?? "";
  if (s === "") return 0;
  if (!FORMATS.integer.test(s)) throw incomplete(`${what} is ${JSON.stringify(s)}, not a whole number`);
  const n = Number(s.replace(FORMATS.thousandsSeparator, ""));
  if (!Number.isSafeInteger(n)) throw incomplete(`${what} is ${JSON.stringify(s)}, too large to hold exactly`);
  return n;
}

/** "2026/11/20" → "2026-11-20", a real calendar date or a bad value. */
function toIsoDate(raw: string | undefined, what: string): string {
  const m = FORMATS.date.exec(foldSpace(raw ?? ""));
  const iso = m ? `${m[1]}-${m[2]}-${m[3]}` : "";
  if (!isIsoDate(iso)) throw incomplete(`${what} is ${JSON.stringify(raw ?? "")}, not a YYYY/MM/DD date`);
  return iso;
}

/** Does this look like markup at all? (JSON, plain text and binary do not.) */
function notHtmlReason(text: string): string | null {
  if (text.trim() === "") return "empty document";
  if (text.includes("\u0000")) return "binary content, not HTML";
  const first = text.trimStart()[0];
  if (first === "[" || first === "{") return "JSON, not an HTML page";
  if (!/<[a-zA-Z!]/.test(text.slice(0, 4096))) return "not HTML (no markup in the first 4 KB)";
  return null;
}

/** Normalised label for meaning-based matching: NFKC, lower case, every dash as "-", spaces folded. */
function normaliseLabel(label: string): string {
  return foldSpace(label.normalize("NFKC").toLowerCase().replace(/\p{Pd}/gu, "-"));
}

/** Which summary category a label means, or null when it means none or more than one. */
export function categoryOf(label: string): SummaryKey | null {
  const norm = normaliseLabel(label);
  let found: SummaryKey | null = null;
  for (const c of SUMMARY_CATEGORIES) {
    if (!c.include.test(norm) || c.exclude?.test(norm)) continue;
    if (found !== null) return null;
    found = c.key;
  }
  return found;
}

function siteError(alert: string | undefined, maintenance: boolean | undefined): PageError | null {
  if (maintenance) return { error: "maintenance" };
  const message = foldSpace(alert ?? "");
  if (message !== "") return { error: "alert", message };
  return null;
}

function check(ok: boolean, reason: () => string): void {
  if (!ok) throw incomplete(reason());
}

// ---- holdings ------------------------------------------------------------------------------

export function parseHoldingsPage(html: string): HoldingsPage | PageError {
  const notHtml = notHtmlReason(html);
  if (notHtml) return noResult(notHtml);
  const { record: page, complete } = extract(holdingsDef, html);
  const site = siteError(page.alert, page.maintenance);
  if (site) return site;
  const result = page.result;
  if (result === undefined) return noResult(NO_HOLDINGS_PANEL);
  if (!complete) return { error: "incomplete", reason: "document ended early (no closing </html>)" };
  try {
    return interpretHoldings(page, result);
  } catch (err) {
    if (err instanceof PageProblem) return err.outcome;
    throw err;
  }
}

type HoldingsRecord = ExtractedFields<typeof HOLDINGS_PAGE.fields>;
type HoldingsResult = NonNullable<HoldingsRecord["result"]>;

function interpretHoldings(page: HoldingsRecord, result: HoldingsResult): HoldingsPage {
  if (result.summaryRows.length === 0) throw drift("result panel present but no summary table rows found");
  const summary = interpretSummary(result.summaryRows);

  const stockCode = foldSpace(page.stockCode ?? "");
  if (!isStockCode(stockCode)) throw incomplete(`stock code is ${JSON.stringify(page.stockCode ?? "")}, not five digits`);
  const date = toIsoDate(page.date, "shareholding date");
  if (result.issuedShares === undefined) throw drift("no issued-shares figure found");
  const issuedShares = toInteger(result.issuedShares, "issued shares");

  const rows = result.rows;
  const listed = summary.intermediaries.participants + summary.consenting.participants;
  if (rows.length === 0 && listed > 0) throw drift(`summary lists ${listed} participants but no participant rows were found`);
  for (const key of ["name", "shares"] as const) {
    if (rows.length > 0 && rows.every((r) => r[key] === undefined)) throw drift(`no participant row has a ${key} cell`);
  }

  const participants: ParticipantHolding[] = rows.map((r, i) => {
    const where = `participant row ${i + 1}`;
    if (r.name === undefined || r.shares === undefined) throw incomplete(`${where} lacks a name or shareholding cell`);
    const id = r.id ?? "";
    if (id !== "" && !isParticipantId(id)) throw incomplete(`${where}: participant ID ${JSON.stringify(id)} is not a letter and five digits`);
    if (r.name === "") throw incomplete(`${where}: empty participant name`);
    return { id: id === "" ? null : id, name: r.name, address: r.address ? r.address : null, shares: toInteger(r.shares, `${where} shareholding`) };
  });

  // The invariants of a complete page (docs/HKEX.md).
  const { intermediaries: mi, consenting: ci, nonConsenting: nc, total } = summary;
  check(rows.length === listed, () => `${rows.length} participant rows listed, summary says ${mi.participants} intermediaries + ${ci.participants} consenting = ${listed}`);
  const rowShares = participants.reduce((s, p) => s + p.shares, 0);
  check(rowShares === mi.shares + ci.shares, () => `participant rows hold ${rowShares} shares, summary says ${mi.shares} + ${ci.shares} = ${mi.shares + ci.shares}`);
  for (const k of ["shares", "participants"] as const) {
    const sum = mi[k] + ci[k] + nc[k];
    check(total[k] === sum, () => `total ${k} ${total[k]} is not intermediaries + consenting + non-consenting = ${sum}`);
  }

  return { kind: "holdings", date, stockCode, stockName: foldSpace(page.stockName ?? ""), issuedShares, summary, participants };
}

function interpretSummary(rows: HoldingsResult["summaryRows"]): HoldingsSummary {
  const found: Partial<Record<SummaryKey, CategoryTotals>> = {};
  for (const row of rows) {
    const label = row.category ?? "";
    let key = categoryOf(label);
    if (row.isTotal) {
      if (key !== null && key !== "total") throw drift(`summary row marked total is labelled ${JSON.stringify(label)}`);
      key = "total";
    }
    if (key === null) throw drift(`unrecognised summary category ${JSON.stringify(label)}`);
    if (found[key]) throw drift(`summary category ${key} appears twice (${JSON.stringify(label)})`);
    found[key] = {
      shares: toInteger(row.shares, `summary ${key} shareholding`),
      participants: toInteger(row.participants, `summary ${key} number of participants`),
    };
  }
  const { intermediaries, consenting, nonConsenting, total } = found;
  if (!intermediaries || !consenting || !nonConsenting || !total) {
    const missing = SUMMARY_CATEGORIES.map((c) => c.key).filter((k) => !found[k]);
    throw drift(`summary table lacks ${missing.join(", ")}`);
  }
  return { intermediaries, consenting, nonConsenting, total };
}

// ---- search form ---------------------------------------------------------------------------

/** Every named <input> of form#form1 with its value ("" when it has none), for posting the form back. */
export function extractFormFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const input of extract(formDef, html).record.inputs) {
    if (input.name) fields[input.name] = input.value ?? "";
  }
  return fields;
}

// ---- JSON lists ----------------------------------------------------------------------------

type JsonList = { code: string; name: string }[];

/** `[{"c","n"}, …]` with every code matching `code`, or a reason why not. */
function readJsonList(json: string, code: RegExp, what: string): JsonList | PageError {
  const body = json.trim();
  if (body === "") return noResult("empty document");
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    return noResult(`${what}: not valid JSON`);
  }
  if (!Array.isArray(data)) return noResult(`${what}: JSON is not a list`);
  const out: JsonList = [];
  for (const [i, item] of data.entries()) {
    const c = (item as Record<string, unknown> | null)?.[JSON_LISTS.codeKey];
    const n = (item as Record<string, unknown> | null)?.[JSON_LISTS.nameKey];
    if (typeof c !== "string" || !code.test(c)) return noResult(`${what}: item ${i + 1} has code ${JSON.stringify(c ?? null)}`);
    if (typeof n !== "string") return noResult(`${what}: item ${i + 1} (${c}) has no name`);
    out.push({ code: c, name: foldSpace(n) });
  }
  return out;
}

export function parseStockList(json: string): StockListPage | PageError {
  const items = readJsonList(json, JSON_LISTS.stockCode, "stock list");
  if ("error" in items) return items;
  return { kind: "stocklist", stocks: items };
}

export function parsePartList(json: string): ParticipantListPage | PageError {
  const items = readJsonList(json, JSON_LISTS.participantId, "participant list");
  if ("error" in items) return items;
  return { kind: "partlist", participants: items.map(({ code, name }) => ({ id: code, name })) };
}

// ---- southbound ----------------------------------------------------------------------------

export function parseSouthboundPage(html: string): SouthboundPage | PageError {
  const notHtml = notHtmlReason(html);
  if (notHtml) return noResult(notHtml);
  const { record: page, complete } = extract(southboundDef, html);
  const site = siteError(page.alert, page.maintenance);
  if (site) return site;
  const result = page.result;
  if (result === undefined) return noResult("no southbound result table (#mutualmarket-result)");
  if (!complete) return { error: "incomplete", reason: "document ended early (no closing </html>)" };
  try {
    const date = toIsoDate(page.date, "shareholding date");
    const rows = result.rows;
    // A missing cell is drift (in every row) or a broken row, never a silent zero or empty name:
    // only a cell that is present but empty means zero.
    for (const [key, what] of [["code", "stock code"], ["name", "stock name"], ["shares", "shareholding"]] as const) {
      if (rows.length > 0 && rows.every((r) => r[key] === undefined)) throw drift(`no southbound row has a ${what} cell`);
    }
    const holdings: SouthboundHolding[] = rows.map((r, i) => {
      const where = `southbound row ${i + 1}`;
      if (r.name === undefined || r.shares === undefined) throw incomplete(`${where} lacks a stock name or shareholding cell`);
      const code = r.code ?? "";
      if (!isStockCode(code)) throw incomplete(`${where}: stock code ${JSON.stringify(code)} is not five digits`);
      const pct = FORMATS.percent.exec(r.percent ?? "");
      if ((r.percent ?? "") !== "" && !pct) throw incomplete(`${where}: percentage ${JSON.stringify(r.percent)} is not a number`);
      return {
        stockCode: code,
        stockName: r.name,
        shares: toInteger(r.shares, `${where} shareholding`),
        reportedPercent: pct ? Number(pct[1]) : null,
      };
    });
    return { kind: "southbound", date, holdings };
  } catch (err) {
    if (err instanceof PageProblem) return err.outcome;
    throw err;
  }
}

// ---- any page ------------------------------------------------------------------------------

export type PageKind = "holdings" | "stocklist" | "partlist" | "southbound";

/**
 * Parse a page of any kind. With a `hint` the named parser runs; without one the kind is detected:
 * a JSON list by the shape of its codes (five digits: stock list; letter and five digits:
 * participant list), HTML by its result panel (southbound table, else holdings).
 */
export function parsePage(text: string, hint?: PageKind): ParseOutcome {
  switch (hint) {
    case "holdings":
      return parseHoldingsPage(text);
    case "southbound":
      return parseSouthboundPage(text);
    case "stocklist":
      return parseStockList(text);
    case "partlist":
      return parsePartList(text);
    case undefined:
      break;
  }
  const first = text.trimStart()[0];
  if (first === "[" || first === "{") return parseJsonByShape(text);
  const notHtml = notHtmlReason(text);
  if (notHtml) return noResult(notHtml);
  // One pass for a holdings page (the common case); a page without the holdings panel gets a
  // second look for the southbound table.
  const holdings = parseHoldingsPage(text);
  if ("error" in holdings && holdings.error === "no-result" && holdings.reason === NO_HOLDINGS_PANEL) {
    if (extract(kindDef, text).record.southboundResult) return parseSouthboundPage(text);
  }
  return holdings;
}

function parseJsonByShape(text: string): ParseOutcome {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return noResult("not valid JSON");
  }
  if (!Array.isArray(data)) return noResult("JSON is not a list of {c, n}");
  if (data.length === 0) return noResult("empty JSON list: cannot tell a stock list from a participant list (pass a hint)");
  const c = (data[0] as Record<string, unknown> | null)?.[JSON_LISTS.codeKey];
  if (typeof c === "string" && JSON_LISTS.stockCode.test(c)) return parseStockList(text);
  if (typeof c === "string" && JSON_LISTS.participantId.test(c)) return parsePartList(text);
  return noResult(`JSON list with unrecognised code ${JSON.stringify(c ?? null)}`);
}
