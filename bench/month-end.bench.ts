// `npm run bench -- month-end`: what a year of history costs dist/ at month-end and at quarter-end
// resolution against full resolution (data-loaders/publish/month-end.ts, docs/ARCHITECTURE.md "Site:
// bounded dist/"). A synthetic market ending 2026-12-31 that covers 2025 whole, one analytics cache,
// three exports: CCASS_SITE_FULL_YEARS=1 with CCASS_SITE_MONTH_END_YEARS=1 (2025 month-end) and =0
// (2025 quarter-end), and CCASS_SITE_FULL_YEARS=3 (every year full). The figures: 2025's history
// bytes by kind of file (stock parts, days parts, by-participant parts, market files) in each and
// their ratios to full, which `bench -- site-years` uses to project dist/ over the years.
// Environment: CCASS_BENCH_STOCKS (300), CCASS_BENCH_MONTH_END_DATA (.cache/bench-month-end: the
// dataset, written when missing, kept).
import { existsSync } from "node:fs";
import { readdir, rm, stat } from "node:fs/promises";
import { loadavg } from "node:os";
import path from "node:path";
import { openAnalytics } from "../data-loaders/compute/cache.ts";
import { exportApi } from "../data-loaders/publish/export.ts";
import { writeFileAtomic } from "../src/lib/atomic.ts";
import { writeSyntheticDataset } from "../src/replica/dataset-writer.ts";

const REPO = path.resolve(import.meta.dirname, "..");
const stocks = Number(process.env.CCASS_BENCH_STOCKS ?? "300");
if (!Number.isInteger(stocks) || stocks < 1) throw new Error(`CCASS_BENCH_STOCKS: expected a positive integer, got ${process.env.CCASS_BENCH_STOCKS}`);
const root = path.resolve(process.env.CCASS_BENCH_MONTH_END_DATA ?? path.join(REPO, ".cache", "bench-month-end"));
const data = path.join(root, `${stocks}`, "parquet");
const YEAR = 2025;
const MB = 1e6;

const load0 = loadavg()[0]!;
if (!existsSync(data)) {
  console.log(`writing ${stocks} stocks × 510 days to ${data} …`);
  await writeSyntheticDataset({ out: data, seed: 1, stocks, days: 510, end: "2026-12-31" });
}

/** 2025's history files of a tree by kind, in bytes. */
async function yearBytes(tree: string): Promise<Record<string, number>> {
  const out: Record<string, number> = { stock_parts: 0, days_parts: 0, by_participant: 0, market: 0 };
  for (const e of await readdir(path.join(tree, "history"), { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const rel = path.relative(path.join(tree, "history"), path.join(e.parentPath, e.name));
    const bytes = (await stat(path.join(e.parentPath, e.name))).size;
    if (new RegExp(`^\\d{5}/${YEAR}\\.parquet$`).test(rel)) out.stock_parts! += bytes;
    else if (new RegExp(`^\\d{5}/${YEAR}\\.days\\.parquet$`).test(rel)) out.days_parts! += bytes;
    else if (new RegExp(`^by-participant/[^/]+/${YEAR}\\.parquet$`).test(rel)) out.by_participant! += bytes;
    else if (new RegExp(`^market/${YEAR}\\.(parquet|json)$`).test(rel)) out.market! += bytes;
  }
  return { ...out, total: Object.values(out).reduce((a, b) => a + b, 0) };
}

const work = path.join(root, `${stocks}`, "work");
await rm(work, { recursive: true, force: true });
const a = await openAnalytics(data, { cache: path.join(work, "cache") });
const figures: Record<string, Record<string, number>> = {};
const LABELS = ["month_end", "quarter_end", "full"] as const;
try {
  for (const [label, fullYears, monthEndYears] of [["month_end", "1", "1"], ["quarter_end", "1", "0"], ["full", "3", "0"]] as const) {
    process.env.CCASS_SITE_FULL_YEARS = fullYears;
    process.env.CCASS_SITE_MONTH_END_YEARS = monthEndYears;
    const tree = path.join(work, label);
    const t0 = performance.now();
    await exportApi(a, tree);
    figures[label] = { ...(await yearBytes(tree)), export_seconds: (performance.now() - t0) / 1000 };
  }
} finally {
  a.db.close();
  delete process.env.CCASS_SITE_FULL_YEARS;
  delete process.env.CCASS_SITE_MONTH_END_YEARS;
}
const ratio = figures.month_end!.total! / figures.full!.total!;
const quarterRatio = figures.quarter_end!.total! / figures.full!.total!;
const pct = (x: number, y: number) => `${((x / y) * 100).toFixed(1)} %`;
console.log(`\n${stocks} stocks, ${YEAR} history (bytes): month-end and quarter-end against full`);
console.log(`  ${"".padEnd(16)} ${"month-end".padStart(11)} ${"quarter-end".padStart(11)} ${"full".padStart(11)}  month-end  quarter-end`);
for (const k of ["stock_parts", "days_parts", "by_participant", "market", "total"])
  console.log(
    `  ${k.padEnd(16)} ${LABELS.map((l) => `${(figures[l]![k]! / MB).toFixed(2).padStart(8)} MB`).join(" ")}  ${pct(figures.month_end![k]!, figures.full![k]!).padStart(9)}  ${pct(figures.quarter_end![k]!, figures.full![k]!).padStart(11)}`,
  );

// What these shares mean for dist/ over the years: `npm run bench -- site-years` (measured components of a
// full-market site, and these ratios).
console.log(`load average ${load0.toFixed(1)} → ${loadavg()[0]!.toFixed(1)}`);
await writeFileAtomic(
  path.join(REPO, "bench-out", "month-end.json"),
  JSON.stringify({ stocks, year: YEAR, figures, ratio, quarter_ratio: quarterRatio, load_average: [load0, loadavg()[0]] }, null, 2) + "\n",
);
await rm(work, { recursive: true, force: true });
