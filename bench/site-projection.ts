// What a built site's dist/ would hold with N years of history (issue #22: "the site stays ≤ 1 GB"),
// from the measured bytes of one built site, for each way of publishing the older years: every year
// at full resolution, month-end (CCASS_SITE_FULL_YEARS), or on a data host (CCASS_DATA_HOST).
// A file of dist/ is one of three kinds (data-loaders/publish/year-parts.ts `partYear`):
//   - a year's history file (history/<code>/<YYYY>…, by-participant, market): its year's bytes grow
//     with that year's market dates; a year costs a fixed part (each stock's opening snapshot and
//     each file's fixed cost) plus a part per market date, fitted on the measured years;
//   - a year's download part (downloads/<table>/year=YYYY/…): per market date too;
//   - everything else (pages, DuckDB-WASM, the recent window's files): the same whatever the years.
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { partYear } from "../data-loaders/publish/year-parts.ts";

/** A full calendar year's market dates in Hong Kong (about 247–249). */
export const MARKET_DATES_A_YEAR = 248;

export interface MeasuredYear {
  year: number;
  /** market dates of the year in the measured site (history/market/<YYYY>.json) */
  dates: number;
  history: number;
  /** of `history`, the days parts (a few hundred bytes a stock, mostly fixed cost) */
  daysParts: number;
  downloads: number;
}

export interface SiteComponents {
  /** bytes that do not depend on the years kept */
  fixed: number;
  years: MeasuredYear[];
}

/** dist/'s bytes by kind (see the header), from a built site. */
export async function measureSite(dist: string): Promise<SiteComponents> {
  const api = path.join(dist, "_file", "api", "v1");
  const byYear = new Map<number, MeasuredYear>();
  let fixed = 0;
  for (const e of await readdir(dist, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const full = path.join(e.parentPath, e.name);
    const bytes = (await stat(full)).size;
    const rel = path.relative(api, full).split(path.sep).join("/");
    const year = rel.startsWith("..") ? null : partYear(rel);
    if (year === null) {
      fixed += bytes;
      continue;
    }
    const y = byYear.get(year) ?? { year, dates: 0, history: 0, daysParts: 0, downloads: 0 };
    byYear.set(year, y);
    if (rel.startsWith("downloads/")) y.downloads += bytes;
    else {
      y.history += bytes;
      if (rel.endsWith(".days.parquet")) y.daysParts += bytes;
    }
  }
  for (const y of byYear.values()) {
    const market = JSON.parse(await readFile(path.join(api, "history", "market", `${y.year}.json`), "utf8")) as { dates: unknown[] };
    y.dates = market.dates.length;
  }
  return { fixed, years: [...byYear.values()].sort((a, b) => a.year - b.year) };
}

/** a + b × dates, least squares over the measured years (b alone, through 0, with one year). */
export function fitPerDate(points: readonly { dates: number; bytes: number }[]): { perYear: number; perDate: number } {
  if (points.length === 0) throw new Error("no measured year");
  if (points.length === 1) return { perYear: 0, perDate: points[0]!.bytes / points[0]!.dates };
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.dates, 0) / n;
  const my = points.reduce((s, p) => s + p.bytes, 0) / n;
  const sxx = points.reduce((s, p) => s + (p.dates - mx) ** 2, 0);
  if (sxx === 0) return { perYear: 0, perDate: my / mx };
  const b = points.reduce((s, p) => s + (p.dates - mx) * (p.bytes - my), 0) / sxx;
  return { perYear: my - b * mx, perDate: b };
}

/** A full calendar year's bytes of history and of download parts, at full resolution. */
export function fullYear(c: SiteComponents, dates = MARKET_DATES_A_YEAR): { history: number; downloads: number } {
  const h = fitPerDate(c.years.map((y) => ({ dates: y.dates, bytes: y.history })));
  const d = fitPerDate(c.years.map((y) => ({ dates: y.dates, bytes: y.downloads })));
  return { history: h.perYear + h.perDate * dates, downloads: d.perYear + d.perDate * dates };
}

/** Older years in dist/: the next `monthEndYears` at month-end, the rest at quarter-end, each this share of a full year's history. */
export interface CoarseYears {
  host: false;
  monthEndYears: number;
  monthEndRatio: number;
  quarterEndRatio: number;
}

export interface Layout {
  /** the newest calendar years at full resolution in dist/ (CCASS_SITE_FULL_YEARS) */
  fullYears: number;
  /** older years: on a data host (not in dist/), or coarse in dist/ (their download parts are not thinned) */
  older: { host: true } | CoarseYears;
}

/** dist/'s bytes with `years` calendar years kept, the oldest `years − fullYears` published as `layout.older` says. */
export function projectSite(c: SiteComponents, years: number, layout: Layout): number {
  const year = fullYear(c);
  const full = Math.min(years, layout.fullYears);
  const o = layout.older;
  if (o.host) return c.fixed + full * (year.history + year.downloads);
  const monthEnd = Math.min(years - full, o.monthEndYears);
  const quarterEnd = years - full - monthEnd;
  return (
    c.fixed +
    full * (year.history + year.downloads) +
    monthEnd * (o.monthEndRatio * year.history + year.downloads) +
    quarterEnd * (o.quarterEndRatio * year.history + year.downloads)
  );
}

/** The most years whose projected dist/ stays within `limit` bytes (Infinity when it never grows). */
export function yearsWithin(c: SiteComponents, layout: Layout, limit: number, max = 1000): number {
  if (projectSite(c, 1, layout) > limit) return 0;
  let n = 1;
  while (n < max && projectSite(c, n + 1, layout) <= limit) n++;
  return n === max ? Infinity : n;
}
