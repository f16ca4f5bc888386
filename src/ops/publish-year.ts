// Publish a closed year's dataset files once, as the assets of one GitHub release per year (tag
// `data-YYYY`), and record them in the manifest (docs/ARCHITECTURE.md "Closed years, published
// once"). Every step can be cut short and run again: the release is created as a draft, assets that
// are missing, half-uploaded (state other than "uploaded") or of the wrong size or digest are
// (re)uploaded, and only then is the release made public and the manifest written. So a run killed
// half-way leaves a draft that the next run detects and finishes; a year already in the manifest is
// checked against the files on disk and never uploaded again (a closed year does not change).
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { writeFileAtomic } from "../lib/atomic.ts";
import { assetName, formatManifest, type Manifest, type ManifestFile } from "./year-manifest.ts";

export class PublishYearError extends Error {
  override readonly name = "PublishYearError";
}

export interface PublishOptions {
  /** The dataset folder (data/parquet). */
  data: string;
  year: number;
  /** owner/name of the repository whose releases hold the years. */
  repo: string;
  token: string;
  /** REST API root (https://api.github.com; a stand-in in tests). */
  api: string;
  manifest: Manifest;
  /** Where the manifest is written once the release is public. */
  manifestPath: string;
  attempts?: number;
  log?: (line: string) => void;
}

interface Asset {
  id: number;
  name: string;
  size: number;
  state: string;
  digest?: string | null;
  browser_download_url: string;
}
interface Release {
  id: number;
  tag_name: string;
  draft: boolean;
  upload_url: string;
  assets: Asset[];
}

export const releaseTag = (year: number) => `data-${year}`;

