// The site at full-universe scale: build time, size of dist/, and what a stock page costs a reader.
//   npm run bench -- site
// Figures (bench-out/site.json):
//   - build: scripts/build-site.ts from a cold analytics cache (export, Framework incl. loaders, total);
//   - dist: bytes and files of the built site;
//   - stock pages in headless Chromium on localhost, fresh browser context each (no HTTP cache):
//     data bytes fetched (loader files and the static API) and time from navigation to the first
//     chart's drawn marks, for the largest stock JSON and a few others;
//   - issue 23's files on the full market: the Atom feeds (feeds/: market-wide, per stock, per
//     participant) and the holder-categories download (downloads/holder-categories/, yearly parts);
//   - the big-changes page in headless Chromium: time from navigation to its table drawn (fresh
//     context each, BIG_CHANGES_VISITS times, default 3) and the data bytes it fetched.
// Budgets checked: build ≤ 180 s, dist ≤ 500 MB, stock page data ≤ 300 KB, first chart ≤ 1.5 s.
// Environment: CCASS_BENCH_DATA (default .cache/bench-full, shared with the loaders bench; written
// with the replica's synthetic market when missing), CCASS_BENCH_STOCKS (2800), CCASS_BENCH_DAYS (245),
// SITE_BENCH_PAGES (stock pages to time, default 6), BIG_CHANGES_VISITS (3).
// Writes readme_rows (docs/figures.json via `npm run figures -- --from bench-out`) for issue 23's figures.
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { buildSite } from "../scripts/build-site.ts";
import { serveDist } from "../scripts/serve-dist.ts";
import { writeSyntheticDataset } from "../src/replica/dataset-writer.ts";
import { writeFileAtomic } from "../src/lib/atomic.ts";
import { launchBrowser, openPage, waitForChart } from "../tests/helpers/browser.ts";
import { diskUsage } from "../src/lib/disk-usage.ts";

const REPO = path.resolve(import.meta.dirname, "..");
const data = path.resolve(process.env.CCASS_BENCH_DATA ?? path.join(REPO, ".cache", "bench-full"));
const stocks = Number(process.env.CCASS_BENCH_STOCKS ?? 2800);
const days = Number(process.env.CCASS_BENCH_DAYS ?? 245);
const pagesToTime = Number(process.env.SITE_BENCH_PAGES ?? 6);
const bigChangesVisits = Number(process.env.BIG_CHANGES_VISITS ?? 3);
const BUDGET = { buildSeconds: 180, distBytes: 500 * 1024 * 1024, pageDataBytes: 300 * 1024, firstChartMs: 1500 };

if (!existsSync(path.join(data, "holdings"))) {
  console.log(`writing a synthetic dataset (${stocks} stocks × ${days} days) to ${data} …`);
  const s = await writeSyntheticDataset({ out: data, seed: 1, stocks, days, end: "2026-11-20" });
  console.log(`  ${s.holdingsRows} holdings rows in ${s.seconds.toFixed(0)} s`);
}

