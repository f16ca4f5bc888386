// The site's older years read from one data host (CCASS_DATA_HOST), in Chromium (issue #22): a stand-in
// host on 127.0.0.1:0 (CORS, 404s) serves the folder the build writes beside dist/ (`<out>-data-host`),
// a site built with CCASS_SITE_FULL_YEARS=1 from a market of 2025-10 to 2026-01 (6 stocks × 70 days):
// 2025's history files (at full resolution) and downloads' yearly parts are in that folder and not in
// dist/, and the Data page links 2025's parts there; a stock page on a
// 2025 date that is not a month-end shows that date's holdings (checked against the Parquet dataset),
// its picker lists every 2025 date, no month-end note, and its requests go only to the site's origin
// and the data host.
// A second build that reuses the export tree (`--no-export`) splits it the same way.
import { existsSync } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb, rows, type Db } from "../data-loaders/compute/duck.ts";
import { buildTestSite, launchBrowser, openPage, type TestSite } from "./helpers/browser.ts";
import { cacheDir } from "../data-loaders/compute/env.ts";
import { buildSite, keptApiTree } from "../scripts/build-site.ts";
import { withEnv } from "./helpers/env.ts";

let site: TestSite;
let browser: Browser;
let db: Db;
let host: Server;
let hostOrigin: string;
let hostRoot: string | null = null; // the build's data host folder, once built
const hostServed: string[] = [];
const CODE = "01033"; // the first stock of the seed-5 market

beforeAll(async () => {
  // the stand-in host first: the site's policy names its origin
  host = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    hostServed.push(url.pathname);
    res.setHeader("Access-Control-Allow-Origin", "*");
    const file = hostRoot ? path.join(hostRoot, path.normalize(decodeURIComponent(url.pathname)).replace(/^(\.\.[/\\])+/, "")) : null;
    if (!file || !file.startsWith(hostRoot! + path.sep) || !existsSync(file) || !(await stat(file)).isFile()) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "Content-Type": file.endsWith(".json") ? "application/json" : "application/octet-stream" }).end(await readFile(file));
  });
  await new Promise<void>((resolve) => host.listen(0, "127.0.0.1", resolve));
  hostOrigin = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;
  site = await withOneFullYear(() => buildTestSite({ stocks: 6, days: 70, seed: 5, end: "2026-01-20", dataHost: hostOrigin }));
  hostRoot = `${site.dist}-data-host`;
  browser = await launchBrowser();
  db = await openDb(":memory:");
}, 600_000);

afterAll(async () => {
  db?.close();
  await browser?.close();
  await site?.close();
  await new Promise((resolve) => host?.close(resolve));
});

/** `work` with CCASS_SITE_FULL_YEARS=1 (2026 full, 2025 older). */
const withOneFullYear = <T>(work: () => Promise<T>): Promise<T> => withEnv("CCASS_SITE_FULL_YEARS", "1", work);

const glob = (table: string) => path.join(site.data, table, "*", "*.parquet");

async function stockDates(year: number): Promise<string[]> {
  const r = await rows<{ d: string }>(db.conn, `SELECT strftime(date, '%Y-%m-%d') AS d FROM read_parquet('${glob("summary")}') WHERE stock_code = '${CODE}' AND year(date) = ${year} ORDER BY 1`);
  return r.map((x) => x.d);
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort();
}

