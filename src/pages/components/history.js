// Fetch a stock's yearly history parts (history/<code>/<YYYY>.parquet and <YYYY>.days.parquet,
// docs/DATASETS.md "history/") and decode them with hyparquet (zstd from hyparquet-compressors),
// bundled by scripts/build-site.ts. Nothing is fetched until a view asks for a year; each file is
// fetched once per page (the promises are kept), so moving between views costs no new request.
import {compressors, parquetReadObjects} from "./vendor/hyparquet.js";
import {API_BASE, ApiError} from "./api.js";
import {buildHistoryFromParts} from "./trail.js";
import {buildPortfolioYear, buildPortfolioYearFromStocks} from "./portfolio.js";
import {isStockCode} from "./validate.js";

// The data host (meta.json's history_host, CCASS_DATA_HOST): the history files and the downloads'
// yearly parts of the years before history_full_from are read from it (history at full resolution)
// instead of from this site (the page's Content-Security-Policy admits that one origin). Set once by
// a page from its meta.json.
let dataHost = null;

/** Read the older years' history from meta.json's data host, if it names one (call before any fetch). */
export function useDataHost(meta) {
  const origin = typeof meta?.history_host === "string" ? meta.history_host : null;
  dataHost = origin && /^https?:\/\/[^/\s]+$/.test(origin) && Number.isInteger(meta.history_full_from) ? {origin, before: meta.history_full_from} : null;
}

/** The URL of a file of the API tree: an older year's history file or download part on the data host, else this site. */
export function apiUrl(path) {
  const m =
    /^history\/(?:\d{5}|by-participant\/[\w-]+|market)\/(\d{4})\.(?:days\.)?(?:parquet|json)$/.exec(path) ??
    /^downloads\/[a-z0-9-]+\/year=(\d{4})\/[a-z0-9-]+\.parquet$/.exec(path);
  return dataHost && m && Number(m[1]) < dataHost.before ? `${dataHost.origin}/${path}` : API_BASE + path;
}

/** A Parquet file of the API tree as row objects. */
export async function fetchParquet(path) {
  const url = apiUrl(path);
  const response = await fetch(url);
  if (!response.ok) throw new ApiError(url, response.status);
  return parquetReadObjects({file: await response.arrayBuffer(), compressors});
}

const files = new Map();

/** The rows of history/<code>/<year><suffix>, [] when the site has no such part (kept per page). */
function partFile(code, year, suffix) {
  if (!isStockCode(code)) throw new TypeError(`not a stock code: ${code}`);
  if (!Number.isInteger(year)) throw new TypeError(`not a year: ${year}`);
  const path = `history/${code}/${year}${suffix}`;
  if (!files.has(path)) {
    const rows = fetchParquet(path).catch((err) => {
      if (err instanceof ApiError && err.status === 404) return [];
      files.delete(path); // a failed request may be retried
      throw err;
    });
    files.set(path, rows);
  }
  return files.get(path);
}

/** The stored dates of a stock in a year with that day's issued shares and basis (the days part). */
export function fetchDaysPart(code, year) {
  return partFile(code, year, ".days.parquet");
}

/** The stored dates of a stock in a year as YYYY-MM-DD, ascending. */
export async function fetchStoredDates(code, year) {
  return (await fetchDaysPart(code, year)).map((d) => (d.date instanceof Date ? d.date.toISOString().slice(0, 10) : String(d.date)));
}

/** One year's part: {points, days}. */
export async function fetchPart(code, year) {
  const [points, days] = await Promise.all([partFile(code, year, ".parquet"), fetchDaysPart(code, year)]);
  return {points, days};
}

/**
 * The stock's history over `years` (trail.js's shape), or null when the site has none of them.
 * Years in `datesOnly` bring their stored dates but no holdings (a participant that held none that
 * year): the dates still carry the basis, and the positions end before them.
 */
export function fetchHistoryYears(code, years, datesOnly = []) {
  const id = `${code} ${[...years].sort()} ${[...datesOnly].sort()}`;
  if (!built.has(id)) built.set(id, buildFromParts(code, years, datesOnly).catch((err) => { built.delete(id); throw err; }));
  return built.get(id);
}

// each history built once per page: the views that share years share it
const built = new Map();