const tmp = await mkdtemp(path.join(tmpdir(), "ccass-site-bench-"));
// A cold analytics cache: the nightly build starts from a fresh checkout.
process.env.CCASS_CACHE = path.join(tmp, "analytics-cache");
const dist = path.join(tmp, "dist");
const loadAtStart = loadavg()[0]!;
try {
  const bundleCacheWarm = existsSync(path.join(REPO, ".cache", "site-node-bundles"));
  console.log(`building the site from ${data} …`);
  const build = await buildSite({ data, out: dist, verbose: false });
  const size = await diskUsage(dist);
  const stockDir = path.join(dist, "_file", "api", "v1", "stocks");
  const stockFiles = await Promise.all(
    (await readdir(stockDir)).map(async (f) => ({ code: f.replace(/\.json\.gz$/, ""), bytes: (await stat(path.join(stockDir, f))).size })),
  );
  stockFiles.sort((a, b) => b.bytes - a.bytes);
  console.log(
    `build ${build.seconds.total.toFixed(1)} s (export ${build.seconds.export.toFixed(1)} s, framework ${build.seconds.framework.toFixed(1)} s); ` +
      `dist ${(size.bytes / 2 ** 20).toFixed(1)} MiB in ${size.files} files; ${stockFiles.length} stock files`,
  );

  // The largest stock file (the worst case) and evenly spread others.
  const picks = new Set([0]);
  for (let k = 1; k < pagesToTime; k++) picks.add(Math.round((k * (stockFiles.length - 1)) / Math.max(1, pagesToTime - 1)));
  const sample = [...picks].map((i) => stockFiles[i]!).filter(Boolean);
  const server = await serveDist({ dir: dist });
  const browser = await launchBrowser();
  const pages: { code: string; stock_json_bytes: number; data_bytes: number; all_bytes: number; first_chart_ms: number }[] = [];
  const bigChanges: { table_ms: number; data_bytes: number; rows_shown: string }[] = [];
  try {
    // One untimed visit so the first figure does not include Chromium's own start-up.
    const warm = await openPage(browser, server.url);
    await warm.page.goto(`${server.url}stock?code=${sample[sample.length - 1]!.code}`);
    await waitForChart(warm.page, "#trend-chart");
    await warm.context.close();
    for (const s of sample) {
      const { page, context } = await openPage(browser, server.url);
      const sizes: Promise<{ url: string; bytes: number }>[] = [];
      page.on("response", (r) => sizes.push(r.body().then((b) => ({ url: r.url(), bytes: b.length }), () => ({ url: r.url(), bytes: 0 }))));
      const t0 = performance.now();
      await page.goto(`${server.url}stock?code=${s.code}`);
      await waitForChart(page, "#trend-chart", 30_000);
      const firstChartMs = performance.now() - t0;
      await page.waitForLoadState("networkidle");
      const fetched = await Promise.all(sizes);
      const dataBytes = fetched.filter((f) => f.url.includes("/_file/data/") || f.url.includes("/_file/api/")).reduce((a, f) => a + f.bytes, 0);
      const allBytes = fetched.reduce((a, f) => a + f.bytes, 0);
      pages.push({ code: s.code, stock_json_bytes: s.bytes, data_bytes: dataBytes, all_bytes: allBytes, first_chart_ms: Math.round(firstChartMs) });
      console.log(`stock ${s.code}: data ${(dataBytes / 1024).toFixed(0)} KiB (page total ${(allBytes / 1024).toFixed(0)} KiB), first chart ${firstChartMs.toFixed(0)} ms`);
      await context.close();
    }
    // The big-changes page: market-wide, one file (big-changes.json.gz) filtered in the browser.
    for (let k = 0; k < bigChangesVisits; k++) {
      const { page, context } = await openPage(browser, server.url);
      const sizes: Promise<{ url: string; bytes: number }>[] = [];
      page.on("response", (r) => sizes.push(r.body().then((b) => ({ url: r.url(), bytes: b.length }), () => ({ url: r.url(), bytes: 0 }))));
      const t0 = performance.now();
      await page.goto(`${server.url}big-changes`);
      await page.getByTestId("big-changes-table").locator("tbody tr").first().waitFor({ timeout: 60_000 });
      const tableMs = performance.now() - t0;
      await page.waitForLoadState("networkidle");
      const fetched = await Promise.all(sizes);
      const dataBytes = fetched.filter((f) => f.url.includes("/_file/data/") || f.url.includes("/_file/api/")).reduce((a, f) => a + f.bytes, 0);
      const rowsShown = await page.getByTestId("big-changes-count").innerText();
      bigChanges.push({ table_ms: Math.round(tableMs), data_bytes: dataBytes, rows_shown: rowsShown });
      console.log(`big-changes page: table after ${tableMs.toFixed(0)} ms, data ${(dataBytes / 1024).toFixed(0)} KiB; ${rowsShown}`);
      await context.close();
    }
  } finally {
    await browser.close();
    await server.close();
  }

  // Issue 23's published files on this market.
  const api = path.join(dist, "_file", "api", "v1");
  const fileBytes = async (p: string) => (existsSync(p) ? (await stat(p)).size : 0);
  const perItem = async (dir: string) => {
    const sizes = existsSync(dir) ? await Promise.all((await readdir(dir)).map((f) => stat(path.join(dir, f)).then((x) => x.size))) : [];
    return { files: sizes.length, bytes: sizes.reduce((a, b) => a + b, 0), largest_bytes: Math.max(0, ...sizes) };
  };
  const feeds = {
    total: await diskUsage(path.join(api, "feeds")),
    transfers_xml_bytes: await fileBytes(path.join(api, "feeds", "transfers.xml")),
    big_changes_xml_bytes: await fileBytes(path.join(api, "feeds", "big-changes.xml")),
    stocks: await perItem(path.join(api, "feeds", "stocks")),
    participants: await perItem(path.join(api, "feeds", "participants")),
  };
  const holderCategories = await diskUsage(path.join(api, "downloads", "holder-categories"));
  const bigChangesJson = await fileBytes(path.join(api, "big-changes.json.gz"));
  console.log(
    `feeds ${(feeds.total.bytes / 2 ** 20).toFixed(1)} MiB in ${feeds.total.files} files (transfers.xml ${(feeds.transfers_xml_bytes / 1024).toFixed(0)} KiB, ` +
      `big-changes.xml ${(feeds.big_changes_xml_bytes / 1024).toFixed(0)} KiB); holder-categories ${(holderCategories.bytes / 2 ** 20).toFixed(1)} MiB in ${holderCategories.files} files; ` +
      `big-changes.json.gz ${(bigChangesJson / 1024).toFixed(0)} KiB`,
  );

  const maxData = Math.max(...pages.map((p) => p.data_bytes));
  const loadEnd = loadavg()[0]!;
  const MiB = (b: number) => (b / 2 ** 20).toFixed(1);
  const KiB = (b: number) => (b / 1024).toFixed(0);
  const bcTimes = bigChanges.map((b) => b.table_ms).sort((a, b) => a - b);
  const scale = `${stockFiles.length.toLocaleString("en")} stocks × ${days} days`;
  const readmeRows = [
    {
      what: "Atom feeds and the holder-categories download, full market (`bench -- site`)",
      measured:
        `feeds/ ${MiB(feeds.total.bytes)} MiB in ${feeds.total.files.toLocaleString("en")} files on ${scale}: transfers.xml ${KiB(feeds.transfers_xml_bytes)} KiB, ` +
        `big-changes.xml ${KiB(feeds.big_changes_xml_bytes)} KiB, ${feeds.stocks.files.toLocaleString("en")} stock feeds ${MiB(feeds.stocks.bytes)} MiB (largest ${KiB(feeds.stocks.largest_bytes)} KiB), ` +
        `${feeds.participants.files.toLocaleString("en")} participant feeds ${MiB(feeds.participants.bytes)} MiB (largest ${KiB(feeds.participants.largest_bytes)} KiB); ` +
        `downloads/holder-categories ${MiB(holderCategories.bytes)} MiB in ${holderCategories.files} file(s)` +
        // the feeds hold the last 30 stored days and big changes the last 20 at most: a shorter run
        // measures them whole; the categories grow with every stored day
        (days < 248 ? ` (one row per stock-day: about ${MiB((holderCategories.bytes * 248) / days)} MiB for 248 days, scaled)` : ""),
      goal: "sizes reported (no budget set)",
    },
    {
      what: "the big-changes page in headless Chromium, full market (`bench -- site`)",
      measured:
        `table drawn ${bcTimes.map((t) => t.toLocaleString("en")).join(", ")} ms after navigation (${bcTimes.length} fresh visits) on ${scale}; ` +
        `data fetched ${KiB(Math.max(0, ...bigChanges.map((b) => b.data_bytes)))} KiB (big-changes.json.gz ${KiB(bigChangesJson)} KiB); load average ${loadAtStart.toFixed(1)}–${loadEnd.toFixed(1)}`,
      goal: "≤ 1.5 s, like a stock page's first chart",
    },
  ];
  const maxChart = Math.max(...pages.map((p) => p.first_chart_ms));
  const figures = {
    dataset: { folder: data, stocks: stockFiles.length },
    build_seconds: {
      total: +build.seconds.total.toFixed(1),
      export: +build.seconds.export.toFixed(1),
      framework: +build.seconds.framework.toFixed(1),
    },
    node_bundle_cache_warm: bundleCacheWarm,
    dist: { bytes: size.bytes, mib: +(size.bytes / 2 ** 20).toFixed(1), files: size.files },
    stock_pages: pages,
    big_changes_page: bigChanges,
    feeds,
    holder_categories: holderCategories,
    big_changes_json_bytes: bigChangesJson,
    worst: { data_bytes: maxData, first_chart_ms: maxChart },
    budgets: BUDGET,
    within_budget: {
      build: build.seconds.total <= BUDGET.buildSeconds,
      dist: size.bytes <= BUDGET.distBytes,
      page_data: maxData <= BUDGET.pageDataBytes,
      first_chart: maxChart <= BUDGET.firstChartMs,
    },
    // Other work on the machine skews every figure: the 1-minute load average at start and end.
    load_average: { start: +loadAtStart.toFixed(2), end: +loadEnd.toFixed(2) },
    node: process.version,
    readme_rows: readmeRows,
  };
  console.log(JSON.stringify(figures.within_budget));
  await writeFileAtomic(path.join(REPO, "bench-out", "site.json"), JSON.stringify(figures, null, 2) + "\n");
  console.log("wrote bench-out/site.json");
} finally {
  await rm(tmp, { recursive: true, force: true });
}
