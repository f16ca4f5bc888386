// Raw pages kept on disk, gzip: rejects (`<out>/_rejects/date=…/`, with a JSON reason beside
// each, for `status` and for a human) and the optional cache (`--cache DIR`, for `reparse`).
// File names come from validated codes or the fixed list-page names only.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { writeFileAtomic } from "../lib/atomic.ts";
import { assertIsoDate, assertStockCode, isIsoDate, isStockCode } from "../lib/validate.ts";
import { LIST_PAGES, type PageId } from "./journal.ts";
import { rejectsDir } from "../dataset/layout.ts";

const EXT: Record<string, string> = { stocklist: "json", partlist: "json", southbound: "html" };

/** `00700.html.gz`, `stocklist.json.gz`, … */
export function pageFileName(page: PageId): string {
  if ((LIST_PAGES as readonly string[]).includes(page)) return `${page}.${EXT[page]}.gz`;
  return `${assertStockCode(page)}.html.gz`;
}

function pageIdOf(file: string): PageId | null {
  const m = /^(.+)\.(html|json)\.gz$/.exec(file);
  if (!m) return null;
  const id = m[1]!;
  return isStockCode(id) || (LIST_PAGES as readonly string[]).includes(id) ? id : null;
}

export interface RejectRecord {
  date: string;
  page: PageId;
  reason: string;
  attempts: number;
  runId: string;
  at: string;
}

export async function saveReject(root: string, rec: RejectRecord, raw: string): Promise<string> {
  const dir = rejectsDir(root, rec.date);
  const file = path.join(dir, pageFileName(rec.page));
  await writeFileAtomic(file, gzipSync(raw));
  await writeFileAtomic(file.replace(/\.(html|json)\.gz$/, ".json"), JSON.stringify(rec, null, 2) + "\n");
  return file;
}

/** A rejected page as found on disk: where it is, and why (status, health page, job summary). */
export interface StoredReject {
  date: string;
  page: PageId;
  reason: string;
  /** The kept raw page (gzip), or null when only the reason is there. */
  raw: string | null;
}

/**
 * Every rejected page under `<root>/_rejects/`, oldest date first. Date and page come from the
 * validated folder and file names, never from the files' contents; the reason from the record
 * beside the raw page ("reason", else "message" or "error"), or says why there is none.
 */
export function listRejects(root: string): StoredReject[] {
  const base = path.join(root, "_rejects");
  if (!existsSync(base)) return [];
  const out: StoredReject[] = [];
  for (const d of readdirSync(base).sort()) {
    const date = d.replace(/^date=/, "");
    if (!d.startsWith("date=") || !isIsoDate(date)) continue;
    const files = readdirSync(path.join(base, d)).sort();
    const pages = new Map<PageId, { raw: string | null; record: string | null }>();
    for (const f of files) {
      const raw = pageIdOf(f);
      const page = raw ?? (f.endsWith(".json") ? pageIdOf(`${f.slice(0, -".json".length)}.json.gz`) : null);
      if (!page) continue;
      const entry = pages.get(page) ?? { raw: null, record: null };
      if (raw) entry.raw = path.join(base, d, f);
      else entry.record = path.join(base, d, f);
      pages.set(page, entry);
    }
    for (const [page, { raw, record }] of pages) out.push({ date, page, reason: rejectReason(record), raw });
  }
  return out;
}

function rejectReason(record: string | null): string {
  if (record === null) return "no reason recorded (only the raw page was kept)";
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(record, "utf8"));
  } catch (err) {
    return `unreadable reject record: ${(err as Error).message}`;
  }
  if (json && typeof json === "object") {
    const o = json as Record<string, unknown>;
    for (const k of ["reason", "message", "error"]) if (typeof o[k] === "string" && o[k]) return o[k] as string;
  }
  return JSON.stringify(json);
}

/** A cache file that is there but cannot be read back (not gzip, or cut short): not written by us whole. */
export class CacheReadError extends Error {
  override readonly name = "CacheReadError";
  constructor(
    readonly file: string,
    cause: unknown,
  ) {
    super(`unreadable cache file ${file}: ${(cause as Error).message}`);
  }
}

/** The raw page cache: `<cache>/date=YYYY-MM-DD/<page>.{html,json}.gz`. */
export class PageCache {
  constructor(readonly dir: string) {}

  private file(date: string, page: PageId): string {
    return path.join(this.dir, `date=${assertIsoDate(date)}`, pageFileName(page));
  }

  async put(date: string, page: PageId, raw: string): Promise<void> {
    await writeFileAtomic(this.file(date, page), gzipSync(raw));
  }

  /** The cached page, null when there is none; a damaged file is a CacheReadError naming it. */
  get(date: string, page: PageId): string | null {
    const f = this.file(date, page);
    if (!existsSync(f)) return null;
    try {
      return gunzipSync(readFileSync(f)).toString("utf8");
    } catch (err) {
      throw new CacheReadError(f, err);
    }
  }

  dates(): string[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .map((d) => d.replace(/^date=/, ""))
      .filter((d) => isIsoDate(d))
      .sort();
  }

  pages(date: string): PageId[] {
    const dir = path.join(this.dir, `date=${assertIsoDate(date)}`);
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .map(pageIdOf)
      .filter((p): p is PageId => p !== null)
      .sort();
  }
}
