// Raw pages kept on disk, gzip: rejects (`<out>/_rejects/date=…/`, with a JSON reason beside
// each, for `status` and for a human) and the optional cache (`--cache DIR`, for `reparse`).
// File names come from validated codes or the fixed list-page names only.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { writeFileAtomic } from "../lib/atomic.ts";
import { assertIsoDate, assertStockCode, isIsoDate, isStockCode } from "../lib/validate.ts";
import { LIST_PAGES, type PageId } from "./journal.ts";
import { rejectsDir } from "./layout.ts";

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

export function listRejects(root: string): RejectRecord[] {
  const base = path.join(root, "_rejects");
  if (!existsSync(base)) return [];
  const out: RejectRecord[] = [];
  for (const d of readdirSync(base).sort()) {
    const date = d.replace(/^date=/, "");
    if (!isIsoDate(date)) continue;
    for (const f of readdirSync(path.join(base, d)).sort()) {
      if (!f.endsWith(".json") || f.endsWith(".json.gz")) continue;
      try {
        out.push(JSON.parse(readFileSync(path.join(base, d, f), "utf8")) as RejectRecord);
      } catch {
        // a reason file is written atomically; an unreadable one was not written by us: skip it
      }
    }
  }
  return out;
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
