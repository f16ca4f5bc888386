// The stock and participant JSON of the static API is stored gzip-compressed (`*.json.gz`,
// docs/DATASETS.md "Static API"): 3.5–3.8× smaller on the full-market year, which the ten-year
// Pages budget needs (GitHub Pages does not promise to compress JSON on the wire, and files count
// toward the 1 GB at their stored size). The pages inflate them in `src/pages/components/api.js`.
import { promisify } from "node:util";
import { readFile } from "node:fs/promises";
import { gunzipSync, gzip } from "node:zlib";

const gzipAsync = promisify(gzip);

/** Byte 9 of a gzip header names the OS that wrote it (RFC 1952); zlib's value depends on its build. */
const OS_BYTE = 9;
const OS_UNIX = 3;

/**
 * Gzip level 9, deterministic: zlib writes mtime 0 and no file name, and the OS byte is pinned so
 * the same text gives the same bytes on every machine. Runs on libuv's thread pool, so the export's
 * other writers keep going meanwhile.
 */
export async function gzipJson(text: string): Promise<Buffer> {
  const out = await gzipAsync(Buffer.from(text), { level: 9 });
  out[OS_BYTE] = OS_UNIX;
  return out;
}

/** A `*.json.gz` file of an exported tree, parsed (for scripts, benchmarks and tests). */
export async function readGzipJson<T = unknown>(file: string): Promise<T> {
  return JSON.parse(gunzipSync(await readFile(file)).toString("utf8")) as T;
}
