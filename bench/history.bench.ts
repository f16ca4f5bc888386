// The trail views at full-market scale: the yearly history parts, the site that serves them, and
// what the views cost a reader in headless Chromium on the stock with the largest part.
//   npm run bench -- history
// Figures (bench-out/history.json):
//   - history/: bytes of every file together and per year (change points, days parts), the largest
//     part; dist/ size and how much of it is history/ and DuckDB-WASM;
//   - format: that largest file as Parquet (hyparquet + zstd) against Arrow IPC (apache-arrow), bytes
//     and decode time in V8 (bench/history-format.ts);
//   - arquero: the two-date view as arquero's join of the two dates' holdings against trail.js's
//     single pass over the change points (compareDays), same stock;
//   - browser (fresh context each): bytes of the stock page's API data on open (and of history/:
//     none), date view ms (year and date chosen → table drawn, its part fetched) and the history
//     bytes it fetched, two-date ms, one participant's history ms (every part); SQL console ready ms (DuckDB loaded) and
//     `SELECT date, count(*) FROM stock_history('<largest>') GROUP BY 1` ms, first run (fetching the
//     files) and a second run; the participant page on a date for the participant that held the
//     most stocks (time to its table, history bytes fetched), and what the per-stock parts would
//     have cost it against its own part (by-participant/) and the market file, from the files.
// Environment: HISTORY_BENCH_DIST (a site already built from that data: skips the build, whose
// figures are then null), CCASS_BENCH_DATA (default .cache/bench-full, shared with the site and loaders
// benches; written with the synthetic market when missing), CCASS_BENCH_STOCKS (2800), CCASS_BENCH_DAYS (245).
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import * as aq from "arquero";
import { parquetReadObjects } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import type { Page } from "playwright-core";
import { buildSite } from "../scripts/build-site.ts";
import { serveDist } from "../scripts/serve-dist.ts";
import { writeSyntheticDataset } from "../src/replica/dataset-writer.ts";
import { writeFileAtomic } from "../src/lib/atomic.ts";
import { launchBrowser, openPage } from "../tests/helpers/browser.ts";
import { diskUsage } from "../src/lib/disk-usage.ts";
import { best, compareFormats } from "./history-format.ts";

const REPO = path.resolve(import.meta.dirname, "..");
const data = path.resolve(process.env.CCASS_BENCH_DATA ?? path.join(REPO, ".cache", "bench-full"));
const stocks = Number(process.env.CCASS_BENCH_STOCKS ?? 2800);
const days = Number(process.env.CCASS_BENCH_DAYS ?? 245);
const BUDGET = { historyBytes: 100e6, largestBytes: 1.5e6, dateViewMs: 300, twoDateMs: 500, participantMs: 300, sqlReadyMs: 3000, groupByMs: 1000 };

if (!existsSync(path.join(data, "holdings"))) {
  console.log(`writing a synthetic dataset (${stocks} stocks × ${days} days) to ${data} …`);
  const s = await writeSyntheticDataset({ out: data, seed: 1, stocks, days, end: "2026-11-20" });
  console.log(`  ${s.holdingsRows} holdings rows in ${s.seconds.toFixed(0)} s`);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Trail = any;
const trail: Trail = await import(pathToFileURL(path.join(REPO, "src", "pages", "components", "trail.js")).href);

async function readParquet(file: string): Promise<Record<string, unknown>[]> {
  const buf = await readFile(file);
  return parquetReadObjects({ file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength), compressors });
}

/** Time from an action to a condition in the page (polled in the page, 10 ms steps). */
async function timed(page: Page, act: () => Promise<unknown>, until: string, arg: string): Promise<number> {
  const t0 = performance.now();
  await act();
  await page.waitForFunction(new Function("arg", until) as (arg: string) => boolean, arg, { timeout: 60_000, polling: 10 });
  return performance.now() - t0;
}

