// The static JSON API (docs/DATASETS.md), copied to dist/_file/api/v1 by scripts/build-site.ts and
// served at the same URL by `npm run dev`. Pages sit at the site root, so the relative URL holds.
import {isParticipantKey, isStockCode} from "./validate.js";

export const API_BASE = "./_file/api/v1/";

export class ApiError extends Error {
  constructor(url, status) {
    super(status === 404 ? `not found: ${url}` : `request failed (${status}): ${url}`);
    this.name = "ApiError";
    this.url = url;
    this.status = status;
  }
}

/** The two bytes every gzip stream starts with (RFC 1952). */
const GZIP_MAGIC = [0x1f, 0x8b];

/**
 * JSON text from a file stored gzip-compressed (`*.json.gz`). A server that sends the file with
 * `Content-Encoding: gzip` (Framework's preview, some CDNs) has the browser decompress it already,
 * so the bytes are looked at, not the URL: gzip is inflated here, anything else is read as JSON.
 */
export async function parseMaybeGzipJson(bytes) {
  const data = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (data[0] !== GZIP_MAGIC[0] || data[1] !== GZIP_MAGIC[1]) return JSON.parse(new TextDecoder().decode(data));
  const inflated = new Blob([data]).stream().pipeThrough(new DecompressionStream("gzip"));
  return JSON.parse(await new Response(inflated).text());
}

export async function fetchJson(path) {
  const url = API_BASE + path;
  const response = await fetch(url);
  if (!response.ok) throw new ApiError(url, response.status);
  return path.endsWith(".gz") ? parseMaybeGzipJson(await response.arrayBuffer()) : response.json();
}

/** Where a stock's and a participant's JSON live (stored gzip-compressed: docs/DATASETS.md). */
export const stockJsonPath = (code) => `stocks/${code}.json.gz`;
export const participantJsonPath = (key) => `participants/${participantFileName(key)}.json.gz`;

/** The JSON for one stock, or null when the dataset has no such stock. */
export async function fetchStock(code) {
  if (!isStockCode(code)) throw new TypeError(`not a stock code: ${code}`);
  try {
    return await fetchJson(stockJsonPath(code));
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

/** Participant files (docs/DATASETS.md): "ip:0123456789ab#2" → "ip-0123456789ab-2"; IDs unchanged. */
export function participantFileName(key) {
  if (!isParticipantKey(key)) throw new TypeError(`not a participant key: ${key}`);
  return key.replace(":", "-").replace("#", "-");
}

export async function fetchParticipant(key) {
  try {
    return await fetchJson(participantJsonPath(key));
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

/** The index (stocks and participants with names), or null on a site built without data. */
export async function fetchIndex() {
  try {
    return await fetchJson("index.json");
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}
