// The site's size guard (issue #22: "the site stays ≤ 1 GB"). GitHub Pages refuses a published site
// over 1 GB, and its deploy fails only after the whole nightly has run; the build checks the finished
// dist/ against CCASS_SITE_MAX_BYTES before it replaces the last good site, so a site that grew past
// the limit is one line naming the settings that shrink it, and the old site stays published.
import { readdir } from "node:fs/promises";
import path from "node:path";
import { diskUsage } from "../../src/lib/disk-usage.ts";

/** GitHub Pages' limit on a published site (docs.github.com "GitHub Pages limits"): 1 GB. */
export const DEFAULT_SITE_MAX_BYTES = 1_000_000_000;

/** CCASS_SITE_MAX_BYTES is not a positive integer. */
export class SiteMaxBytesError extends Error {
  override readonly name = "SiteMaxBytesError";
  constructor(value: string) {
    super(`CCASS_SITE_MAX_BYTES must be a positive integer (the most bytes dist/ may hold), got ${JSON.stringify(value)}`);
  }
}

/** The finished site is larger than CCASS_SITE_MAX_BYTES. */
export class SiteTooLargeError extends Error {
  override readonly name = "SiteTooLargeError";
  constructor(
    readonly bytes: number,
    readonly max: number,
    largest: readonly { folder: string; bytes: number }[],
  ) {
    const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
    super(
      `the site would be ${mb(bytes)}, over CCASS_SITE_MAX_BYTES ${max} (${mb(max)})` +
        (largest.length ? `; largest: ${largest.map((x) => `${x.folder} ${mb(x.bytes)}`).join(", ")}` : "") +
        "; " +
        "publish the older years coarser (CCASS_SITE_MONTH_END_YEARS=0, CCASS_SITE_FULL_YEARS=1) or from a data host (CCASS_DATA_HOST), docs/OPERATIONS.md",
    );
  }
}

/** How deep the error looks for the folders that hold the bytes: `_file/api/v1/history`. */
const FOLDER_DEPTH = 4;

/** The most bytes dist/ may hold (CCASS_SITE_MAX_BYTES, default 1 GB). */
export function siteMaxBytes(value: string | undefined = process.env.CCASS_SITE_MAX_BYTES): number {
  if (value === undefined || value.trim() === "") return DEFAULT_SITE_MAX_BYTES;
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new SiteMaxBytesError(value);
  return n;
}

/**
 * Throws SiteTooLargeError when the files under `dir` add up to more than `max` bytes (the bytes a
 * Pages artifact carries: hard links count once per name, as the upload packs them); the error
 * names the three largest folders four levels down (e.g. `_file/api/v1/history`), where the bytes are.
 */
export async function assertSiteSize(dir: string, max: number): Promise<number> {
  const total = await diskUsage(dir);
  if (total.bytes <= max) return total.bytes;
  const folders: { folder: string; bytes: number }[] = [];
  const walk = async (rel: string, depth: number): Promise<void> => {
    for (const e of await readdir(path.join(dir, rel), { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (depth < FOLDER_DEPTH - 1) await walk(r, depth + 1);
      else folders.push({ folder: r, bytes: (await diskUsage(path.join(dir, r))).bytes });
    }
  };
  await walk("", 0);
  folders.sort((a, b) => b.bytes - a.bytes || (a.folder < b.folder ? -1 : 1));
  throw new SiteTooLargeError(total.bytes, max, folders.slice(0, 3));
}