/** 2025's history (full resolution) and downloads' yearly parts in `hostFolder`, not in `dist`; 2026's in `dist`. */
async function expectOlderYearOnHost(dist: string, hostFolder: string) {
  const api = path.join(dist, "_file", "api", "v1");
  const inDist = (await filesUnder(path.join(api, "history"))).filter((f) => /2025/.test(f));
  expect(inDist).toEqual([]);
  const onHost = await filesUnder(path.join(hostFolder, "history"));
  expect(onHost).toContain(`${CODE}/2025.parquet`);
  expect(onHost).toContain(`${CODE}/2025.days.parquet`);
  expect(onHost).toContain("market/2025.json");
  expect(onHost.filter((f) => !/\/2025\.(days\.)?(parquet|json)$/.test(f))).toEqual([]);
  const market = JSON.parse(await readFile(path.join(hostFolder, "history", "market", "2025.json"), "utf8")) as { dates: string[]; resolution?: string };
  expect(market.resolution).toBeUndefined();
  expect(market.dates.length).toBeGreaterThan(40);
  const meta = JSON.parse(await readFile(path.join(dist, "_file", "data", (await readdir(path.join(dist, "_file", "data"))).find((f) => f.startsWith("meta."))!), "utf8")) as { history_host: string; history_full_from: number };
  expect(meta).toMatchObject({ history_host: hostOrigin, history_full_from: 2026 });
  // the downloads' yearly parts of 2025 too (holder categories: every stored stock-day), 2026's stay
  const partsOnHost = await filesUnder(path.join(hostFolder, "downloads"));
  expect(partsOnHost).toContain("holder-categories/year=2025/holder-categories-2025.parquet");
  expect(partsOnHost.filter((f) => !/\/year=2025\/[a-z-]+-2025\.parquet$/.test(f))).toEqual([]);
  const partsInDist = await filesUnder(path.join(api, "downloads"));
  expect(partsInDist.filter((f) => /year=2025/.test(f))).toEqual([]);
  expect(partsInDist).toContain("holder-categories/year=2026/holder-categories-2026.parquet");
}

