// Browser tests of the trail views (stock page: any date, two dates, any participant's history) and
// the SQL console, on one built site that spans two calendar years (seed 1, 40 stocks × 60 days
// ending 2026-01-20: a 1:10 split of 00634 on 2025-11-27, in the closed year). What is shown and
// downloaded is checked against the Parquet dataset itself; which history files a view fetched is
// checked against the yearly parts it needs.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb, rows, type Db } from "../data-loaders/compute/duck.ts";
import { sqlString } from "../src/lib/sql.ts";
import { buildTestSite, launchBrowser, openPage, waitForChart, type TestSite } from "./helpers/browser.ts";

let site: TestSite;
let browser: Browser;
let db: Db;

const SPLIT = { code: "00634", date: "2025-11-27", ratio: 10 };

beforeAll(async () => {
  site = await buildTestSite({ stocks: 40, days: 60, seed: 1, end: "2026-01-20" });
  browser = await launchBrowser();
  db = await openDb(":memory:");
  const truth = JSON.parse(await readFile(path.join(site.data, "_truth", "corporate-actions.json"), "utf8")) as { stock_code: string; date: string; ratio: number }[];
  // the fixture this file relies on: fail loudly if the synthetic market ever changes
  expect(truth).toContainEqual(expect.objectContaining({ stock_code: SPLIT.code, date: SPLIT.date, ratio: SPLIT.ratio }));
});

afterAll(async () => {
  db?.close();
  await browser?.close();
  await site?.close();
});

const holdingsGlob = () => sqlString(path.join(site.data, "holdings", "*", "*.parquet"));

async function parquetHoldings(code: string, date: string): Promise<Map<string, number>> {
  const r = await rows<{ k: string; s: number }>(
    db.conn,
    `SELECT participant_key AS k, shares AS s FROM read_parquet(${holdingsGlob()}) WHERE stock_code = ${sqlString(code)} AND date = DATE ${sqlString(date)} AND shares > 0`,
  );
  return new Map(r.map((x) => [x.k, x.s]));
}

async function storedDates(code: string): Promise<string[]> {
  const r = await rows<{ d: string }>(
    db.conn,
    `SELECT DISTINCT date AS d FROM read_parquet(${sqlString(path.join(site.data, "summary", "*", "*.parquet"))}) WHERE stock_code = ${sqlString(code)} ORDER BY 1`,
  );
  return r.map((x) => x.d);
}

async function visit(pathname: string, viewport?: { width: number; height: number }) {
  const opened = await openPage(browser, site.url, viewport ? { viewport } : {});
  await opened.page.goto(site.url + pathname, { waitUntil: "networkidle" });
  return opened;
}

