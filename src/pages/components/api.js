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

export async function fetchJson(path) {
  const url = API_BASE + path;
  const response = await fetch(url);
  if (!response.ok) throw new ApiError(url, response.status);
  return response.json();
}

/** The JSON for one stock, or null when the dataset has no such stock. */
export async function fetchStock(code) {
  if (!isStockCode(code)) throw new TypeError(`not a stock code: ${code}`);
  try {
    return await fetchJson(`stocks/${code}.json`);
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
    return await fetchJson(`participants/${participantFileName(key)}.json`);
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
