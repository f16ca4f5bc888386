// Per-year files of the static API (history parts, download parts) and when an export may keep the
// previous export's copy instead of writing them again (docs/ARCHITECTURE.md "Incremental builds").
// A year's files depend only on the data of that year's months (and, through the month chunks'
// chained keys, on what came before: the split basis, the carry-in day). Each year gets a key from
// its months' keys and the export code; the export records the keys in index.json, and the next
// export keeps every file of a year whose key is unchanged. The open year (the latest date's) changes
// every night and is written with a fast zstd level; a closed year is written once at level 19.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { copyFile, link, mkdir, readdir } from "node:fs/promises";
import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { rows } from "../compute/duck.ts";
import { historyDataHost, siteFullYears, siteMonthEndYears, yearResolution, type Resolution } from "./month-end.ts";

export interface YearPart {
  year: number;
  /** Before the year of the dataset's latest date: its files never change when dates are appended. */
  closed: boolean;
  /** The history parts' resolution (month-end.ts): the newest CCASS_SITE_FULL_YEARS years full, the next CCASS_SITE_MONTH_END_YEARS month-end, older ones quarter-end. */
  resolution: Resolution;
  key: string;
}

/** zstd level of a year's Parquet files. */
export function partLevel(part: YearPart): number {
  return part.closed ? 19 : 3;
}

/**
 * What a part's bytes depend on besides its data: the code that computes and publishes it (any change
 * rewrites every part): publish/, and compute/ with its whole-dataset SQL (history comes from
 * `90-full-history.sql`; the month chunks' SQL is already in each month's chunk key).
 */
function exportCodeKey(): string {
  const h = createHash("sha256");
  const compute = path.join(import.meta.dirname, "..", "compute");
  const sources: [string, string][] = [
    [import.meta.dirname, ".ts"],
    [path.join(import.meta.dirname, "page-data"), ".ts"],
    [compute, ".ts"],
    [path.join(compute, "sql", "cache"), ".sql"],
  ];
  for (const [dir, ext] of sources) {
    for (const f of readdirSync(dir).filter((f) => f.endsWith(ext)).sort()) h.update(`${f}\n`).update(readFileSync(path.join(dir, f)));
  }
  return h.digest("hex");
}

/**
 * The years of the dataset with their keys (from the cache's `month_keys`). A year's key holds its
 * resolution, so the first export after a new year opens rewrites once, at month-end, the year that
 * leaves the newest `fullYears` (CCASS_SITE_FULL_YEARS), and once, at quarter-end, the year that
 * leaves the `monthEndYears` after them (CCASS_SITE_MONTH_END_YEARS).
 */
export async function yearParts(conn: DuckDBConnection, fullYears: number = siteFullYears(), monthEndYears: number = siteMonthEndYears()): Promise<YearPart[]> {
  const months = await rows<{ month: string; chunk_key: string; files_key: string }>(conn, "SELECT * FROM month_keys ORDER BY month");
  if (months.length === 0) return [];
  const code = exportCodeKey();
  const latest = Number(months[months.length - 1]!.month.slice(0, 4));
  const byYear = new Map<number, string[]>();
  for (const m of months) {
    const y = Number(m.month.slice(0, 4));
    byYear.set(y, [...(byYear.get(y) ?? []), `${m.month}\t${m.chunk_key}\t${m.files_key}`]);
  }
  return [...byYear].map(([year, lines]) => {
    const closed = year < latest;
    // with a data host every year is full: the site build moves the older years to the host's folder
    const resolution = historyDataHost() ? "full" : yearResolution(year, latest, fullYears, monthEndYears);
    const h = createHash("sha256");
    h.update(`${code}\n${closed ? "closed" : "open"}\n${resolution}\n${lines.join("\n")}`);
    return { year, closed, resolution, key: h.digest("hex").slice(0, 32) };
  });
}

/**
 * The year a file of the API tree belongs to, or null for a file rewritten every run:
 * `history/<code>/<YYYY>.parquet`, `history/<code>/<YYYY>.days.parquet`,
 * `history/by-participant/<file>/<YYYY>.parquet`, `history/market/<YYYY>.parquet` and `.json`,
 * `downloads/<name>/year=<YYYY>/<file>`.
 */
export function partYear(rel: string): number | null {
  const m =
    /^history\/\d{5}\/(\d{4})\.(?:days\.)?parquet$/.exec(rel) ??
    /^history\/by-participant\/[\w-]+\/(\d{4})\.parquet$/.exec(rel) ??
    /^history\/market\/(\d{4})\.(?:parquet|json)$/.exec(rel) ??
    /^downloads\/[\w-]+\/year=(\d{4})\/[\w.-]+$/.exec(rel);
  return m ? Number(m[1]) : null;
}

/** The parts whose files the previous tree holds with the same key. */
export function keptParts(parts: readonly YearPart[], previous: ReadonlyMap<number, string>): Set<number> {
  return new Set(parts.filter((p) => previous.get(p.year) === p.key).map((p) => p.year));
}

/**
 * Put the previous tree's files of `years` into the new tree: hard links (the trees sit side by side
 * on one filesystem; a file is never modified in place, only replaced), a copy where linking fails.
 * Returns how many files were kept.
 */
export async function keepPartFiles(previous: string, next: string, years: ReadonlySet<number>): Promise<number> {
  if (years.size === 0) return 0;
  let kept = 0;
  const walk = async (rel: string) => {
    let entries;
    try {
      entries = await readdir(path.join(previous, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        await walk(r);
        continue;
      }
      const y = partYear(r);
      if (y === null || !years.has(y)) continue;
      const to = path.join(next, r);
      await mkdir(path.dirname(to), { recursive: true });
      await link(path.join(previous, r), to).catch(() => copyFile(path.join(previous, r), to));
      kept++;
    }
  };
  for (const top of ["history", "downloads"]) await walk(top);
  return kept;
}
