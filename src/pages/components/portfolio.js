// One participant across stocks on any date, from its own yearly parts (docs/DATASETS.md "history/"):
// history/by-participant/<file>/<YYYY>.parquet (its rows of every stock's part: stock_code, date,
// shares, sorted by stock then date) and the year's market file history/market/<YYYY>.parquet (each
// stock's stored / issued_shares / basis as change points over the market dates) with
// history/market/<YYYY>.json (the market dates). The widest holder's page reads its own rows instead
// of the part of every stock it held (docs/ARCHITECTURE.md "Each participant's own order").
// Pure functions over plain arrays (no imports), so the tests run them in Node on the same files and
// compare them with trail.js's portfolioOn / portfolioChange over the per-stock parts.

const iso = (d) => (d instanceof Date ? d.toISOString().slice(0, 10) : String(d));

/** Row objects → {name: values[]} for `names`. */
const columnsOf = (rows, names) => Object.fromEntries(names.map((n) => [n, rows.map((r) => r[n])]));

/**
 * Group columns (stock_code, date and `fields`, rows sorted by stock then date) into Map code →
 * {date: [ISO], ...fields}; `fields` = [[name, values, convert]]. One pass, no row objects: on the
 * widest holder's ~20,000 rows a year, grouping its row objects was a tenth of its page's
 * main-thread time (docs/SITE.md "The participant page on a date").
 */
function byStock(codes, dates, fields) {
  const out = new Map();
  let code;
  let s = null;
  for (let i = 0; i < codes.length; i++) {
    if (codes[i] !== code) {
      code = codes[i];
      s = out.get(code);
      if (!s) out.set(code, (s = {date: [], ...Object.fromEntries(fields.map(([name]) => [name, []]))}));
    }
    s.date.push(iso(dates[i]));
    for (const [name, values, convert] of fields) s[name].push(convert(values[i]));
  }
  return out;
}

