// Bring closed years back from their release assets (`npm run fetch-dataset`, docs/OPERATIONS.md
// "Closed years"): every file of the manifest's years is downloaded beside its target, its SHA-256
// checked, then renamed into place. Re-running is safe and resumes: a file already in place with the
// right checksum is skipped, a partial download (`<file>.part`) continues with an HTTP range request
// when the host honours it. A truncated or altered file never reaches its place (checksum), a host
// that stalls is abandoned after `stallMs` without data, and each file is tried `attempts` times.
import { existsSync } from "node:fs";
import { mkdir, open, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { fileSha256, type Manifest, type ManifestFile } from "./year-manifest.ts";

export class FetchDatasetError extends Error {
  override readonly name = "FetchDatasetError";
}

export interface FetchOptions {
  manifest: Manifest;
  out: string;
  /** Only years ≥ from. */
  from?: number;
  /** Only years ≤ to. */
  to?: number;
  attempts?: number;
  /** Give up on a response that sends nothing for this long. */
  stallMs?: number;
  log?: (line: string) => void;
}

export interface FetchResult {
  years: number[];
  downloaded: string[];
  kept: string[];
  bytes: number;
}

/** Download `url` into `part`, continuing from its current size when the host answers 206. */
async function download(f: ManifestFile, part: string, stallMs: number): Promise<void> {
  const have = existsSync(part) ? (await stat(part)).size : 0;
  if (have > f.bytes) await rm(part, { force: true });
  const from = have > f.bytes ? 0 : have;
  if (from === f.bytes && from > 0) return; // complete already: the checksum decides
  const controller = new AbortController();
  let timer = setTimeout(() => controller.abort(), stallMs);
  const alive = () => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(), stallMs);
  };
  try {
    const r = await fetch(f.url, { headers: from > 0 ? { range: `bytes=${from}-` } : {}, signal: controller.signal, redirect: "follow" });
    if (r.status === 404) throw new FetchDatasetError(`${f.path}: ${f.url} answered 404 (asset missing from the release)`);
    if (!r.ok || !r.body) throw new Error(`${f.url}: HTTP ${r.status}`);
    const append = r.status === 206 && from > 0 && (r.headers.get("content-range") ?? "").startsWith(`bytes ${from}-`);
    const fh = await open(part, append ? "a" : "w");
    try {
      for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) {
        alive();
        await fh.write(chunk);
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch (err) {
    if (controller.signal.aborted) throw new Error(`${f.url}: no data for ${stallMs} ms`);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** Fetch the manifest's years (≥ from) into `out`. */
export async function fetchDataset(o: FetchOptions): Promise<FetchResult> {
  const attempts = o.attempts ?? 3;
  const stallMs = o.stallMs ?? 60_000;
  const log = o.log ?? (() => {});
  const years = Object.keys(o.manifest.years).map(Number).filter((y) => (o.from === undefined || y >= o.from) && (o.to === undefined || y <= o.to)).sort((a, b) => a - b);
  const result: FetchResult = { years, downloaded: [], kept: [], bytes: 0 };
  for (const year of years) {
    for (const f of o.manifest.years[String(year)]!.files) {
      const target = path.join(o.out, ...f.path.split("/"));
      if (!path.resolve(target).startsWith(path.resolve(o.out) + path.sep)) throw new FetchDatasetError(`${f.path}: outside ${o.out}`);
      if (existsSync(target) && (await stat(target)).size === f.bytes && (await fileSha256(target)) === f.sha256) {
        result.kept.push(f.path);
        continue;
      }
      await mkdir(path.dirname(target), { recursive: true });
      const part = `${target}.part`;
      let last = "";
      for (let i = 1; i <= attempts; i++) {
        try {
          await download(f, part, stallMs);
          const size = (await stat(part)).size;
          const sum = size === f.bytes ? await fileSha256(part) : null;
          if (sum === f.sha256) {
            await rename(part, target);
            last = "";
            break;
          }
          // a wrong byte count or checksum: the partial file is no base to resume from
          await rm(part, { force: true });
          last = size !== f.bytes ? `got ${size} bytes, expected ${f.bytes}` : `sha256 ${sum}, expected ${f.sha256}`;
        } catch (err) {
          if (err instanceof FetchDatasetError) throw err;
          last = (err as Error).message;
        }
        log(`${f.path}: attempt ${i} of ${attempts} failed: ${last}`);
      }
      if (last) throw new FetchDatasetError(`${f.path}: not fetched after ${attempts} attempts (${last}); the partial file, if any, is kept as ${path.basename(part)}`);
      result.downloaded.push(f.path);
      result.bytes += f.bytes;
      log(`${f.path}: ${f.bytes} bytes, checksum verified`);
    }
  }
  return result;
}
