// The site's older years at month-end and quarter-end resolution, in Chromium (issue #22, "the site
// stays <= 1 GB"): a site built with CCASS_SITE_FULL_YEARS=1 and CCASS_SITE_MONTH_END_YEARS=1 from a
// market of 2025-10 to 2026-01 (6 stocks × 70 days), so 2025 is published at month-end and 2026 in
// full. A stock page on a 2025 month-end says so (how many of the year's dates it shows, where every
// date is), lists only 2025's month-ends in its date picker and shows that date's holdings (checked
// against the Parquet dataset); a 2025 date that is not a month-end in the address is named, not
// silently replaced; a 2026 date shows no note. A second site, CCASS_SITE_MONTH_END_YEARS=0 from a
// market of 2025-06 to 2026-01 (150 days), publishes 2025 at quarter-end: the stock page, a
// participant's history, the participant page and the SQL console say quarter-ends, and the pickers
// list 2025's quarter-ends only.
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb, rows, type Db } from "../data-loaders/compute/duck.ts";
import { sqlString } from "../src/lib/sql.ts";
import { buildTestSite, launchBrowser, openPage, type TestSite } from "./helpers/browser.ts";

let site: TestSite;
let browser: Browser;
let db: Db;
const CODE = "01033"; // the first stock of the seed-5 market, stored on every date

/** A site built with these CCASS_SITE_FULL_YEARS and CCASS_SITE_MONTH_END_YEARS (read by the build's export and its meta.json loader). */
async function buildWith(fullYears: string, monthEndYears: string, days: number): Promise<TestSite> {
  const before = [process.env.CCASS_SITE_FULL_YEARS, process.env.CCASS_SITE_MONTH_END_YEARS];
  process.env.CCASS_SITE_FULL_YEARS = fullYears;
  process.env.CCASS_SITE_MONTH_END_YEARS = monthEndYears;
  try {
    return await buildTestSite({ stocks: 6, days, seed: 5, end: "2026-01-20" });
  } finally {
    for (const [name, was] of [["CCASS_SITE_FULL_YEARS", before[0]], ["CCASS_SITE_MONTH_END_YEARS", before[1]]] as const) {
      if (was === undefined) delete process.env[name];
      else process.env[name] = was;
    }
  }
}

beforeAll(async () => {
  site = await buildWith("1", "1", 70);
  browser = await launchBrowser();
  db = await openDb(":memory:");
}, 600_000);

afterAll(async () => {
  db?.close();
  await browser?.close();
  await site?.close();
});

const glob = (table: string, on = site) => sqlString(path.join(on.data, table, "*", "*.parquet"));

/** The market's dates of a year (any stock stored), from the dataset. */
async function marketDates(year: number, on = site): Promise<string[]> {
  const r = await rows<{ d: string }>(db.conn, `SELECT DISTINCT strftime(date, '%Y-%m-%d') AS d FROM read_parquet(${glob("summary", on)}) WHERE year(date) = ${year} ORDER BY 1`);
  return r.map((x) => x.d);
}

async function stockDates(code: string, year: number, on = site): Promise<string[]> {
  const r = await rows<{ d: string }>(db.conn, `SELECT strftime(date, '%Y-%m-%d') AS d FROM read_parquet(${glob("summary", on)}) WHERE stock_code = '${code}' AND year(date) = ${year} ORDER BY 1`);
  return r.map((x) => x.d);
}

async function holdingsCount(code: string, date: string, on = site): Promise<number> {
  const r = await rows<{ n: bigint }>(db.conn, `SELECT count(*) AS n FROM read_parquet(${glob("holdings", on)}) WHERE stock_code = '${code}' AND date = DATE '${date}' AND shares > 0`);
  return Number(r[0]!.n);
}

function monthEnds(dates: string[]): string[] {
  const last = new Map<string, string>();
  for (const d of dates) last.set(d.slice(0, 7), d);
  return [...last.values()];
}

/** Each calendar quarter's last date among `dates` (ascending). */
function quarterEnds(dates: string[]): string[] {
  const last = new Map<string, string>();
  for (const d of dates) last.set(`${d.slice(0, 4)}Q${Math.ceil(Number(d.slice(5, 7)) / 3)}`, d);
  return [...last.values()];
}

async function visit(pathname: string, on = site) {
  const opened = await openPage(browser, on.url);
  await opened.page.goto(on.url + pathname, { waitUntil: "networkidle" });
  return opened;
}

