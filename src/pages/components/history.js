// Fetch a stock's yearly history parts (history/<code>/<YYYY>.parquet and <YYYY>.days.parquet,
// docs/DATASETS.md "history/") and decode them with hyparquet (zstd from hyparquet-compressors),
// bundled by scripts/build-site.ts. Nothing is fetched until a view asks for a year; each file is
// fetched once per page (the promises are kept), so moving between views costs no new request.
import {compressors, parquetRead, parquetReadObjects} from "./vendor/hyparquet.js";
import {API_BASE, ApiError} from "./api.js";
import {buildHistoryFromParts} from "./trail.js";
import {MARKET_COLUMNS, OWN_COLUMNS, buildPortfolioYearFromColumns, buildPortfolioYearFromStocks} from "./portfolio.js";
import {isIsoDate, isStockCode} from "./validate.js";

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

/** The bytes of a file of the API tree (ApiError when the response is not OK). */
async function fetchBytes(path) {
  const url = apiUrl(path);
  const response = await fetch(url);
  if (!response.ok) throw new ApiError(url, response.status);
  return response.arrayBuffer();
}

/** A Parquet file of the API tree as row objects. */
export async function fetchParquet(path) {
  return parquetReadObjects({file: await fetchBytes(path), compressors});
}

// A DATE column as YYYY-MM-DD strings, each distinct day made once (a year's parts hold ~250 of them):
// the portfolio compares ISO strings, and ~20,000 Date objects and their toISOString() were a
// tenth of the widest holder's page on a date (docs/SITE.md "The participant page on a date").
const isoDays = new Map();
const isoDates = {
  dateFromDays(days) {
    let iso = isoDays.get(days);
    if (iso === undefined) isoDays.set(days, (iso = new Date(days * 86400000).toISOString().slice(0, 10)));
    return iso;
  }
};

/**
 * `columns` of a Parquet file of the API tree as {name: values[]} (dates as ISO strings): no row
 * objects, which the participant page's ~20,000 rows a year made by the tens of milliseconds.
 */
export async function fetchParquetColumns(path, columns) {
  const file = await fetchBytes(path);
  const chunks = Object.fromEntries(columns.map((c) => [c, []]));
  await parquetRead({file, compressors, columns, parsers: isoDates, onChunk: ({columnName, columnData, rowStart}) => chunks[columnName].push({rowStart, columnData})});
  const out = {};
  for (const c of columns) {
    const parts = chunks[c].sort((a, b) => a.rowStart - b.rowStart);
    out[c] = parts.length === 1 ? parts[0].columnData : parts.flatMap((x) => Array.from(x.columnData));
  }
  return out;
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

/**
 * The year's market dates and stock states ({dates, columns}: portfolio.js's MARKET_COLUMNS), kept
 * per page. Its JSON and its Parquet file are fetched side by side (every year with a by-participant
 * part has both).
 */
export function fetchMarketYear(year) {
  if (!Number.isInteger(year)) throw new TypeError(`not a year: ${year}`);
  if (!markets.has(year)) {
    const load = async () => {
      const [m, columns] = await Promise.all([fetchMarketJson(year), fetchOptionalParquet(`history/market/${year}.parquet`, MARKET_COLUMNS)]);
      return m ? {dates: m.dates, columns} : {dates: [], columns: Object.fromEntries(MARKET_COLUMNS.map((c) => [c, []]))};
    };
    markets.set(year, load().catch((err) => { markets.delete(year); throw err; }));
  }
  return markets.get(year);
}

/** A Parquet file's `columns` (portfolio.js's OWN_COLUMNS, MARKET_COLUMNS), each [] when the site has no such file. */
async function fetchOptionalParquet(path, columns) {
  try {
    return await fetchParquetColumns(path, columns);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return Object.fromEntries(columns.map((c) => [c, []]));
    throw err;
  }
}

/** A participant's rows of a year's parts ([] when it held nothing that year). */
function fetchParticipantPart(file, year) {
  return fetchOptionalParquet(`history/by-participant/${file}/${year}.parquet`, OWN_COLUMNS);
}

/** The years of history/held/ ({stocks: {code: [years]}}) in which it held any stock, newest first. */
export function heldYearsOf(held) {
  return held?.stocks ? [...new Set(Object.values(held.stocks).flat())].sort((a, b) => b - a) : [];
}

/**
 * The years the participant page opens on (its year pickers' first values): `year` that of the
 * address's date= (else of compare=, else the newest of `heldYears`), `compare` that of compare=
 * (else null). A year in which it held nothing is never chosen from the address.
 */
export function openingYears(params, heldYears) {
  const asked = (name) => askedHeldYear(params, name, heldYears);
  return {year: asked("date") ?? asked("compare") ?? heldYears[0] ?? null, compare: asked("compare")};
}

/** The year of the address's `name`= date when it is a date of one of `heldYears`, else null. */
export function askedHeldYear(params, name, heldYears) {
  const v = params.get(name);
  return v && isIsoDate(v) && heldYears.includes(Number(v.slice(0, 4))) ? Number(v.slice(0, 4)) : null;
}

// each participant's years built once per page: the address's years are started as soon as held/
// is read (prefetchParticipantYears), and the page's view then finds them started
const participantYears = new Map();

/**
 * Map year → the participant's year (portfolio.js) for each of `years`: its own part and the market
 * file where held/ lists the year in `own`, else (a participant of few stocks) the stock parts of that
 * year of the stocks it held in one of `years`, as the page read them before (issue #22). Kept per
 * page by participant and years (a failed load is forgotten, so it may be asked again).
 */
export function fetchParticipantYears(file, key, held, years) {
  if (!/^[\w-]+$/.test(file)) throw new TypeError(`not a participant file name: ${file}`);
  const ys = [...new Set(years)].sort();
  const id = `${file} ${key} ${ys}`;
  if (!participantYears.has(id)) participantYears.set(id, loadParticipantYears(key, file, held, ys).catch((err) => { participantYears.delete(id); throw err; }));
  return participantYears.get(id);
}

/**
 * Start loading the years the participant page opens on (openingYears), when the address names a
 * date: called as soon as held/ is read, so these files are fetched beside the participant's own
 * JSON instead of after the page has drawn it. Errors are left to the page's own call.
 */
export function prefetchParticipantYears(file, key, held, params) {
  if (!held?.stocks || !(params.has("date") || params.has("compare"))) return;
  const {year, compare} = openingYears(params, heldYearsOf(held));
  const years = [year, compare].filter((y) => y != null);
  if (years.length) fetchParticipantYears(file, key, held, years).catch(() => {});
}

async function loadParticipantYears(key, file, held, ys) {
  const own = new Set(held.own ?? []);
  const codes = Object.keys(held.stocks).filter((c) => held.stocks[c].some((y) => ys.includes(y))).sort();
  const loaded = await Promise.all(ys.map(async (y) => {
    if (own.has(y)) {
      const [points, market] = await Promise.all([fetchParticipantPart(file, y), fetchMarketYear(y)]);
      return [y, buildPortfolioYearFromColumns(y, points, market.columns, market.dates)];
    }
    const stocks = await Promise.all(codes.map(async (code) => held.stocks[code].includes(y)
      ? {code, ...(await fetchPart(code, y))}
      : {code, points: [], days: await fetchDaysPart(code, y)}));
    return [y, buildPortfolioYearFromStocks(y, key, stocks)];
  }));
  return new Map(loaded);
}