async function buildFromParts(code, years, datesOnly) {
  const parts = await Promise.all([
    ...[...new Set(years)].map((y) => fetchPart(code, y)),
    ...[...new Set(datesOnly)].filter((y) => !years.includes(y)).map(async (y) => ({points: [], days: await fetchDaysPart(code, y)}))
  ]);
  return parts.some((p) => p.days.length) ? buildHistoryFromParts(parts) : null;
}

/**
 * The years in which a participant held each stock and those with its own part
 * (history/held/<file>.json: {stocks: {code: [years]}, own: [years]}), or null.
 */
export async function fetchHeld(file) {
  try {
    const response = await fetch(`${API_BASE}history/held/${file}.json`);
    if (!response.ok) throw new ApiError(response.url, response.status);
    const held = await response.json();
    return {stocks: held.stocks, own: held.own ?? []};
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

// The participant page on a date: its own part of each chosen year (history/by-participant/) and the
// year's market file, fetched once a page each (docs/ARCHITECTURE.md "Each participant's own order").
const markets = new Map();
const marketJsons = new Map();

/**
 * history/market/<year>.json, kept per page: {dates, resolution, stored_dates}. A coarse year
 * (docs/DATASETS.md "history/") says so: `resolution` "month-end" or "quarter-end", `dates` its kept dates and
 * `stored_dates` how many dates the year had; a full year has no `resolution`. null when absent.
 */
export function fetchMarketJson(year) {
  if (!Number.isInteger(year)) throw new TypeError(`not a year: ${year}`);
  if (!marketJsons.has(year)) {
    const load = async () => {
      const response = await fetch(apiUrl(`history/market/${year}.json`));
      if (response.status === 404) return null;
      if (!response.ok) throw new ApiError(response.url, response.status);
      const m = await response.json();
      const dates = Array.isArray(m.dates) ? m.dates.map(String) : [];
      return {dates, resolution: m.resolution === "month-end" || m.resolution === "quarter-end" ? m.resolution : "full", stored_dates: Number.isInteger(m.stored_dates) ? m.stored_dates : dates.length};
    };
    marketJsons.set(year, load().catch((err) => { marketJsons.delete(year); throw err; }));
  }
  return marketJsons.get(year);
}

/** The year's market dates and stock states ({dates, rows}), kept per page. */
export function fetchMarketYear(year) {
  if (!Number.isInteger(year)) throw new TypeError(`not a year: ${year}`);
  if (!markets.has(year)) {
    const load = async () => {
      const m = await fetchMarketJson(year);
      if (!m) return {dates: [], rows: []};
      return {dates: m.dates, rows: await fetchParquet(`history/market/${year}.parquet`)};
    };
    markets.set(year, load().catch((err) => { markets.delete(year); throw err; }));
  }
  return markets.get(year);
}

/** A participant's rows of a year's parts ([] when it held nothing that year). */
async function fetchParticipantPart(file, year) {
  try {
    return await fetchParquet(`history/by-participant/${file}/${year}.parquet`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return [];
    throw err;
  }
}

/**
 * Map year → the participant's year (portfolio.js) for each of `years`: its own part and the market
 * file where held/ lists the year in `own`, else (a participant of few stocks) the stock parts of that
 * year of the stocks it held in one of `years`, as the page read them before (issue #22).
 */
export async function fetchParticipantYears(file, key, held, years) {
  if (!/^[\w-]+$/.test(file)) throw new TypeError(`not a participant file name: ${file}`);
  const ys = [...new Set(years)].sort();
  const own = new Set(held.own ?? []);
  const codes = Object.keys(held.stocks).filter((c) => held.stocks[c].some((y) => ys.includes(y))).sort();
  const loaded = await Promise.all(ys.map(async (y) => {
    if (own.has(y)) {
      const [points, market] = await Promise.all([fetchParticipantPart(file, y), fetchMarketYear(y)]);
      return [y, buildPortfolioYear(y, points, market.rows, market.dates)];
    }
    const stocks = await Promise.all(codes.map(async (code) => held.stocks[code].includes(y)
      ? {code, ...(await fetchPart(code, y))}
      : {code, points: [], days: await fetchDaysPart(code, y)}));
    return [y, buildPortfolioYearFromStocks(y, key, stocks)];
  }));
  return new Map(loaded);
}
