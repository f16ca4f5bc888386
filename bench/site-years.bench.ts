// `npm run bench -- site-years`: dist/ at 1, 3, 10 and 20 years of the full market, for each way of
// publishing the older years (issue #22), projected from one built full-market site's measured bytes
// (bench/site-projection.ts) and the month-end and quarter-end shares of a year's history (`bench -- month-end`,
// bench-out/month-end.json; run it first). Also: how many years fit in GitHub Pages' 1 GB each way.
// Environment: CCASS_BENCH_SITE_DIST (a site already built from the full market: measured as it is),
// else the site is built from CCASS_BENCH_DATA (default .cache/bench-full, the synthetic 2,800-stock
// market of the site and history benches, written when missing) into .cache/bench-site-years/dist.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { loadavg } from "node:os";
import path from "node:path";
import { buildSite } from "../scripts/build-site.ts";
import { DEFAULT_SITE_MAX_BYTES } from "../scripts/lib/site-size.ts";
import { writeFileAtomic } from "../src/lib/atomic.ts";
import { writeSyntheticDataset } from "../src/replica/dataset-writer.ts";
import { DEFAULT_FULL_YEARS, DEFAULT_MONTH_END_YEARS } from "../data-loaders/publish/month-end.ts";
import { fullYear, MARKET_DATES_A_YEAR, measureSite, projectSite, yearsWithin, type Layout } from "./site-projection.ts";

const REPO = path.resolve(import.meta.dirname, "..");
const MB = 1e6;
const load0 = loadavg()[0]!;

const monthEndFile = path.join(REPO, "bench-out", "month-end.json");
if (!existsSync(monthEndFile)) throw new Error(`${monthEndFile} is missing: run npm run bench -- month-end first (the month-end share of a year's history)`);
const monthEnd = JSON.parse(await readFile(monthEndFile, "utf8")) as { ratio: number; quarter_ratio: number; stocks: number };
if (!(monthEnd.ratio > 0 && monthEnd.quarter_ratio > 0)) throw new Error(`${monthEndFile}: no month-end and quarter-end ratios; run npm run bench -- month-end again`);

let dist = process.env.CCASS_BENCH_SITE_DIST ? path.resolve(process.env.CCASS_BENCH_SITE_DIST) : null;
if (!dist) {
  const data = path.resolve(process.env.CCASS_BENCH_DATA ?? path.join(REPO, ".cache", "bench-full"));
  if (!existsSync(path.join(data, "holdings"))) {
    console.log(`writing a synthetic dataset (2800 stocks × 245 days) to ${data} …`);
    await writeSyntheticDataset({ out: data, seed: 1, stocks: 2800, days: 245, end: "2026-11-20" });
  }
  dist = path.join(REPO, ".cache", "bench-site-years", "dist");
  console.log(`building the site from ${data} into ${dist} …`);
  await buildSite({ data, out: dist, verbose: false });
}

const c = await measureSite(dist);
const year = fullYear(c);
const coarse = (monthEndYears: number) => ({ host: false as const, monthEndYears, monthEndRatio: monthEnd.ratio, quarterEndRatio: monthEnd.quarter_ratio });
const layouts: { label: string; layout: Layout }[] = [
  { label: "every year at full resolution", layout: { fullYears: Infinity, older: { host: true } } },
  { label: `FULL_YEARS=${DEFAULT_FULL_YEARS}, MONTH_END_YEARS=${DEFAULT_MONTH_END_YEARS} (the defaults), then quarter-end`, layout: { fullYears: DEFAULT_FULL_YEARS, older: coarse(DEFAULT_MONTH_END_YEARS) } },
  { label: "FULL_YEARS=2, every older year month-end", layout: { fullYears: 2, older: coarse(Infinity) } },
  { label: "FULL_YEARS=2, every older year quarter-end", layout: { fullYears: 2, older: coarse(0) } },
  { label: "FULL_YEARS=1, every older year quarter-end", layout: { fullYears: 1, older: coarse(0) } },
  { label: "CCASS_DATA_HOST, FULL_YEARS=2", layout: { fullYears: 2, older: { host: true } } },
];
const AT = [1, 3, 10, 20];
const rows = layouts.map(({ label, layout }) => ({
  label,
  mb: AT.map((n) => Math.round(projectSite(c, n, layout) / MB)),
  years_within_1gb: yearsWithin(c, layout, DEFAULT_SITE_MAX_BYTES),
}));

console.log(`\nmeasured: ${dist}`);
console.log(`  fixed (pages, DuckDB-WASM, the recent window's files): ${(c.fixed / MB).toFixed(1)} MB`);
for (const y of c.years)
  console.log(`  ${y.year}: ${y.dates} market dates, history ${(y.history / MB).toFixed(1)} MB (days parts ${(y.daysParts / MB).toFixed(1)}), download parts ${(y.downloads / MB).toFixed(1)} MB`);
console.log(`  a full year (${MARKET_DATES_A_YEAR} dates, fitted): history ${(year.history / MB).toFixed(1)} MB, download parts ${(year.downloads / MB).toFixed(1)} MB`);
console.log(`  a month-end year's history: ${(monthEnd.ratio * 100).toFixed(1)} % of a full year's, a quarter-end year's ${(monthEnd.quarter_ratio * 100).toFixed(1)} % (bench -- month-end, ${monthEnd.stocks} stocks)`);
console.log(`\ndist/ (MB) at ${AT.join(" / ")} years; years within 1 GB`);
for (const r of rows) console.log(`  ${r.label.padEnd(64)} ${r.mb.map((x) => String(x).padStart(6)).join(" ")}   ${r.years_within_1gb === Infinity ? "all" : r.years_within_1gb}`);
// the default CCASS_SITE_MONTH_END_YEARS: the largest with which ten years fit 1 GB (publish/month-end.ts)
const TEN = 10;
let monthEndForTen: number | null = null;
for (let m = 0; m <= TEN - DEFAULT_FULL_YEARS; m++)
  if (projectSite(c, TEN, { fullYears: DEFAULT_FULL_YEARS, older: coarse(m) }) <= DEFAULT_SITE_MAX_BYTES) monthEndForTen = m;
console.log(`  the largest MONTH_END_YEARS with which ${TEN} years fit 1 GB: ${monthEndForTen ?? "none"} (the default is ${DEFAULT_MONTH_END_YEARS})`);
console.log(`load average ${load0.toFixed(1)} → ${loadavg()[0]!.toFixed(1)} (bytes do not depend on it)`);

await writeFileAtomic(
  path.join(REPO, "bench-out", "site-years.json"),
  JSON.stringify(
    { dist, components: c, full_year: year, month_end_ratio: monthEnd.ratio, quarter_end_ratio: monthEnd.quarter_ratio, month_end_years_for_ten: monthEndForTen, at_years: AT, layouts: rows.map((r) => ({ ...r, years_within_1gb: r.years_within_1gb === Infinity ? null : r.years_within_1gb })) },
    null,
    2,
  ) + "\n",
);
