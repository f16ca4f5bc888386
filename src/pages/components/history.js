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
