// The manifest of the closed years published once, outside the repository (docs/ARCHITECTURE.md
// "Closed years, published once"): data/releases.json in main, a few KB a year, maps each closed
// year to the release assets that hold its dataset files, with their size and SHA-256. It is the
// only thing main keeps of a closed year; `npm run fetch-dataset` reads it to bring years back.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";

export interface ManifestFile {
  /** Path inside the dataset folder, e.g. holdings/month=2025-01/2025-01.parquet. */
  path: string;
  /** The release asset's name (letters, digits, `.`, `-`, `_` only: GitHub renames anything else). */
  asset: string;
  url: string;
  bytes: number;
  sha256: string;
}

export interface YearEntry {
  tag: string;
  files: ManifestFile[];
}

export interface Manifest {
  version: 1;
  years: Record<string, YearEntry>;
}

/** The manifest is missing, malformed, or names something unsafe: one line saying what and where. */
export class ManifestError extends Error {
  override readonly name = "ManifestError";
}

/** A dataset path a closed year may hold: a month file of a table, nothing that climbs out of the folder. */
const DATASET_PATH = /^[a-z][a-z0-9_]*\/month=(\d{4})-(0[1-9]|1[0-2])\/\1-\2\.parquet$/;
const ASSET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;
const SHA256 = /^[0-9a-f]{64}$/;

/** The release asset name of a dataset path: holdings/month=2025-01/2025-01.parquet → holdings.2025-01.parquet. */
export function assetName(datasetPath: string): string {
  const m = DATASET_PATH.exec(datasetPath);
  if (!m) throw new ManifestError(`not a month file of the dataset: ${JSON.stringify(datasetPath)}`);
  return `${datasetPath.slice(0, datasetPath.indexOf("/"))}.${m[1]}-${m[2]}.parquet`;
}

/** http(s) URL; plain http only to a loopback address (the tests' stand-in hosts). */
export function isFetchableUrl(url: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.username || u.password) return false;
  if (u.protocol === "https:") return true;
  return u.protocol === "http:" && (u.hostname === "127.0.0.1" || u.hostname === "localhost" || u.hostname === "[::1]");
}

/** Check a parsed manifest entry by entry; `where` names the file in the message. */
export function parseManifest(text: string, where: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ManifestError(`${where}: not JSON (${(err as Error).message})`);
  }
  const m = raw as Partial<Manifest>;
  if (!m || typeof m !== "object" || m.version !== 1 || !m.years || typeof m.years !== "object") {
    throw new ManifestError(`${where}: expected {"version": 1, "years": {...}}`);
  }
  for (const [year, entry] of Object.entries(m.years)) {
    if (!/^\d{4}$/.test(year)) throw new ManifestError(`${where}: year ${JSON.stringify(year)} is not YYYY`);
    if (!entry || typeof entry.tag !== "string" || !Array.isArray(entry.files)) throw new ManifestError(`${where}: year ${year} needs a tag and files`);
    const seen = new Set<string>();
    for (const f of entry.files) {
      const what = `${where}: year ${year}, ${JSON.stringify(f?.path)}`;
      if (!f || typeof f.path !== "string" || !DATASET_PATH.test(f.path)) throw new ManifestError(`${what}: not a month file of the dataset`);
      if (!f.path.includes(`/month=${year}-`)) throw new ManifestError(`${what}: not a month of ${year}`);
      if (seen.has(f.path)) throw new ManifestError(`${what}: listed twice`);
      seen.add(f.path);
      if (typeof f.asset !== "string" || !ASSET_NAME.test(f.asset)) throw new ManifestError(`${what}: bad asset name`);
      if (typeof f.url !== "string" || !isFetchableUrl(f.url)) throw new ManifestError(`${what}: url must be https (or http to a loopback address)`);
      if (!Number.isSafeInteger(f.bytes) || f.bytes < 0) throw new ManifestError(`${what}: bytes must be a whole number`);
      if (typeof f.sha256 !== "string" || !SHA256.test(f.sha256)) throw new ManifestError(`${what}: sha256 must be 64 lowercase hex digits`);
    }
  }
  return m as Manifest;
}

/** Read the manifest from a file path or an http(s) URL. */
export async function readManifest(source: string): Promise<Manifest> {
  if (/^https?:\/\//.test(source)) {
    if (!isFetchableUrl(source)) throw new ManifestError(`${source}: manifest URL must be https (or http to a loopback address)`);
    const r = await fetch(source, { signal: AbortSignal.timeout(60_000) });
    if (!r.ok) throw new ManifestError(`${source}: HTTP ${r.status}`);
    return parseManifest(await r.text(), source);
  }
  let text: string;
  try {
    text = await readFile(source, "utf8");
  } catch (err) {
    throw new ManifestError(`${source}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return parseManifest(text, source);
}

/** The manifest as written: years ascending, files by path, two-space JSON and a newline (same data, same bytes). */
export function formatManifest(m: Manifest): string {
  const years = Object.fromEntries(
    Object.keys(m.years)
      .sort()
      .map((y) => {
        const e = m.years[y]!;
        const files = [...e.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)).map((f) => ({ path: f.path, asset: f.asset, url: f.url, bytes: f.bytes, sha256: f.sha256 }));
        return [y, { tag: e.tag, files }];
      }),
  );
  return JSON.stringify({ version: 1, years }, null, 2) + "\n";
}

/** A file's SHA-256 as the manifest records it (hex), read as a stream: a year's files can be large. */
export async function fileSha256(file: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest("hex");
}