/** Click a download button and parse the CSV (simple fields: the synthetic names hold no commas or quotes). */
async function download(page: Page, testid: string): Promise<Record<string, string>[]> {
  const [file] = await Promise.all([page.waitForEvent("download"), page.getByTestId(testid).click()]);
  const text = await readFile((await file.path())!, "utf8");
  const parse = (line: string) => (line.match(/("(?:[^"]|"")*"|[^,]*)(?:,|$)/g) ?? []).slice(0, -1).map((c) => c.replace(/,$/, "").replace(/^"(.*)"$/s, "$1").replaceAll('""', '"'));
  const [head, ...body] = text.trimEnd().split("\r\n");
  const cols = parse(head!);
  return body.map((line) => Object.fromEntries(parse(line).map((v, i) => [cols[i]!, v])));
}

/** The history files a page fetched, as paths under history/ (sorted). */
function historyFetched(watch: { responses: { url: string }[] }): string[] {
  return [...new Set(watch.responses.map((r) => /\/history\/(.+)$/.exec(new URL(r.url).pathname)?.[1]).filter((x): x is string => !!x))].sort();
}

/** Five stored dates before the split (2025) and the fourth stored date of 2026: a comparison across the split, from another year. */
async function acrossSplit(): Promise<[string, string]> {
  const dates = await storedDates(SPLIT.code);
  return [dates[dates.indexOf(SPLIT.date) - 5]!, dates.filter((d) => d.startsWith("2026"))[3]!];
}

function expectClean(watch: { pageErrors: string[]; consoleErrors: string[]; foreignRequests: string[]; dialogs: string[] }) {
  expect(watch.pageErrors).toEqual([]);
  expect(watch.consoleErrors).toEqual([]);
  expect(watch.foreignRequests).toEqual([]);
  expect(watch.dialogs).toEqual([]);
}

describe("stock page: holdings on any date", () => {
  it("stock?code=…&date=… shows that date's summary and table; its CSV equals the Parquet holdings row for row", async () => {
    const dates = await storedDates(SPLIT.code);
    for (const date of [dates[3]!, dates[dates.length - 10]!]) {
      const { page, watch, context } = await visit(`stock?code=${SPLIT.code}&date=${date}`);
      await expect.poll(() => page.getByTestId("day-table").locator("caption").innerText()).toContain(date);
      expect(await page.getByTestId("day-summary").innerText()).toContain(date);
      // that year's part alone
      const year = date.slice(0, 4);
      expect(historyFetched(watch)).toEqual([`${SPLIT.code}/${year}.days.parquet`, `${SPLIT.code}/${year}.parquet`]);
      const csv = await download(page, "download-holdings-csv");
      const expected = await parquetHoldings(SPLIT.code, date);
      expect(csv.length).toBe(expected.size);
      for (const row of csv) {
        expect(row.date).toBe(date);
        expect(Number(row.shares), row.participant_key).toBe(expected.get(row.participant_key!));
      }
      expectClean(watch);
      await context.close();
    }
  });

  it("no history on open; the year and date controls fetch that year's part and change the table and the address", async () => {
    const dates = await storedDates(SPLIT.code);
    const { page, watch, context } = await visit(`stock?code=${SPLIT.code}`);
    await page.getByTestId("pick-date").waitFor();
    expect(await page.getByTestId("day-table").count()).toBe(0);
    expect(historyFetched(watch)).toEqual([]);
    // the open year's dates come with the stock JSON
    const latest = await page.getByLabel("Holdings on", { exact: true }).locator("option").allInnerTexts();
    expect(latest.slice(1).sort()).toEqual(dates.filter((d) => d.startsWith("2026")));
    await page.getByLabel("Year", { exact: true }).selectOption("2025");
    await expect.poll(() => page.getByLabel("Holdings on", { exact: true }).locator("option").count()).toBe(1 + dates.filter((d) => d.startsWith("2025")).length);
    await page.getByLabel("Holdings on", { exact: true }).selectOption(dates[5]!);
    const caption = page.getByTestId("day-table").locator("caption");
    await expect.poll(() => caption.innerText()).toContain(dates[5]!);
    expect(new URL(page.url()).searchParams.get("date")).toBe(dates[5]);
    const expected = await parquetHoldings(SPLIT.code, dates[5]!);
    expect(await caption.innerText()).toContain(`(${expected.size} shown)`);
    expect(historyFetched(watch)).toEqual([`${SPLIT.code}/2025.days.parquet`, `${SPLIT.code}/2025.parquet`]);
    expectClean(watch);
    await context.close();
  });

  it("&compare= across the 2025 split to a 2026 date: both dates in the later basis, said so, from the two years' parts; the CSV equals the Parquet join", async () => {
    const [before, after] = await acrossSplit();
    const { page, watch, context } = await visit(`stock?code=${SPLIT.code}&date=${after}&compare=${before}`);
    await expect.poll(() => page.getByTestId("basis-note").count(), { timeout: 15_000 }).toBe(1); // two years' parts: slow on a loaded machine
    expect(await page.getByTestId("basis-note").innerText()).toContain(`split on ${SPLIT.date}`);
    expect(historyFetched(watch)).toEqual(["2025.days.parquet", "2025.parquet", "2026.days.parquet", "2026.parquet"].map((f) => `${SPLIT.code}/${f}`));
    const csv = await download(page, "download-compare-csv");
    const b = await parquetHoldings(SPLIT.code, before);
    const a = await parquetHoldings(SPLIT.code, after);
    expect(csv.length).toBe(new Set([...b.keys(), ...a.keys()]).size);
    for (const row of csv) {
      const sb = Math.round((b.get(row.participant_key!) ?? 0) * SPLIT.ratio);
      const sa = a.get(row.participant_key!) ?? 0;
      expect([Number(row.shares_before), Number(row.shares_after), Number(row.change)], row.participant_key).toEqual([sb, sa, sa - sb]);
    }
    // largest absolute change first
    const changes = csv.map((r) => Math.abs(Number(r.change)));
    expect(changes).toEqual([...changes].sort((x, y) => y - x));
    expectClean(watch);
    await context.close();
  });

  it("&participant= shows that participant's holding on every stored date of both years", async () => {
    const dates = await storedDates(SPLIT.code);
    // one that held on the first stored date and not on the last: its series ends inside the trail
    const last = await parquetHoldings(SPLIT.code, dates[dates.length - 1]!);
    const key = [...(await parquetHoldings(SPLIT.code, dates[0]!)).keys()].sort().find((k) => !last.has(k))!;
    expect(key).toBeDefined();
    const { page, watch, context } = await visit(`stock?code=${SPLIT.code}&participant=${encodeURIComponent(key)}`);
    await expect.poll(() => page.getByTestId("participant-history-table").count()).toBe(1);
    await expect.poll(() => page.getByTestId("participant-history-chart").locator("svg path").count()).toBeGreaterThan(0);
    const csv = await download(page, "download-participant-csv");
    expect(csv.map((r) => r.date).sort()).toEqual(dates);
    for (const row of csv.filter((r, i) => i % 3 === 0 || r.date!.startsWith("2026-01-0"))) expect(Number(row.shares), row.date).toBe((await parquetHoldings(SPLIT.code, row.date!)).get(key) ?? 0);
    expectClean(watch);
    await context.close();
  });

  it("a bad date, a date the stock does not have, or an unknown participant gets a clear message", async () => {
    const { page, watch, context } = await visit(`stock?code=${SPLIT.code}&date=2026-13-05&compare=2001-01-02&participant=Z99999`);
    await expect.poll(() => page.getByTestId("trail-error").count()).toBe(1);
    const text = await page.getByTestId("trail-error").innerText();
    expect(text).toContain("“2026-13-05” in date= is not a date");
    expect(text).toContain("2001-01-02 (compare=) is not a stored date of this stock");
    expect(text).toContain("“Z99999” (participant=) never held this stock");
    // no date is shown until one is picked
    await page.getByTestId("pick-date").waitFor();
    expect(await page.getByTestId("day-table").count()).toBe(0);
    expectClean(watch);
    await context.close();
    const bad = await visit("stock?code=99999&date=2026-10-05");
    await expect.poll(() => bad.page.locator("main h1").first().innerText()).toContain("No stock 99999");
    await bad.context.close();
  });

  it("the two-date view and the SQL console are usable at phone width: no sideways scrolling", async () => {
    const [before, after] = await acrossSplit();
    const { page, watch, context } = await visit(`stock?code=${SPLIT.code}&date=${after}&compare=${before}`, { width: 390, height: 844 });
    await expect.poll(() => page.getByTestId("compare-table").count(), { timeout: 15_000 }).toBe(1);
    const widths = await page.evaluate(() => ({ doc: document.documentElement.scrollWidth, view: window.innerWidth }));
    expect(widths.doc).toBeLessThanOrEqual(widths.view);
    expectClean(watch);
    await context.close();
    const sql = await visit(`sql?q=${encodeURIComponent("SELECT * FROM stocks")}`, { width: 390, height: 844 });
    await sql.page.getByTestId("sql-result").waitFor({ timeout: 60_000 });
    const sqlWidths = await sql.page.evaluate(() => ({ doc: document.documentElement.scrollWidth, view: window.innerWidth }));
    expect(sqlWidths.doc).toBeLessThanOrEqual(sqlWidths.view);
    expectClean(sql.watch);
    await sql.context.close();
  });
});

describe("participant page: any date and two dates", () => {
  it("participant?id=…&date=…&compare=… across the year shows the portfolio and the change; both CSVs equal the Parquet holdings", async () => {
    const [before, after] = await acrossSplit();
    // the split stock's largest holder: its change crosses the split
    const [{ k: key }] = (await rows<{ k: string }>(
      db.conn,
      `SELECT participant_key AS k FROM read_parquet(${holdingsGlob()}) WHERE stock_code = ${sqlString(SPLIT.code)} AND date = DATE ${sqlString(after)} ORDER BY shares DESC LIMIT 1`,
    )) as [{ k: string }];
    const { page, watch, context } = await visit(`participant?id=${encodeURIComponent(key)}&date=${after}&compare=${before}`);
    await page.getByTestId("compare-table").waitFor({ timeout: 60_000 });
    const on = async (d: string) =>
      new Map(
        (await rows<{ c: string; s: number }>(
          db.conn,
          `SELECT stock_code AS c, shares AS s FROM read_parquet(${holdingsGlob()}) WHERE participant_key = ${sqlString(key)} AND date = DATE ${sqlString(d)} AND shares > 0`,
        )).map((x) => [x.c, x.s]),
      );
    const [b, a] = [await on(before), await on(after)];
    const day = await download(page, "download-holdings-csv");
    expect(new Map(day.map((r) => [r.stock_code!, Number(r.shares)]))).toEqual(a);
    const change = await download(page, "download-compare-csv");
    expect(change.length).toBe(new Set([...a.keys(), ...b.keys()]).size);
    const split = change.find((r) => r.stock_code === SPLIT.code)!;
    expect(Number(split.shares_before)).toBe(Math.round(b.get(SPLIT.code)! * SPLIT.ratio));
    expect(await page.getByTestId("basis-note").count()).toBe(1);
    // the two years' files (its own parts, or the parts of the stocks it held in them), no other year
    const years = new Set(historyFetched(watch).filter((f) => !f.startsWith("held/")).map((f) => /\/?(\d{4})\.(?:days\.)?(?:parquet|json)$/.exec(f)![1]));
    expect([...years].sort()).toEqual(["2025", "2026"]);
    expectClean(watch);
    await context.close();
  });

  it("the widest holder's page on a date reads its own part and the market file of that year only (requests counted), and shows its Parquet holdings", async () => {
    const heldDir = path.join(site.dist, "_file", "api", "v1", "history", "held");
    const held = await Promise.all((await readdir(heldDir)).map(async (f) => ({ f, ...(JSON.parse(await readFile(path.join(heldDir, f), "utf8")) as { participant_key: string; stocks: Record<string, number[]>; own?: number[] }) })));
    const widest = held.sort((a, b) => Object.keys(b.stocks).length - Object.keys(a.stocks).length || (a.f < b.f ? -1 : 1))[0]!;
    expect(widest.own).toContain(2026);
    const file = widest.f.replace(/\.json$/, "");
    const date = (await storedDates(SPLIT.code)).filter((d) => d.startsWith("2026"))[5]!;
    const { page, watch, context } = await visit(`participant?id=${encodeURIComponent(widest.participant_key)}&date=${date}`);
    await expect.poll(() => page.getByTestId("portfolio-day-table").locator("caption").innerText(), { timeout: 60_000 }).toContain(date);
    await page.waitForLoadState("networkidle");
    const requests = watch.responses.map((r) => new URL(r.url).pathname).filter((p) => p.includes("/history/"));
    expect(requests.map((p) => p.replace(/^.*\/history\//, "")).sort()).toEqual([`by-participant/${file}/2026.parquet`, `held/${file}.json`, "market/2026.json", "market/2026.parquet"]);
    const day = await download(page, "download-holdings-csv");
    const [truth] = [new Map((await rows<{ c: string; s: number }>(db.conn, `SELECT stock_code AS c, shares AS s FROM read_parquet(${holdingsGlob()}) WHERE participant_key = ${sqlString(widest.participant_key)} AND date = DATE ${sqlString(date)} AND shares > 0`)).map((x) => [x.c, x.s]))];
    expect(truth.size).toBeGreaterThanOrEqual(10);
    expect(new Map(day.map((r) => [r.stock_code!, Number(r.shares)]))).toEqual(truth);
    // every row's name (the stock list the page reads) and % of that day's issued shares (the Parquet summary), the caption's count
    const issued = new Map((await rows<{ c: string; i: number }>(db.conn, `SELECT stock_code AS c, issued_shares AS i FROM read_parquet(${sqlString(path.join(site.data, "summary", "*", "*.parquet"))}) WHERE date = DATE ${sqlString(date)}`)).map((x) => [x.c, Number(x.i)]));
    const stockList = (await readdir(path.join(site.dist, "_file", "data"))).find((f) => /^stocks\.[\w]+\.json$/.test(f))!;
    const { stocks } = JSON.parse(await readFile(path.join(site.dist, "_file", "data", stockList), "utf8")) as { stocks: { code: string[]; name: string[] } };
    const names = new Map(stocks.code.map((c, i) => [c, stocks.name[i]!]));
    for (const r of day) {
      expect([r.date, r.name], r.stock_code).toEqual([date, names.get(r.stock_code!)]);
      expect(Number(r.pct_of_issued), r.stock_code).toBeCloseTo((Number(r.shares) / issued.get(r.stock_code!)!) * 100, 9);
    }
    expect(day.map((r) => Number(r.pct_of_issued))).toEqual(day.map((r) => Number(r.pct_of_issued)).sort((a, b) => b - a)); // largest % first
    expect(await page.getByTestId("portfolio-day-table").locator("caption").innerText()).toContain(`(${truth.size} stocks)`);
    expectClean(watch);
    await context.close();
  });

  it("the sections below the portfolio on a date wait for its table, and do not wait for history that fails to load", async () => {
    const heldDir = path.join(site.dist, "_file", "api", "v1", "history", "held");
    const held = await Promise.all((await readdir(heldDir)).map(async (f) => JSON.parse(await readFile(path.join(heldDir, f), "utf8")) as { participant_key: string; stocks: Record<string, number[]> }));
    const widest = held.sort((a, b) => Object.keys(b.stocks).length - Object.keys(a.stocks).length || (a.participant_key < b.participant_key ? -1 : 1))[0]!;
    const date = (await storedDates(SPLIT.code)).filter((d) => d.startsWith("2026"))[5]!;
    // the latest holdings' chart and the transfers table are put in the page after the date's table,
    // even when its year's file is slow to come (the order of their arrival, recorded from the first
    // request; a string: the page has no tsx helpers)
    const { page, context } = await openPage(browser, site.url);
    await context.route("**/history/by-participant/**", async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await route.continue();
    });
    await context.addInitScript(`window.__arrived = [];
      new MutationObserver(() => {
        for (const [name, sel] of [["table", "[data-testid=portfolio-day-table] caption"], ["chart", "#portfolio-chart svg"], ["transfers", "[data-testid=participant-transfers] table"]])
          if (!window.__arrived.includes(name) && document.querySelector(sel)) window.__arrived.push(name);
      }).observe(document, { childList: true, subtree: true });`);
    await page.goto(`${site.url}participant?id=${encodeURIComponent(widest.participant_key)}&date=${date}`, { waitUntil: "networkidle" });
    await expect.poll(() => page.evaluate(() => (window as unknown as { __arrived: string[] }).__arrived.length), { timeout: 30_000 }).toBe(3);
    expect(await page.evaluate(() => (window as unknown as { __arrived: string[] }).__arrived[0])).toBe("table");
    await context.close();
    // its own part fails (a server error): no table, the sections below are drawn all the same
    const failing = await openPage(browser, site.url);
    await failing.context.route("**/history/by-participant/**", (route) => route.fulfill({ status: 500, body: "down" }));
    await failing.page.goto(`${site.url}participant?id=${encodeURIComponent(widest.participant_key)}&date=${date}`);
    expect(await waitForChart(failing.page, "#portfolio-chart", 60_000)).toBeGreaterThan(0);
    await failing.page.getByTestId("participant-transfers").locator("table").waitFor({ timeout: 30_000 });
    expect(await failing.page.getByTestId("portfolio-day-table").count()).toBe(0);
    await failing.context.close();
  });

  it("the portfolio date control changes the table; a bad date gets a clear message", async () => {
    const dates = await storedDates(SPLIT.code);
    const [{ k: key }] = (await rows<{ k: string }>(
      db.conn,
      `SELECT participant_key AS k FROM read_parquet(${holdingsGlob()}) WHERE stock_code = ${sqlString(SPLIT.code)} AND date = DATE ${sqlString(dates[2]!)} ORDER BY shares DESC LIMIT 1`,
    )) as [{ k: string }];
    const { page, watch, context } = await visit(`participant?id=${encodeURIComponent(key)}&date=2026-02-30`);
    await expect.poll(() => page.getByTestId("trail-error").count()).toBe(1);
    expect(await page.getByTestId("trail-error").innerText()).toContain("“2026-02-30” in date= is not a date");
    const caption = page.getByTestId("portfolio-day-table").locator("caption");
    await expect.poll(() => caption.innerText()).toContain(dates[dates.length - 1]!);
    await page.getByLabel("Year", { exact: true }).selectOption("2025");
    await expect.poll(() => page.getByLabel("Portfolio on", { exact: true }).locator("option").allInnerTexts(), { timeout: 30_000 }).toContain(dates[2]!);
    await page.getByLabel("Portfolio on", { exact: true }).selectOption(dates[2]!);
    await expect.poll(() => caption.innerText()).toContain(dates[2]!);
    expect(new URL(page.url()).searchParams.get("date")).toBe(dates[2]);
    expectClean(watch);
    await context.close();
    // a weekend in a year it held stocks: not a stored date, said so
    const weekend = await visit(`participant?id=${encodeURIComponent(key)}&date=2026-01-03`);
    await expect.poll(() => weekend.page.getByTestId("trail-error").count(), { timeout: 30_000 }).toBe(1);
    expect(await weekend.page.getByTestId("trail-error").innerText()).toContain("2026-01-03 (date=) is not a stored date.");
    await weekend.context.close();
  });
});

describe("SQL console", () => {
  it("sql?q= runs on load: stock_history(code) over both years' parts equals the Parquet holdings (count and checksum)", async () => {
    const q = `SELECT count(*) AS n, sum(shares) AS total, count(DISTINCT date) AS days FROM stock_history('${SPLIT.code}')`;
    const { page, watch, context } = await visit(`sql?q=${encodeURIComponent(q)}`);
    await page.getByTestId("sql-result").waitFor({ timeout: 60_000 });
    const cells = await page.getByTestId("sql-result").locator("tbody tr").first().locator("td").allInnerTexts();
    const [expected] = await rows<{ n: number; total: number; days: number }>(
      db.conn,
      `SELECT count(*) AS n, sum(shares) AS total, count(DISTINCT date) AS days FROM read_parquet(${holdingsGlob()}) WHERE stock_code = ${sqlString(SPLIT.code)} AND shares > 0`,
    );
    const numbers = cells.map((c) => Number(c.replace(/[^\d.]/g, ""))).filter((x) => Number.isFinite(x) && x > 0);
    expect(numbers.slice(-3)).toEqual([expected!.n, expected!.total, expected!.days]);
    expect(historyFetched(watch)).toEqual(["2025.days.parquet", "2025.parquet", "2026.days.parquet", "2026.parquet"].map((f) => `${SPLIT.code}/${f}`));
    expectClean(watch);
    await context.close();
  });

  it("a shared link cannot make the reader's browser reach a URL, a file, an extension or a setting", async () => {
    // DuckDB-WASM reads http(s) URLs itself; a link runs its query on load, so the engine is locked
    // down before it (sql-views.js ENGINE_LOCKDOWN_SQL; the attacker's corpus: sql-console-hostile.test.ts).
    // [query, DuckDB's message, whether the console adds its note that the engine refused]
    for (const [q, message, note] of [
      ["SELECT * FROM read_csv('https://example.com/x.csv')", /Permission Error: Cannot access file "https:\/\/example\.com\/x\.csv"/, true],
      // no Parquet reader without its extension, which is never loaded: the URL is just an unknown table
      ["SELECT * FROM 'https://example.com/x.parquet'", /Catalog Error: Table with name https:\/\/example\.com\/x\.parquet does not exist/, false],
      ["SET lock_configuration = false; INSTALL httpfs", /Cannot change configuration option "lock_configuration" - the configuration has been locked/, true],
    ] as const) {
      const { page, watch, context } = await visit(`sql?q=${encodeURIComponent(q)}`);
      await page.getByTestId("sql-error").waitFor({ timeout: 60_000 });
      expect(await page.getByTestId("sql-error").innerText(), q).toMatch(message);
      expect(await page.getByTestId("sql-refusal-note").count(), q).toBe(note ? 1 : 0);
      if (note) expect(await page.getByTestId("sql-refusal-note").innerText(), q).toMatch(/reads only the tables this page loads/);
      expectClean(watch);
      await context.close();
    }
  });

  it("a bad query shows DuckDB's message; a long result is capped with a note; the CSV has the rows shown", async () => {
    const bad = await visit(`sql?q=${encodeURIComponent("SELEC nonsense")}`);
    await bad.page.getByTestId("sql-error").waitFor({ timeout: 60_000 });
    expect(await bad.page.getByTestId("sql-error").innerText()).toMatch(/The query failed:\s+Parser Error: syntax error at or near "SELEC"/);
    expectClean(bad.watch);
    await bad.context.close();

    const { page, watch, context } = await visit(`sql?q=${encodeURIComponent(`SELECT * FROM stock_history('${SPLIT.code}') ORDER BY date, participant_key`)}`);
    await page.getByTestId("sql-capped").waitFor({ timeout: 60_000 });
    const csv = await download(page, "download-sql-csv");
    expect(csv.length).toBe(1000);
    expect(Object.keys(csv[0]!)).toEqual(["date", "stock_code", "participant_key", "shares", "security_id"]);
    const first = await rows<{ participant_key: string; shares: number; date: string }>(
      db.conn,
      `SELECT date, participant_key, shares FROM read_parquet(${holdingsGlob()}) WHERE stock_code = ${sqlString(SPLIT.code)} AND shares > 0 ORDER BY date, participant_key LIMIT 1`,
    );
    expect([csv[0]!.date, csv[0]!.participant_key, Number(csv[0]!.shares)]).toEqual([first[0]!.date, first[0]!.participant_key, first[0]!.shares]);
    expectClean(watch);
    await context.close();
  });

  it("download tables load on first use and join (no request leaves the origin)", async () => {
    const q = "SELECT count(*) AS n FROM transfers t JOIN stocks s ON s.code = t.stock_code";
    const { page, watch, context } = await visit(`sql?q=${encodeURIComponent(q)}`);
    await page.getByTestId("sql-result").waitFor({ timeout: 60_000 });
    const [expected] = await rows<{ n: number }>(
      db.conn,
      // every yearly part of the table (downloads/transfers/year=YYYY/)
      `SELECT count(*) AS n FROM read_parquet(${sqlString(path.join(site.dist, "_file", "api", "v1", "downloads", "transfers", "*", "*.parquet"))})`,
    );
    expect(Number((await page.getByTestId("sql-result").locator("tbody td").last().innerText()).replace(/\D/g, ""))).toBe(expected!.n);
    expectClean(watch);
    await context.close();
  });
});

// Issue 23 on the same built site: the big-changes page against a two-date query of the Parquet,
// the watchlist (add, reload, share, remove; storage blocked), the feeds announced and served.
describe("big changes, watchlist and feeds", () => {
  const latestDates = async (n: number) =>
    (await rows<{ d: string }>(db.conn, `SELECT DISTINCT date AS d FROM read_parquet(${sqlString(path.join(site.data, "summary", "*", "*.parquet"))}) ORDER BY 1 DESC LIMIT ${n}`)).map((r) => r.d);

  it("a stock page fetches the market-wide big changes only when the reader asks for them", async () => {
    const { page, watch, context } = await visit(`stock?code=${SPLIT.code}`);
    const button = page.getByRole("button", { name: "Show the big changes" });
    await button.waitFor();
    await page.getByTestId("stock-big-changes").waitFor({ state: "detached", timeout: 1_000 }).catch(() => undefined);
    const fetchedBigChanges = () => watch.responses.some((r) => new URL(r.url).pathname.endsWith("/big-changes.json.gz"));
    expect(fetchedBigChanges()).toBe(false);
    expect(await page.getByTestId("stock-big-changes").count()).toBe(0);
    await button.click();
    await page.getByTestId("stock-big-changes").waitFor({ timeout: 15_000 });
    expect(fetchedBigChanges()).toBe(true);
    expect(await page.getByTestId("stock-big-changes").innerText()).toMatch(new RegExp(`Big changes in ${SPLIT.code}|No change of at least`));
    expectClean(watch);
    await context.close();
  });

  it("big-changes?days=5&min=0.3 lists exactly a two-date query of the Parquet, each row linking to the stock's two-date view; the address reproduces it", async () => {
    const dates = await latestDates(6);
    const [to, from] = [dates[0]!, dates[5]!];
    const { page, watch, context } = await visit("big-changes?days=5&min=0.3");
    await page.getByTestId("big-changes-count").waitFor();
    expect(await page.getByTestId("big-changes-count").innerText()).toContain(`from ${from} to ${to}`);
    const csv = await download(page, "big-changes-csv");
    // stocks without a change of issued shares between the dates (no basis to adjust)
    const want = await rows<{ stock_code: string; key: string; change: number }>(
      db.conn,
      `WITH s AS (
         SELECT stock_code, max(issued_shares) AS issued FROM read_parquet(${sqlString(path.join(site.data, "summary", "*", "*.parquet"))})
         WHERE date IN (DATE '${from}', DATE '${to}') GROUP BY 1 HAVING count(*) = 2 AND min(issued_shares) = max(issued_shares)
       ), h AS (
         SELECT stock_code, participant_key AS key,
           coalesce(sum(shares) FILTER (WHERE date = DATE '${to}'), 0) - coalesce(sum(shares) FILTER (WHERE date = DATE '${from}'), 0) AS change
         FROM read_parquet(${holdingsGlob()}) WHERE date IN (DATE '${from}', DATE '${to}') AND shares > 0 GROUP BY ALL
       )
       SELECT h.* FROM h JOIN s USING (stock_code) WHERE round(abs(h.change) * 100.0 / s.issued, 4) >= 0.3 ORDER BY 1, 2`,
    );
    expect(want.length).toBeGreaterThan(0);
    const stocks = new Set(want.map((w) => w.stock_code));
    const got = csv.filter((r) => stocks.has(r.stock_code!)).map((r) => ({ stock_code: r.stock_code!, key: r.participant_key!, change: Number(r.change) }));
    got.sort((x, y) => (x.stock_code + x.key < y.stock_code + y.key ? -1 : 1));
    expect(got).toEqual(want);
    for (const r of csv) expect([r.from, r.to]).toEqual([from, to]);
    const count = await page.getByTestId("big-changes-count").innerText();
    expect(count).toContain(`${csv.length} change`);
    const href = await page.getByTestId("big-changes-table").locator("tbody tr").first().getByRole("link", { name: /^Compare holdings of/ }).getAttribute("href");
    expect(href).toMatch(new RegExp(`^\\./stock\\?code=\\d{5}&date=${to}&compare=${from}$`));
    // a control changes the address; the address alone gives the same list
    await page.getByLabel("Direction").selectOption({ label: "decreases only" });
    await expect.poll(() => new URL(page.url()).searchParams.get("dir")).toBe("down");
    const downCount = await page.getByTestId("big-changes-count").innerText();
    expect(downCount).toContain(`${csv.filter((r) => Number(r.change) < 0).length} change`);
    const again = await visit(`big-changes${new URL(page.url()).search}`);
    await again.page.getByTestId("big-changes-count").waitFor();
    expect(await again.page.getByTestId("big-changes-count").innerText()).toBe(downCount);
    await again.context.close();
    expectClean(watch);
    await context.close();
  });

  it("watchlist: star a stock and a participant, reload, share the address (a fresh browser shows it), remove", async () => {
    const participant = (await rows<{ k: string }>(db.conn, `SELECT participant_key AS k FROM read_parquet(${holdingsGlob()}) WHERE stock_code = ${sqlString(SPLIT.code)} ORDER BY shares DESC LIMIT 1`))[0]!.k;
    const { page, watch, context } = await visit(`stock?code=${SPLIT.code}`);
    const star = page.getByTestId("star-button");
    await expect.poll(() => star.getAttribute("aria-pressed")).toBe("false");
    await star.click();
    await expect.poll(() => star.getAttribute("aria-pressed")).toBe("true");
    await page.goto(`${site.url}/participant?id=${encodeURIComponent(participant)}`, { waitUntil: "networkidle" });
    await page.getByTestId("star-button").click();
    await page.goto(`${site.url}/watchlist`, { waitUntil: "networkidle" });
    await page.reload({ waitUntil: "networkidle" });
    await expect.poll(() => page.getByTestId("watch-stocks").innerText()).toContain(SPLIT.code);
    expect(await page.getByTestId("watch-participants").innerText()).not.toContain("No participants");
    const share = await page.getByTestId("share-link").getAttribute("href");
    expect(share).toBe(`./watchlist?stocks=${SPLIT.code}&participants=${participant}`);
    // the address alone, in a browser with an empty storage
    const fresh = await visit(share!.slice(2));
    await fresh.page.getByTestId("shared-list").waitFor();
    expect(await fresh.page.getByTestId("watch-stocks").innerText()).toContain(SPLIT.code);
    await fresh.context.close();
    // add by code through the form, then remove both stocks
    const other = (await rows<{ c: string }>(db.conn, `SELECT DISTINCT stock_code AS c FROM read_parquet(${holdingsGlob()}) WHERE stock_code <> ${sqlString(SPLIT.code)} ORDER BY 1 LIMIT 1`))[0]!.c;
    await page.getByLabel("Add a stock code or participant ID").fill(other);
    await page.getByRole("button", { name: "Add", exact: true }).click();
    await expect.poll(() => page.getByTestId("watch-stocks").innerText()).toContain(other);
    await page.getByTestId(`remove-${SPLIT.code}`).click();
    await page.getByTestId(`remove-${other}`).click();
    await page.reload({ waitUntil: "networkidle" });
    await expect.poll(() => page.getByTestId("watch-stocks").innerText()).toContain("No stocks");
    expect(await page.getByTestId("share-link").getAttribute("href")).toBe(`./watchlist?participants=${participant}`);
    expectClean(watch);
    await context.close();
  });

  it("with storage blocked, the watchlist and the star say so, and a shared address still works", async () => {
    const opened = await openPage(browser, site.url);
    await opened.context.addInitScript(() => {
      Object.defineProperty(window, "localStorage", { get() { throw new DOMException("blocked", "SecurityError"); } });
    });
    const { page, watch, context } = opened;
    await page.goto(`${site.url}/watchlist?stocks=${SPLIT.code}`, { waitUntil: "networkidle" });
    await page.getByTestId("storage-blocked").waitFor();
    expect(await page.getByTestId("watch-stocks").innerText()).toContain(SPLIT.code);
    await page.goto(`${site.url}/stock?code=${SPLIT.code}`, { waitUntil: "networkidle" });
    await expect.poll(() => page.getByTestId("star-status").innerText()).toContain("blocks storage");
    expect(await page.getByTestId("star-button").isDisabled()).toBe(true);
    expectClean(watch);
    await context.close();
  });

  it("the transfers and big-changes pages announce their Atom feed in <head>; the stock page its own; every one is served", async () => {
    for (const [pathname, feed] of [["transfers", "transfers.xml"], ["big-changes", "big-changes.xml"], [`stock?code=${SPLIT.code}`, `stocks/${SPLIT.code}.xml`]] as const) {
      const { page, watch, context } = await visit(pathname);
      await expect.poll(() => page.evaluate(() => Array.from(document.head.querySelectorAll('link[rel~="alternate"][type="application/atom+xml"]')).map((l) => l.getAttribute("href"))), { timeout: 30_000 }).toEqual([
        `./_file/api/v1/feeds/${feed}`,
      ]);
      const res = await page.request.get(new URL(`./_file/api/v1/feeds/${feed}`, page.url()).href);
      expect(res.status()).toBe(200);
      expect(await res.text()).toContain('<feed xmlns="http://www.w3.org/2005/Atom"');
      expectClean(watch);
      await context.close();
    }
  });

  it("the market-wide feeds are in the pages' static HTML (no script needed); the stock and participant pages show a visible Atom feed link to the feed they announce", async () => {
    for (const [file, feed] of [["transfers.html", "transfers.xml"], ["big-changes.html", "big-changes.xml"]] as const) {
      const raw = await readFile(path.join(site.dist, file), "utf8");
      const links = [...raw.matchAll(/<link\b[^>]*type="application\/atom\+xml"[^>]*>/g)].map((m) => /href="([^"]*)"/.exec(m[0])?.[1]);
      expect(links, file).toEqual([`./_file/api/v1/feeds/${feed}`]);
    }
    // one page serves every stock (every participant): its own feed can only be known once it runs
    for (const file of ["stock.html", "participant.html"]) expect(await readFile(path.join(site.dist, file), "utf8"), file).not.toContain("application/atom+xml");
    const participant = (await rows<{ k: string }>(db.conn, `SELECT participant_key AS k FROM read_parquet(${holdingsGlob()}) WHERE stock_code = ${sqlString(SPLIT.code)} ORDER BY shares DESC LIMIT 1`))[0]!.k;
    for (const [pathname, feed] of [[`stock?code=${SPLIT.code}`, new RegExp(`^\\./_file/api/v1/feeds/stocks/${SPLIT.code}\\.xml$`)], [`participant?id=${encodeURIComponent(participant)}`, /^\.\/_file\/api\/v1\/feeds\/participants\/[^/]+\.xml$/]] as const) {
      const { page, watch, context } = await visit(pathname);
      const link = page.getByRole("link", { name: /^Atom feed/ });
      await link.waitFor({ timeout: 30_000 });
      expect(await link.count(), pathname).toBe(1);
      expect(await link.isVisible(), pathname).toBe(true);
      const href = (await link.getAttribute("href"))!;
      expect(href, pathname).toMatch(feed);
      expect(await link.getAttribute("type")).toBe("application/atom+xml");
      // the same feed as the one announced in <head>
      await expect.poll(() => page.evaluate(() => Array.from(document.head.querySelectorAll('link[rel~="alternate"][type="application/atom+xml"]')).map((l) => l.getAttribute("href")))).toEqual([href]);
      const res = await page.request.get(new URL(href, page.url()).href);
      expect(res.status(), href).toBe(200);
      expect(await res.text()).toContain('<feed xmlns="http://www.w3.org/2005/Atom"');
      expectClean(watch);
      await context.close();
    }
  });
});