describe("a month-end year on the stock page (CCASS_SITE_FULL_YEARS=1, CCASS_SITE_MONTH_END_YEARS=1)", () => {
  it("a 2025 month-end: the note says so, the date picker lists 2025's month-ends only, and the holdings are that date's", async () => {
    const market = await marketDates(2025);
    const ends = monthEnds(market);
    const own = await stockDates(CODE, 2025);
    const kept = own.filter((d) => ends.includes(d));
    expect(kept.length).toBeGreaterThanOrEqual(2);
    expect(own.length).toBeGreaterThan(kept.length * 10);
    const date = kept[1]!;
    const { page, watch, context } = await visit(`stock?code=${CODE}&date=${date}`);
    const caption = page.getByTestId("day-table").locator("caption");
    await expect.poll(() => caption.innerText()).toContain(date);
    expect(await caption.innerText()).toContain(`(${await holdingsCount(CODE, date)} shown)`);
    const note = page.getByTestId("month-end-note");
    expect(await note.count()).toBe(1);
    expect(await note.innerText()).toContain(`2025 is shown at month-ends only (${ends.length} of the year's ${market.length} stored dates: each month's last)`);
    expect(await note.innerText()).toContain("npm run fetch-dataset -- --from 2025");
    const options = (await page.getByLabel("Holdings on", { exact: true }).locator("option").allInnerTexts()).slice(1);
    expect(options.sort()).toEqual(kept);
    // the 2025 files only: nothing of 2026, nothing from another origin
    const history = [...new Set(watch.responses.map((r) => /\/history\/(.+)$/.exec(new URL(r.url).pathname)?.[1]).filter(Boolean))].sort();
    expect(history).toEqual([`${CODE}/2025.days.parquet`, `${CODE}/2025.parquet`, "market/2025.json"]);
    expect(watch.foreignRequests).toEqual([]);
    expect(watch.pageErrors).toEqual([]);
    expect(watch.consoleErrors).toEqual([]);
    await context.close();
  });

  it("a 2025 date that is not a month-end is named in the address's message; a 2026 date shows every date and no note", async () => {
    const own = await stockDates(CODE, 2025);
    const ends = monthEnds(await marketDates(2025));
    const dropped = own.find((d) => !ends.includes(d))!;
    const { page, watch, context } = await visit(`stock?code=${CODE}&date=${dropped}`);
    const error = page.getByTestId("trail-error");
    await error.waitFor();
    expect(await error.innerText()).toContain(`${dropped} (date=) is not shown: 2025 is published at month-ends only on this site`);
    expect(watch.pageErrors).toEqual([]);
    await context.close();

    const dates2026 = await stockDates(CODE, 2026);
    const second = await visit(`stock?code=${CODE}&date=${dates2026[2]}`);
    await expect.poll(() => second.page.getByTestId("day-table").locator("caption").innerText()).toContain(dates2026[2]!);
    expect(await second.page.getByTestId("month-end-note").count()).toBe(0);
    const options = (await second.page.getByLabel("Holdings on", { exact: true }).locator("option").allInnerTexts()).slice(1);
    expect(options.sort()).toEqual(dates2026);
    expect(second.watch.pageErrors).toEqual([]);
    expect(second.watch.consoleErrors).toEqual([]);
    await second.context.close();
  });

  it("the participant page on a 2025 month-end and the SQL console's stock_history say so too; the console's days are 2025's month-ends and 2026's dates", async () => {
    const ends = monthEnds(await marketDates(2025));
    const [holder] = await rows<{ k: string }>(db.conn, `SELECT participant_key AS k FROM read_parquet(${glob("holdings")}) WHERE stock_code = '${CODE}' AND date = DATE '${ends[1]}' AND participant_key LIKE 'C%' ORDER BY shares DESC LIMIT 1`);
    const { page, watch, context } = await visit(`participant?id=${holder!.k}&date=${ends[1]}`);
    await page.getByTestId("month-end-note").waitFor();
    expect(await page.getByTestId("month-end-note").innerText()).toContain("2025 is shown at month-ends only");
    const options = await page.getByLabel("Portfolio on", { exact: true }).locator("option").allInnerTexts();
    for (const d of options) expect(ends).toContain(d);
    expect(options).toContain(ends[1]);
    expect(watch.pageErrors).toEqual([]);
    expect(watch.foreignRequests).toEqual([]);
    await context.close();

    const q = `SELECT count(DISTINCT date) AS days FROM stock_history('${CODE}')`;
    const sql = await visit(`sql?q=${encodeURIComponent(q)}`);
    await sql.page.getByTestId("sql-result").waitFor({ timeout: 60_000 });
    expect(await sql.page.getByTestId("sql-month-end-note").innerText()).toContain("years before 2026 are not published at every date: 2025 is shown at month-ends only (each month's last stored date)");
    const cells = await sql.page.getByTestId("sql-result").locator("tbody tr").first().locator("td").allInnerTexts();
    const days = (await stockDates(CODE, 2025)).filter((d) => ends.includes(d)).length + (await stockDates(CODE, 2026)).length;
    expect(cells.map((c) => Number(c.replace(/[^\d]/g, ""))).filter((x) => x > 0).at(-1)).toBe(days);
    expect(sql.watch.pageErrors).toEqual([]);
    expect(sql.watch.foreignRequests).toEqual([]);
    await sql.context.close();
  }, 120_000);
});