/** The month files of `year` in the dataset, with size and SHA-256, by path. */
export async function yearFiles(data: string, year: number): Promise<Omit<ManifestFile, "url">[]> {
  const out: Omit<ManifestFile, "url">[] = [];
  for (const table of (await readdir(data, { withFileTypes: true })).filter((e) => e.isDirectory() && /^[a-z][a-z0-9_]*$/.test(e.name)).map((e) => e.name).sort()) {
    for (let m = 1; m <= 12; m++) {
      const month = `${year}-${String(m).padStart(2, "0")}`;
      const rel = `${table}/month=${month}/${month}.parquet`;
      const file = path.join(data, table, `month=${month}`, `${month}.parquet`);
      if (!existsSync(file)) continue;
      const bytes = await readFile(file);
      out.push({ path: rel, asset: assetName(rel), bytes: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") });
    }
  }
  return out;
}

/** The years of the dataset that have month files and are before the latest one (closed), ascending. */
export async function closedYears(data: string): Promise<number[]> {
  const years = new Set<number>();
  for (const e of await readdir(data, { withFileTypes: true })) {
    if (!e.isDirectory() || !/^[a-z][a-z0-9_]*$/.test(e.name)) continue;
    for (const m of await readdir(path.join(data, e.name))) {
      const x = /^month=(\d{4})-\d{2}$/.exec(m);
      if (x) years.add(Number(x[1]));
    }
  }
  const sorted = [...years].sort((a, b) => a - b);
  return sorted.slice(0, -1);
}

/**
 * The closed years that can be published now: before the latest year, and every month of them
 * closed (no daily file left: data-branch.ts compacts a month once all its settlement days are
 * stored or HKEX can no longer show the missing ones), so nothing can change them after release.
 */
export async function publishableYears(data: string): Promise<number[]> {
  const open = new Set<number>();
  for (const e of await readdir(data, { withFileTypes: true })) {
    if (!e.isDirectory() || !/^[a-z][a-z0-9_]*$/.test(e.name)) continue;
    for (const m of await readdir(path.join(data, e.name))) {
      const x = /^month=(\d{4})-(\d{2})$/.exec(m);
      if (!x) continue;
      const files = await readdir(path.join(data, e.name, m));
      if (files.some((f) => /^\d{4}-\d{2}-\d{2}\.parquet$/.test(f))) open.add(Number(x[1]));
    }
  }
  return (await closedYears(data)).filter((y) => !open.has(y));
}

/** One GitHub REST call with the token, retried on network errors, 429 and 5xx (1 s, 2 s, 4 s …). */
async function call<T>(o: PublishOptions, method: string, url: string, body?: Uint8Array | object): Promise<{ status: number; json: T }> {
  const attempts = o.attempts ?? 4;
  let last = "";
  for (let i = 0; i < attempts; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, Math.min(8000, 250 * 2 ** i)));
    try {
      const raw = body instanceof Uint8Array;
      const r = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${o.token}`,
          accept: "application/vnd.github+json",
          "x-github-api-version": "2022-11-28",
          ...(body === undefined ? {} : { "content-type": raw ? "application/octet-stream" : "application/json" }),
        },
        body: body === undefined ? undefined : raw ? new Blob([body as Uint8Array<ArrayBuffer>]) : JSON.stringify(body),
        signal: AbortSignal.timeout(600_000),
      });
      if (r.status === 429 || r.status >= 500) {
        last = `${method} ${url}: HTTP ${r.status}`;
        continue;
      }
      const text = await r.text();
      return { status: r.status, json: (text ? JSON.parse(text) : null) as T };
    } catch (err) {
      last = `${method} ${url}: ${(err as Error).message}`;
    }
  }
  throw new PublishYearError(`${last} (after ${attempts} attempts)`);
}

async function findRelease(o: PublishOptions, tag: string): Promise<Release | null> {
  // drafts are not found by /releases/tags/{tag}: list them
  for (let page = 1; page < 100; page++) {
    const { status, json } = await call<Release[]>(o, "GET", `${o.api}/repos/${o.repo}/releases?per_page=100&page=${page}`);
    if (status !== 200) throw new PublishYearError(`listing the releases of ${o.repo}: HTTP ${status}`);
    const hit = json.find((r) => r.tag_name === tag);
    if (hit) return hit;
    if (json.length < 100) return null;
  }
  return null;
}

/** Publish (or finish publishing) one closed year; returns what it did. */
export async function publishYear(o: PublishOptions): Promise<{ state: "already" | "published" | "finished"; uploaded: string[]; manifest: Manifest }> {
  const log = o.log ?? (() => {});
  if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(o.repo)) throw new PublishYearError(`--repo must be owner/name, not ${JSON.stringify(o.repo)}`);
  const files = await yearFiles(o.data, o.year);
  if (files.length === 0) throw new PublishYearError(`${o.data} holds no month file of ${o.year}`);
  const tag = releaseTag(o.year);
  const recorded = o.manifest.years[String(o.year)];
  if (recorded) {
    const want = new Map(recorded.files.map((f) => [f.path, f.sha256]));
    const differ = files.filter((f) => want.get(f.path) !== f.sha256).map((f) => f.path);
    if (differ.length || want.size !== files.length)
      throw new PublishYearError(`${o.year} is published already with other files (${differ.slice(0, 3).join(", ") || "a different file list"}): a closed year is never published twice`);
    return { state: "already", uploaded: [], manifest: o.manifest };
  }
  let release = await findRelease(o, tag);
  const existed = !!release;
  if (!release) {
    const { status, json } = await call<Release>(o, "POST", `${o.api}/repos/${o.repo}/releases`, {
      tag_name: tag,
      name: `Dataset ${o.year}`,
      body: `The CCASS dataset's month files of ${o.year} (a closed year, published once). Fetch with \`npm run fetch-dataset -- --from ${o.year}\`.`,
      draft: true,
    });
    if (status !== 201) throw new PublishYearError(`creating release ${tag}: HTTP ${status}`);
    release = json;
    log(`created draft release ${tag}`);
  }
  const sums = files.map((f) => `${f.sha256}  ${f.path}`).join("\n") + "\n";
  const wanted = new Map<string, { bytes: Uint8Array; sha256: string }>();
  const uploaded: string[] = [];
  for (const f of files) wanted.set(f.asset, { bytes: new Uint8Array(0), sha256: f.sha256 });
  wanted.set("SHA256SUMS", { bytes: Buffer.from(sums), sha256: createHash("sha256").update(sums).digest("hex") });
  const good = new Map<string, Asset>();
  for (const a of release.assets ?? []) {
    const w = wanted.get(a.name);
    const size = w ? (a.name === "SHA256SUMS" ? w.bytes.length : files.find((f) => f.asset === a.name)!.bytes) : -1;
    const ok = w && a.state === "uploaded" && a.size === size && (!a.digest || a.digest === `sha256:${w.sha256}`);
    if (ok) good.set(a.name, a);
    else {
      // a foreign, half-uploaded or different asset: removed so the right one can take its name
      const { status } = await call(o, "DELETE", `${o.api}/repos/${o.repo}/releases/assets/${a.id}`);
      if (status !== 204 && status !== 404) throw new PublishYearError(`deleting asset ${a.name} of ${tag}: HTTP ${status}`);
      log(`removed asset ${a.name} (${a.state}, ${a.size} bytes)`);
    }
  }
  const uploadBase = release.upload_url.replace(/\{.*\}$/, "");
  for (const name of [...wanted.keys()]) {
    if (good.has(name)) continue;
    const f = files.find((x) => x.asset === name);
    const body = f ? new Uint8Array(await readFile(path.join(o.data, ...f.path.split("/")))) : wanted.get(name)!.bytes;
    const { status, json } = await call<Asset>(o, "POST", `${uploadBase}?name=${encodeURIComponent(name)}`, body);
    if (status !== 201) throw new PublishYearError(`uploading ${name} to ${tag}: HTTP ${status}`);
    good.set(name, json);
    uploaded.push(name);
    log(`uploaded ${name} (${body.length} bytes)`);
  }
  if (release.draft) {
    const { status } = await call(o, "PATCH", `${o.api}/repos/${o.repo}/releases/${release.id}`, { draft: false });
    if (status !== 200) throw new PublishYearError(`publishing release ${tag}: HTTP ${status}`);
  }
  // a draft's download URLs name an "untagged-…" path: read them back from the public release
  const { status: got, json: published } = await call<Release>(o, "GET", `${o.api}/repos/${o.repo}/releases/${release.id}`);
  if (got !== 200) throw new PublishYearError(`reading release ${tag} back: HTTP ${got}`);
  const urls = new Map(published.assets.map((a) => [a.name, a.browser_download_url]));
  const missing = files.filter((f) => !urls.has(f.asset)).map((f) => f.asset);
  if (missing.length) throw new PublishYearError(`release ${tag} lacks ${missing.slice(0, 3).join(", ")} after upload: run again`);
  const manifest: Manifest = {
    version: 1,
    years: { ...o.manifest.years, [String(o.year)]: { tag, files: files.map((f) => ({ ...f, url: urls.get(f.asset)! })) } },
  };
  await writeFileAtomic(o.manifestPath, formatManifest(manifest));
  return { state: existed ? "finished" : "published", uploaded, manifest };
}
