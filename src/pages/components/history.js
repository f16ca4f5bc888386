// Fetch a stock's history files (history/<code>.parquet and <code>.days.parquet, docs/DATASETS.md)
// and decode them with hyparquet (zstd from hyparquet-compressors), bundled by scripts/build-site.ts.
import {compressors, parquetReadObjects} from "./vendor/hyparquet.js";
import {API_BASE, ApiError} from "./api.js";
import {buildHistory} from "./trail.js";
import {isStockCode} from "./validate.js";

/** A Parquet file of the API tree as row objects. */
export async function fetchParquet(path) {
  const url = API_BASE + path;
  const response = await fetch(url);
  if (!response.ok) throw new ApiError(url, response.status);
  return parquetReadObjects({file: await response.arrayBuffer(), compressors});
}

/** The stock's history (trail.js's shape), or null when the site has no history for it. */
export async function fetchHistory(code) {
  if (!isStockCode(code)) throw new TypeError(`not a stock code: ${code}`);
  try {
    const [points, days] = await Promise.all([fetchParquet(`history/${code}.parquet`), fetchParquet(`history/${code}.days.parquet`)]);
    return buildHistory(points, days);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

/** The stocks a participant held on any stored date (history/held/<file>.json), or null. */
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

/** Every stock's history of `codes` (Map code → history), `parallel` requests at a time. */
export async function fetchHistories(codes, parallel = 6) {
  const out = new Map();
  let next = 0;
  async function worker() {
    while (next < codes.length) {
      const code = codes[next++];
      const h = await fetchHistory(code);
      if (h) out.set(code, h);
    }
  }
  await Promise.all(Array.from({length: Math.min(parallel, codes.length)}, worker));
  // insertion order is arrival order: sort so every view lists stocks the same way
  return new Map([...out].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
}