describe("a quarter-end year (CCASS_SITE_FULL_YEARS=1, CCASS_SITE_MONTH_END_YEARS=0)", () => {
  let quarterSite: TestSite;
  beforeAll(async () => {
    quarterSite = await buildWith("1", "0", 150);
  }, 600_000);
  afterAll(async () => {
    await quarterSite?.close();
  });

  it("the stock page on a 2025 quarter-end says quarter-ends, its picker lists 2025's quarter-ends only, the holdings are that date's; a month-end that is not a quarter-end is named", async () => {
    const market = await marketDates(2025, quarterSite);
    const ends = quarterEnds(market);
    const own = await stockDates(CODE, 2025, quarterSite);
    const kept = own.filter((d) => ends.includes(d));
    expect(kept.length).toBeGreaterThanOrEqual(2);
    const date = kept[0]!;
    const { page, watch, context } = await visit(`stock?code=${CODE}&date=${date}`, quarterSite);
    const caption = page.getByTestId("day-table").locator("caption");
    await expect.poll(() => caption.innerText()).toContain(date);
    expect(await caption.innerText()).toContain(`(${await holdingsCount(CODE, date, quarterSite)} shown)`);
    const note = page.getByTestId("month-end-note");
    expect(await note.count()).toBe(1);
    expect(await note.innerText()).toContain(`2025 is shown at quarter-ends only (${ends.length} of the year's ${market.length} stored dates: each quarter's last)`);
    const options = (await page.getByLabel("Holdings on", { exact: true }).locator("option").allInnerTexts()).slice(1);
    expect(options.sort()).toEqual(kept);
    // the year picker offers the years of the stock's parts
    expect(await page.getByLabel("Year", { exact: true }).locator("option").allInnerTexts()).toEqual(["2026", "2025"]);
    expect(watch.pageErrors).toEqual([]);
    expect(watch.consoleErrors).toEqual([]);
    await context.close();

    // a month-end that is not a quarter-end (October's, in the quarter that ends in December)
    const monthEnd = monthEnds(own).find((d) => !ends.includes(d))!;
    const second = await visit(`stock?code=${CODE}&date=${monthEnd}`, quarterSite);
    await second.page.getByTestId("trail-error").waitFor();
    expect(await second.page.getByTestId("trail-error").innerText()).toContain(`${monthEnd} (date=) is not shown: 2025 is published at quarter-ends only on this site (pick one of its quarter-ends`);
    expect(second.watch.pageErrors).toEqual([]);
    await second.context.close();
  });

  it("a participant's history in the stock, the participant page and the SQL console say quarter-ends", async () => {
    const ends = quarterEnds(await marketDates(2025, quarterSite));
    const [holder] = await rows<{ k: string }>(db.conn, `SELECT participant_key AS k FROM read_parquet(${glob("holdings", quarterSite)}) WHERE stock_code = '${CODE}' AND date = DATE '${ends[0]}' AND participant_key LIKE 'C%' ORDER BY shares DESC LIMIT 1`);
    const s = await visit(`stock?code=${CODE}&participant=${holder!.k}`, quarterSite);
    const pNote = s.page.getByTestId("participant-month-end-note");
    await pNote.waitFor({ timeout: 60_000 });
    expect(await pNote.innerText()).toContain("2025 is shown at quarter-ends only (each quarter's last stored date)");
    expect(s.watch.pageErrors).toEqual([]);
    await s.context.close();

    const { page, watch, context } = await visit(`participant?id=${holder!.k}&date=${ends[0]}`, quarterSite);
    await page.getByTestId("month-end-note").waitFor();
    expect(await page.getByTestId("month-end-note").innerText()).toContain("2025 is shown at quarter-ends only");
    const options = await page.getByLabel("Portfolio on", { exact: true }).locator("option").allInnerTexts();
    for (const d of options) expect(ends).toContain(d);
    expect(options).toContain(ends[0]);
    expect(watch.pageErrors).toEqual([]);
    await context.close();

    const q = `SELECT count(DISTINCT date) AS days FROM stock_history('${CODE}')`;
    const sql = await visit(`sql?q=${encodeURIComponent(q)}`, quarterSite);
    await sql.page.getByTestId("sql-result").waitFor({ timeout: 60_000 });
    expect(await sql.page.getByTestId("sql-month-end-note").innerText()).toContain("years before 2026 are not published at every date: 2025 is shown at quarter-ends only");
    const cells = await sql.page.getByTestId("sql-result").locator("tbody tr").first().locator("td").allInnerTexts();
    const days = (await stockDates(CODE, 2025, quarterSite)).filter((d) => ends.includes(d)).length + (await stockDates(CODE, 2026, quarterSite)).length;
    expect(cells.map((c) => Number(c.replace(/[^\d]/g, ""))).filter((x) => x > 0).at(-1)).toBe(days);
    expect(sql.watch.pageErrors).toEqual([]);
    await sql.context.close();
  }, 180_000);
});
