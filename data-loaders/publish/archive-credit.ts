// Where the dataset's dates come from, for meta.json and index.json: HKEX's pages always, and the
// Webb-site archive when the import wrote dates (`_archive/months/YYYY-MM.json`, docs/ARCHIVE.md
// "Provenance"), with the credit its licence asks for wherever those dates appear.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { ARCHIVE_CREDIT } from "../../src/archive/import.ts";
import { archiveDir } from "../../src/dataset/layout.ts";
import { isIsoDate } from "../../src/lib/validate.ts";

export { ARCHIVE_CREDIT };

export interface DataSource {
  name: string;
  url: string;
  /** The credit to show beside data from this source, when its licence asks for one. */
  credit: string | null;
  license: string | null;
  /** The first and last stored date taken from it, and how many (the archive only). */
  first_date?: string;
  last_date?: string;
  dates?: number;
}

export const HKEX_SOURCE: DataSource = { name: "HKEXnews CCASS Shareholding Search", url: "https://www3.hkexnews.hk/sdw/search/searchsdw.aspx", credit: null, license: null };

/** The dates the archive import wrote into `data` (sorted), from its month records; [] when none. */
export function archiveDates(data: string): string[] {
  const dir = path.join(archiveDir(data), "months");
  if (!existsSync(dir)) return [];
  const out = new Set<string>();
  for (const f of readdirSync(dir).sort()) {
    if (!/^\d{4}-\d{2}\.json$/.test(f)) continue;
    const record = JSON.parse(readFileSync(path.join(dir, f), "utf8")) as { dates?: unknown };
    // the month record is the import's own file, but a date reaches published JSON: checked
    for (const d of Array.isArray(record.dates) ? record.dates : []) if (typeof d === "string" && isIsoDate(d)) out.add(d);
  }
  return [...out].sort();
}

/** The dataset's sources: HKEX, and Webb-site's archive with its credit when it holds archive dates. */
export function dataSources(data: string): DataSource[] {
  const dates = archiveDates(data);
  if (dates.length === 0) return [HKEX_SOURCE];
  return [
    HKEX_SOURCE,
    {
      name: "Webb-site CCASS archive",
      url: "https://webb-site.com",
      credit: ARCHIVE_CREDIT,
      license: "CC-BY-4.0",
      first_date: dates[0]!,
      last_date: dates[dates.length - 1]!,
      dates: dates.length,
    },
  ];
}
