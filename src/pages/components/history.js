// Fetch a stock's yearly history parts (history/<code>/<YYYY>.parquet and <YYYY>.days.parquet,
// docs/DATASETS.md "history/") and decode them with hyparquet (zstd from hyparquet-compressors),
// bundled by scripts/build-site.ts. Nothing is fetched until a view asks for a year; each file is
// fetched once per page (the promises are kept), so moving between views costs no new request.
import {compressors, parquetReadObjects} from "./vendor/hyparquet.js";
import {API_BASE, ApiError} from "./api.js";
import {buildHistoryFromParts} from "./trail.js";
import {isStockCode} from "./validate.js";

/** A Parquet file of the API tree as row objects. */
export async function fetchParquet(path) {
  const url = API_BASE + path;
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

/** The years in which a participant held each stock (history/held/<file>.json: {code: [years]}), or null. */
export async function fetchHeld(file) {
  try {
    const response = await fetch(`${API_BASE}history/held/${file}.json`);
    if (!response.ok) throw new ApiError(response.url, response.status);
    return (await response.json()).stocks;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

/**
 * The history over `years` of every stock of `held` ({code: [years]}) held in one of them (Map
 * code → history, codes ascending), `parallel` stocks at a time: only those years' parts.
 */
export async function fetchHeldHistories(held, years, parallel = 6) {
  const want = new Set(years);
  const codes = Object.keys(held).filter((c) => held[c].some((y) => want.has(y))).sort();
  const out = new Map();
  let next = 0;
  async function worker() {
    while (next < codes.length) {
      const code = codes[next++];
      const years = held[code].filter((y) => want.has(y));
      const h = await fetchHistoryYears(code, years, [...want].filter((y) => !years.includes(y)));
      if (h) out.set(code, h);
    }
  }
  await Promise.all(Array.from({length: Math.min(parallel, codes.length)}, worker));
  // insertion order is arrival order: sort so every view lists stocks the same way
  return new Map([...out].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
}