/** Index of the last entry of `dates` (ascending ISO strings) at or before `date`, or -1. */
function lastAtOrBefore(dates, date) {
  let lo = 0;
  let hi = dates.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (dates[mid] <= date) { found = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return found;
}

/**
 * One year of one participant: points = its by-participant part's rows, market = the year's market
 * change rows, dates = the year's market dates (ascending).
 */
export function buildPortfolioYear(year, points, market, dates) {
  return buildPortfolioYearFromColumns(year, columnsOf(points, OWN_COLUMNS), columnsOf(market, MARKET_COLUMNS), dates);
}

/** The columns of the two files that a participant's year reads (as history.js decodes them). */
export const OWN_COLUMNS = ["stock_code", "date", "shares"];
export const MARKET_COLUMNS = ["stock_code", "date", "stored", "issued_shares", "basis"];

/** buildPortfolioYear over the files' columns ({name: values[]} of OWN_COLUMNS and MARKET_COLUMNS). */
export function buildPortfolioYearFromColumns(year, points, market, dates) {
  return {
    year,
    dates: [...dates].map(iso).sort(),
    held: byStock(points.stock_code, points.date, [["shares", points.shares, Number]]),
    market: byStock(market.stock_code, market.date, [["stored", market.stored, (x) => x === true || x === 1], ["issued", market.issued_shares, Number], ["basis", market.basis, (x) => Number(x ?? 1)]])
  };
}

/**
 * The same year of a participant without its own part (it held fewer than OWN_PART_MIN_STOCKS
 * stocks): from the stock parts of that year, `stocks` = [{code, points, days}] for every stock it
 * held in one of the loaded years (points [] where it held none this year, days [] where the stock
 * has no stored date). Its market rows are the stored dates themselves (`exact`).
 */
export function buildPortfolioYearFromStocks(year, key, stocks) {
  const points = [];
  const market = [];
  const dates = new Set();
  for (const {code, points: p, days} of [...stocks].sort((a, b) => (a.code < b.code ? -1 : 1))) {
    for (const r of p) if (r.participant_key === key) points.push({stock_code: code, date: r.date, shares: r.shares});
    for (const d of days) {
      market.push({stock_code: code, date: d.date, stored: true, issued_shares: d.issued_shares, basis: d.basis});
      dates.add(iso(d.date));
    }
  }
  return {...buildPortfolioYear(year, points, market, [...dates]), exact: true};
}

/** A stock's state on an ISO date of `book`'s year: {issued, basis}, or null when it has no stored day then. */
function stateOn(book, code, date) {
  const m = book?.market.get(code);
  if (!m) return null;
  const i = lastAtOrBefore(m.date, date);
  if (i < 0 || !m.stored[i] || (book.exact && m.date[i] !== date)) return null;
  return {issued: m.issued[i], basis: m.basis[i]};
}

/** The participant's shares of a stock on a date of `book`'s year (0 when not held). */
function sharesOn(book, code, date) {
  const h = book?.held.get(code);
  if (!h) return 0;
  const i = lastAtOrBefore(h.date, date);
  return i < 0 ? 0 : h.shares[i];
}

const bookOf = (books, date) => books.get(Number(date.slice(0, 4)));

/**
 * The stored dates of `year` (descending) of the stocks the participant held in any loaded year:
 * the dates its portfolio can be shown on (a market date on which none of them was stored is not one).
 */
export function portfolioDates(books, year) {
  const book = books.get(year);
  if (!book) return [];
  const codes = new Set([...books.values()].flatMap((b) => [...b.held.keys()]));
  const out = new Set();
  for (const code of codes) {
    const m = book.market.get(code);
    if (!m) continue;
    for (let i = 0; i < m.date.length && out.size < book.dates.length; i++) {
      if (!m.stored[i]) continue;
      if (book.exact) { out.add(m.date[i]); continue; }
      const end = i + 1 < m.date.length ? m.date[i + 1] : null;
      for (let d = lastAtOrBefore(book.dates, m.date[i]); d < book.dates.length && (end === null || book.dates[d] < end); d++) out.add(book.dates[d]);
    }
  }
  return [...out].sort().reverse();
}

/** As trail.js's portfolioOn: [{stock_code, shares, pct}] of every stock it held on the date, largest % first. */
export function portfolioOnYears(books, date) {
  const book = bookOf(books, date);
  const out = [];
  if (!book) return out;
  for (const code of book.held.keys()) {
    const st = stateOn(book, code, date);
    if (!st) continue;
    const shares = sharesOn(book, code, date);
    if (shares > 0) out.push({stock_code: code, shares, pct: st.issued ? (shares / st.issued) * 100 : null});
  }
  return out.sort((a, b) => (b.pct ?? 0) - (a.pct ?? 0) || (a.stock_code < b.stock_code ? -1 : 1));
}

/**
 * As trail.js's portfolioChange, from date0 to date1 (ISO, date0 earlier): each stock in date1's
 * basis, largest absolute change in % of issued first.
 */
export function portfolioChangeYears(books, date0, date1) {
  const b0 = bookOf(books, date0);
  const b1 = bookOf(books, date1);
  const codes = [...new Set([...(b0?.held.keys() ?? []), ...(b1?.held.keys() ?? [])])];
  const out = [];
  for (const code of codes) {
    const s0 = stateOn(b0, code, date0);
    const s1 = stateOn(b1, code, date1);
    const raw0 = s0 ? sharesOn(b0, code, date0) : 0;
    const after = s1 ? sharesOn(b1, code, date1) : 0;
    if (raw0 === 0 && after === 0) continue;
    const ratio = s0 && s1 ? s1.basis / s0.basis : 1;
    const before = s0 && s1 ? Math.round(raw0 * ratio) : raw0;
    const pctBefore = s0 && s0.issued ? (raw0 / s0.issued) * 100 : 0;
    const pctAfter = s1 && s1.issued ? (after / s1.issued) * 100 : 0;
    out.push({stock_code: code, shares_before: before, shares_after: after, change: after - before,
      pct_before: pctBefore, pct_after: pctAfter, change_pp: pctAfter - pctBefore,
      status: raw0 === 0 ? "entered" : after === 0 ? "left" : "",
      basis_changed: !!(s0 && s1) && ratio !== 1});
  }
  return out.sort((a, b) => Math.abs(b.change_pp) - Math.abs(a.change_pp) || (a.stock_code < b.stock_code ? -1 : 1));
}