const tmp = await mkdtemp(path.join(tmpdir(), "ccass-history-bench-"));
process.env.CCASS_CACHE = path.join(tmp, "analytics-cache");
const prebuilt = process.env.HISTORY_BENCH_DIST ? path.resolve(process.env.HISTORY_BENCH_DIST) : null;
const dist = prebuilt ?? path.join(tmp, "dist");
const loadAtStart = loadavg()[0]!;
try {
  if (!prebuilt) console.log(`building the site from ${data} …`);
  const build = prebuilt ? null : await buildSite({ data, out: dist, verbose: false });
  const api = path.join(dist, "_file", "api", "v1");
  const histDir = path.join(api, "history");
  const size = await diskUsage(dist);
  const history = await diskUsage(histDir);
  const duckdb = await diskUsage(path.join(dist, "_file", "components", "vendor", "duckdb"));
  // history/<code>/<YYYY>.parquet and .days.parquet
  const parts: { code: string; year: number; bytes: number; days: boolean }[] = [];
  for (const code of (await readdir(histDir)).filter((f) => /^\d{5}$/.test(f))) {
    for (const f of await readdir(path.join(histDir, code))) {
      const m = /^(\d{4})(\.days)?\.parquet$/.exec(f);
      if (m) parts.push({ code, year: Number(m[1]), bytes: (await stat(path.join(histDir, code, f))).size, days: !!m[2] });
    }
  }
  const perYear: Record<string, { points: number; days: number; stocks: number }> = {};
  for (const x of parts) {
    const y = (perYear[x.year] ??= { points: 0, days: 0, stocks: 0 });
    if (x.days) y.days += x.bytes;
    else { y.points += x.bytes; y.stocks++; }
  }
  const held = await diskUsage(path.join(histDir, "held"));
  const byParticipant = await diskUsage(path.join(histDir, "by-participant"));
  const market = await diskUsage(path.join(histDir, "market"));
  const pointFiles = parts.filter((x) => !x.days).sort((a, b) => b.bytes - a.bytes || (a.code < b.code ? -1 : 1));
  const largest = { code: pointFiles[0]!.code, year: pointFiles[0]!.year, bytes: pointFiles[0]!.bytes };
  console.log(
    `build ${build ? `${build.seconds.total.toFixed(1)} s` : "skipped"}; dist ${(size.bytes / 1e6).toFixed(1)} MB (history ${(history.bytes / 1e6).toFixed(1)} MB in ${history.files} files, ` +
      `held/ ${(held.bytes / 1e6).toFixed(1)} MB, by-participant/ ${(byParticipant.bytes / 1e6).toFixed(1)} MB in ${byParticipant.files} files, market/ ${(market.bytes / 1e6).toFixed(2)} MB, DuckDB-WASM ${(duckdb.bytes / 1e6).toFixed(1)} MB); largest part ${largest.code}/${largest.year} ${(largest.bytes / 1024).toFixed(0)} KiB; per year ${JSON.stringify(perYear)}`,
  );

  const largestFile = path.join(histDir, largest.code, `${largest.year}.parquet`);
  const format = await compareFormats(largestFile);
  console.log(`format: ${JSON.stringify(format)}`);

  // arquero's join of the two dates against trail.js's one pass (the last date and 60 days before)
  const years = [...new Set(parts.filter((x) => x.code === largest.code).map((x) => x.year))].sort();
  const h = trail.buildHistoryFromParts(
    await Promise.all(
      years.map(async (y) => ({
        points: await readParquet(path.join(histDir, largest.code, `${y}.parquet`)),
        days: await readParquet(path.join(histDir, largest.code, `${y}.days.parquet`)),
      })),
    ),
  );
  const d1 = h.dates.length - 1;
  const d0 = Math.max(0, d1 - 60);
  const onePassMs = best(7, () => trail.compareDays(h, d0, d1));
  const ratio = trail.basisRatio(h, d0, d1);
  const arqueroMs = best(7, () => {
    const a = aq.from(trail.holdingsOn(h, d0)).select("participant_key", "shares").rename({ shares: "raw_before" });
    const b = aq.from(trail.holdingsOn(h, d1)).select("participant_key", "shares").rename({ shares: "shares_after" });
    a.join_full(b, "participant_key")
      .params({ ratio })
      .derive({ shares_before: (d: { raw_before: number }, $: { ratio: number }) => aq.op.round((d.raw_before || 0) * $.ratio) })
      .derive({ change: (d: { shares_after: number; shares_before: number }) => (d.shares_after || 0) - d.shares_before })
      .derive({ size: (d: { change: number }) => (d.change < 0 ? -d.change : d.change) })
      .orderby(aq.desc("size"))
      .objects();
  });
  console.log(`two-date view in Node: trail.js one pass ${onePassMs.toFixed(1)} ms, arquero join ${arqueroMs.toFixed(1)} ms`);

  const server = await serveDist({ dir: dist });
  const browser = await launchBrowser();
  const views: Record<string, number> = {};
  try {
    const { page, context } = await openPage(browser, server.url);
    const bytes = { api: 0, history: 0 };
    page.on("response", (r) => {
      const u = r.url();
      if (u.includes("/_file/api/")) void r.body().then((b) => {
        bytes.api += b.length;
        if (u.includes("/history/")) bytes.history += b.length;
      }, () => {});
    });
    await page.goto(`${server.url}stock?code=${largest.code}`, { waitUntil: "networkidle" });
    await page.getByTestId("pick-date").waitFor({ timeout: 60_000 });
    views.stock_open_api_kib = bytes.api / 1024;
    views.stock_open_history_kib = bytes.history / 1024;
    const caption = "return document.querySelector('[data-testid=day-table] caption')?.textContent.includes(arg)";
    const target = h.dates[d0];
    views.date_view_ms = await timed(
      page,
      async () => {
        await page.getByLabel("Year", { exact: true }).selectOption(target.slice(0, 4));
        await page.getByLabel("Holdings on", { exact: true }).selectOption(target);
      },
      caption,
      target,
    );
    await page.waitForLoadState("networkidle");
    views.date_view_history_kib = bytes.history / 1024;
    views.two_date_ms = await timed(
      page,
      async () => {
        await page.getByLabel("Compare year", { exact: true }).selectOption(h.dates[d1].slice(0, 4));
        await page.getByLabel("Compare with", { exact: true }).selectOption(h.dates[d1]);
      },
      "return document.querySelector('[data-testid=compare-table] caption')?.textContent.includes(arg)",
      h.dates[d1],
    );
    // Inputs.select's option values are indexes: pick one in the middle of the list (0 is "choose")
    views.participant_history_ms = await timed(
      page,
      async () => page.getByLabel("Participant", { exact: true }).selectOption({ index: Math.floor((await page.getByLabel("Participant", { exact: true }).locator("option").count()) / 2) }),
      "return !!document.querySelector('[data-testid=participant-history-table] caption')",
      "",
    );
    await context.close();

    // the participant page on a date: the widest holder of that year fetches that year's part of every stock it held then
    const dateYear = Number(h.dates[d0].slice(0, 4));
    const heldFiles = await Promise.all(
      (await readdir(path.join(histDir, "held"))).map(async (f) => ({
        f,
        n: Object.values((JSON.parse(await readFile(path.join(histDir, "held", f), "utf8")) as { stocks: Record<string, number[]> }).stocks).filter((ys) => ys.includes(dateYear)).length,
      })),
    );
    const widest = heldFiles.sort((a, b) => b.n - a.n || (a.f < b.f ? -1 : 1))[0]!;
    // what each path reads for it, from the files (deterministic): the per-stock parts of that year of
    // every stock it held (the page before issue #22) against its own part and the year's market files,
    // on the bench date's year and on the last date's year
    const fileBytes = async (rel: string) => (existsSync(path.join(histDir, rel)) ? (await stat(path.join(histDir, rel))).size : 0);
    const widestHeld = (JSON.parse(await readFile(path.join(histDir, "held", widest.f), "utf8")) as { stocks: Record<string, number[]> }).stocks;
    for (const [label, y] of [["date", dateYear], ["last", Number(h.dates[d1].slice(0, 4))]] as const) {
      let perStock = 0;
      for (const [code, ys] of Object.entries(widestHeld)) if (ys.includes(y)) perStock += (await fileBytes(`${code}/${y}.parquet`)) + (await fileBytes(`${code}/${y}.days.parquet`));
      const own = (await fileBytes(`by-participant/${widest.f.replace(/\.json$/, "")}/${y}.parquet`)) + (await fileBytes(`market/${y}.parquet`)) + (await fileBytes(`market/${y}.json`));
      views[`widest_${label}_year`] = y;
      views[`widest_${label}_per_stock_parts_kib`] = perStock / 1024;
      views[`widest_${label}_own_parts_kib`] = own / 1024;
    }
    const part = await openPage(browser, server.url);
    let historyBytes = 0;
    part.page.on("response", (r) => {
      if (r.url().includes("/history/")) void r.body().then((b) => (historyBytes += b.length), () => {});
    });
    const key = widest.f.replace(/\.json$/, "").replace(/^ip-([0-9a-f]{12})(?:-(\d+))?$/, (_, h: string, n?: string) => `ip:${h}${n ? `#${n}` : ""}`);
    const tp = performance.now();
    await part.page.goto(`${server.url}participant?id=${encodeURIComponent(key)}&date=${h.dates[d0]}`);
    await part.page.getByTestId("portfolio-day-table").waitFor({ timeout: 120_000 });
    views.participant_page_widest_ms = performance.now() - tp;
    await part.page.waitForLoadState("networkidle");
    views.participant_page_widest_stocks = widest.n;
    views.participant_page_widest_history_kib = historyBytes / 1024;
    await part.context.close();
    const sql = await openPage(browser, server.url);
    const q = `SELECT date, count(*) FROM stock_history('${largest.code}') GROUP BY 1`;
    const t0 = performance.now();
    await sql.page.goto(`${server.url}sql?q=${encodeURIComponent(q)}`);
    await sql.page.getByTestId("sql-ready").waitFor({ timeout: 60_000 });
    views.sql_ready_wall_ms = performance.now() - t0;
    views.sql_ready_ms = Number(/ready in (\d+) ms/.exec(await sql.page.getByTestId("sql-ready").innerText())?.[1]);
    await sql.page.getByTestId("sql-status").waitFor({ timeout: 60_000 });
    views.group_by_first_ms = Number(/in ([\d,]+) ms/.exec(await sql.page.getByTestId("sql-status").innerText())?.[1]?.replace(/,/g, ""));
    // the same query again (the files already loaded): change the text so the view re-runs
    await sql.page.getByLabel("SQL query", { exact: true }).fill(`${q} ORDER BY 1`);
    await sql.page.getByRole("button", { name: "Run query" }).click();
    await sql.page.waitForFunction(() => /ORDER/.test(decodeURIComponent(location.search)), undefined, { timeout: 60_000 });
    await sql.page.getByTestId("sql-status").waitFor({ timeout: 60_000 });
    views.group_by_again_ms = Number(/in ([\d,]+) ms/.exec(await sql.page.getByTestId("sql-status").innerText())?.[1]?.replace(/,/g, ""));
    await sql.context.close();

  } finally {
    await browser.close();
    await server.close();
  }
  for (const [k, v] of Object.entries(views)) views[k] = Math.round(v);
  console.log(`browser, largest stock ${largest.code}: ${JSON.stringify(views)}`);

  const figures = {
    dataset: { folder: data, stocks: new Set(parts.map((x) => x.code)).size },
    build_seconds: build && { total: +build.seconds.total.toFixed(1), export: +build.seconds.export.toFixed(1), framework: +build.seconds.framework.toFixed(1) },
    dist: { bytes: size.bytes, files: size.files, history_bytes: history.bytes, history_files: history.files, held_bytes: held.bytes, by_participant_bytes: byParticipant.bytes, by_participant_files: byParticipant.files, market_bytes: market.bytes, duckdb_wasm_bytes: duckdb.bytes },
    history_per_year: perYear,
    largest_history: largest,
    format,
    two_date_node_ms: { trail_one_pass: +onePassMs.toFixed(2), arquero_join: +arqueroMs.toFixed(2) },
    browser: views,
    budgets: BUDGET,
    within_budget: {
      history: history.bytes <= BUDGET.historyBytes,
      largest: largest.bytes <= BUDGET.largestBytes,
      date_view: views.date_view_ms! <= BUDGET.dateViewMs,
      two_date: views.two_date_ms! <= BUDGET.twoDateMs,
      participant: views.participant_history_ms! <= BUDGET.participantMs,
      sql_ready: views.sql_ready_ms! <= BUDGET.sqlReadyMs,
      group_by: views.group_by_again_ms! <= BUDGET.groupByMs,
    },
    // Other work on the machine skews every figure: the 1-minute load average at start and end.
    load_average: { start: +loadAtStart.toFixed(2), end: +loadavg()[0]!.toFixed(2) },
  };
  console.log(JSON.stringify(figures.within_budget));
  await writeFileAtomic(path.join(REPO, "bench-out", "history.json"), JSON.stringify(figures, null, 2) + "\n");
  console.log("wrote bench-out/history.json");
} finally {
  await rm(tmp, { recursive: true, force: true });
}