describe("the older years on a data host (CCASS_DATA_HOST, CCASS_SITE_FULL_YEARS=1)", () => {
  it("the build puts 2025's history files, at full resolution, in the host's folder and not in dist/", async () => {
    await expectOlderYearOnHost(site.dist, hostRoot!);
  });

  it("a build that reuses an export tree (--no-export) puts the same files on the host's folder and in dist/", async () => {
    const out = path.join(site.tmp, "dist-no-export");
    await withOneFullYear(() => buildSite({ data: site.data, out, exportApi: false, apiTree: keptApiTree(cacheDir(), site.data), dataHost: hostOrigin, verbose: false }));
    await expectOlderYearOnHost(out, `${out}-data-host`);
    expect(await filesUnder(`${out}-data-host`)).toEqual(await filesUnder(hostRoot!));
  }, 300_000);

  it("the Data page links 2025's yearly parts on the host and 2026's on the site", async () => {
    const { page, watch, context } = await openPage(browser, site.url, { allowOrigins: [hostOrigin] });
    await page.goto(`${site.url}data`, { waitUntil: "networkidle" });
    const hrefs = await page.locator("a[href*='holder-categories-20']").evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href));
    expect(hrefs).toContain(`${hostOrigin}/downloads/holder-categories/year=2025/holder-categories-2025.parquet`);
    expect(hrefs).toContain(`${site.url}_file/api/v1/downloads/holder-categories/year=2026/holder-categories-2026.parquet`);
    expect(watch.foreignRequests).toEqual([]);
    expect(watch.pageErrors).toEqual([]);
    await context.close();
  });

  it("a stock page on a 2025 date that is not a month-end reads 2025 from the host: every date, that date's holdings, requests only to the site and the host", async () => {
    const dates = await stockDates(2025);
    const date = dates[5]!;
    expect(dates.filter((d) => d.slice(0, 7) === date.slice(0, 7)).at(-1)).not.toBe(date); // not a month-end
    const { page, watch, context } = await openPage(browser, site.url, { allowOrigins: [hostOrigin] });
    await page.goto(`${site.url}stock?code=${CODE}&date=${date}`, { waitUntil: "networkidle" });
    const caption = page.getByTestId("day-table").locator("caption");
    await expect.poll(() => caption.innerText()).toContain(date);
    const [n] = await rows<{ n: bigint }>(db.conn, `SELECT count(*) AS n FROM read_parquet('${glob("holdings")}') WHERE stock_code = '${CODE}' AND date = DATE '${date}' AND shares > 0`);
    expect(await caption.innerText()).toContain(`(${Number(n!.n)} shown)`);
    const options = (await page.getByLabel("Holdings on", { exact: true }).locator("option").allInnerTexts()).slice(1);
    expect(options.sort()).toEqual(dates);
    expect(await page.getByTestId("month-end-note").count()).toBe(0);
    expect(watch.hostRequests!.map((u) => new URL(u).pathname).sort()).toEqual([`/history/${CODE}/2025.days.parquet`, `/history/${CODE}/2025.parquet`]);
    expect(hostServed).toEqual(expect.arrayContaining([`/history/${CODE}/2025.parquet`]));
    expect(watch.foreignRequests).toEqual([]);
    expect(watch.pageErrors).toEqual([]);
    expect(watch.consoleErrors).toEqual([]);
    await context.close();
  });

  it("the participant page on a 2025 date and the SQL console's stock_history read 2025 from the host too, every date of it", async () => {
    const dates = await stockDates(2025);
    const [holder] = await rows<{ k: string }>(db.conn, `SELECT participant_key AS k FROM read_parquet('${glob("holdings")}') WHERE stock_code = '${CODE}' AND date = DATE '${dates[5]}' AND participant_key LIKE 'C%' ORDER BY shares DESC LIMIT 1`);
    const p = await openPage(browser, site.url, { allowOrigins: [hostOrigin] });
    await p.page.goto(`${site.url}participant?id=${holder!.k}&date=${dates[5]}`, { waitUntil: "networkidle" });
    await expect.poll(async () => (await p.page.getByLabel("Portfolio on", { exact: true }).locator("option").allInnerTexts()).includes(dates[5]!)).toBe(true);
    expect(await p.page.getByTestId("month-end-note").count()).toBe(0);
    expect(p.watch.hostRequests!.length).toBeGreaterThan(0);
    expect(p.watch.hostRequests!.every((u) => /\/history\/.*\/2025\.(days\.)?(parquet|json)$/.test(u))).toBe(true);
    expect(p.watch.foreignRequests).toEqual([]);
    expect(p.watch.pageErrors).toEqual([]);
    await p.context.close();

    const q = `SELECT count(DISTINCT date) AS days FROM stock_history('${CODE}')`;
    const sql = await openPage(browser, site.url, { allowOrigins: [hostOrigin] });
    await sql.page.goto(`${site.url}sql?q=${encodeURIComponent(q)}`, { waitUntil: "networkidle" });
    await sql.page.getByTestId("sql-result").waitFor({ timeout: 60_000 });
    const cells = await sql.page.getByTestId("sql-result").locator("tbody tr").first().locator("td").allInnerTexts();
    expect(cells.map((c) => Number(c.replace(/[^\d]/g, ""))).filter((x) => x > 0).at(-1)).toBe(dates.length + (await stockDates(2026)).length);
    expect(await sql.page.getByTestId("sql-month-end-note").count()).toBe(0);
    expect(sql.watch.hostRequests!.map((u) => new URL(u).pathname).sort()).toEqual([`/history/${CODE}/2025.days.parquet`, `/history/${CODE}/2025.parquet`]);
    expect(sql.watch.foreignRequests).toEqual([]);
    expect(sql.watch.pageErrors).toEqual([]);
    await sql.context.close();

    // a download table's 2025 part comes from the host: every stored stock-day of 2025 is counted
    const [stockDays] = await rows<{ n: bigint }>(db.conn, `SELECT count(*) AS n FROM read_parquet('${glob("summary")}') WHERE year(date) = 2025`);
    const hc = await openPage(browser, site.url, { allowOrigins: [hostOrigin] });
    await hc.page.goto(`${site.url}sql?q=${encodeURIComponent("SELECT count(*) AS n FROM holder_categories WHERE year(date) = 2025")}`, { waitUntil: "networkidle" });
    await hc.page.getByTestId("sql-result").waitFor({ timeout: 60_000 });
    const n = (await hc.page.getByTestId("sql-result").locator("tbody tr").first().locator("td").allInnerTexts()).map((c) => Number(c.replace(/[^\d]/g, ""))).at(-1);
    expect(n).toBe(Number(stockDays!.n));
    expect(hc.watch.hostRequests!.map((u) => new URL(u).pathname)).toContain("/downloads/holder-categories/year=2025/holder-categories-2025.parquet");
    expect(hc.watch.foreignRequests).toEqual([]);
    expect(hc.watch.pageErrors).toEqual([]);
    await hc.context.close();
  }, 180_000);
});
