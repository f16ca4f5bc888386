// The site over a dataset imported from a Webb-site dump (issue #21), in Chromium: the market's dump
// holds a recycled code (39003: security 900002, then 900003) and a code change (900001: 39001, then
// 39002). The recycled code's page names the security it shows and links the other one; the link
// (sid=) opens the other security's last day, said so; two dates of the two securities are not
// compared; the code change's pages link each other. Webb-site's credit is on every page.
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb, rows, type Db } from "../data-loaders/compute/duck.ts";
import { createMarket } from "../src/replica/market.ts";
import { DUMP_ONLY } from "../src/replica/webbsite-dump.ts";
import { sqlString } from "../src/lib/sql.ts";
import { buildTestSite, launchBrowser, openPage, type TestSite } from "./helpers/browser.ts";
import { axeViolations, settle } from "./helpers/site-pages.ts";

const MARKET = { seed: 3, stocks: 6, days: 30, end: "2026-06-30" };
const CODE = DUMP_ONLY.recycledCode;
const [OLD_ID, NEW_ID] = DUMP_ONLY.recycledIssues.map((i) => `wb:${i}`) as [string, string];
const CREDIT = "Webb-site (David M. Webb), CC-BY 4.0";
const dates = createMarket(MARKET).dates;
const seam = dates[Math.floor(dates.length / 2)]!;
const oldLast = dates[dates.indexOf(seam) - 1]!;

let site: TestSite;
let browser: Browser;
let db: Db;

beforeAll(async () => {
  site = await buildTestSite({ ...MARKET, archive: true });
  browser = await launchBrowser();
  db = await openDb(":memory:");
}, 600_000);

afterAll(async () => {
  db?.close();
  await browser?.close();
  await site?.close();
});

async function visit(pathname: string) {
  const opened = await openPage(browser, site.url);
  await opened.page.goto(site.url + pathname, { waitUntil: "networkidle" });
  return opened;
}

async function holdings(date: string): Promise<number> {
  const r = await rows<{ n: bigint }>(
    db.conn,
    `SELECT count(*) AS n FROM read_parquet(${sqlString(path.join(site.data, "holdings", "*", "*.parquet"))}) WHERE stock_code = '${CODE}' AND date = DATE '${date}' AND shares > 0`,
  );
  return Number(r[0]!.n);
}

describe("a recycled code on the site", () => {
  it("the page names the security it shows and links the other that used the code; the link opens that security's last day, said so", async () => {
    const { page, watch, context } = await visit(`stock?code=${CODE}`);
    const note = page.getByTestId("security-note");
    await note.waitFor();
    const text = await note.innerText();
    expect(text).toContain(DUMP_ONLY.names[2]);
    expect(text).toContain(NEW_ID);
    expect(text).toContain(`${seam} to ${dates.at(-1)}`);
    expect(await page.getByTestId("security-same-code").innerText()).toContain(`${OLD_ID}, ${dates[0]} to ${oldLast}`);
    const link = page.getByTestId("security-same-code").getByRole("link", { name: DUMP_ONLY.names[1] });
    expect(new URL((await link.getAttribute("href")) ?? "", site.url).searchParams.get("sid")).toBe(OLD_ID);
    await link.click();
    await page.waitForLoadState("networkidle");
    const day = page.getByTestId("day-security");
    await day.waitFor();
    expect(await day.innerText()).toContain(`On ${oldLast} code ${CODE} belonged to another security`);
    expect(await day.innerText()).toContain(DUMP_ONLY.names[1]);
    await expect.poll(() => page.getByTestId("day-table").locator("caption").innerText()).toContain(`(${await holdings(oldLast)} shown)`);
    expect(watch.pageErrors).toEqual([]);
    expect(watch.consoleErrors).toEqual([]);
    await context.close();
  });

  it("two dates of the two securities are not compared; two dates of one are", async () => {
    const { page, watch, context } = await visit(`stock?code=${CODE}&date=${seam}&compare=${oldLast}`);
    await page.getByTestId("compare-securities").waitFor();
    expect(await page.getByTestId("compare-table").count()).toBe(0);
    await context.close();
    const same = await visit(`stock?code=${CODE}&date=${dates.at(-1)}&compare=${seam}`);
    await same.page.getByTestId("compare-table").waitFor();
    expect(await same.page.getByTestId("compare-securities").count()).toBe(0);
    expect(await same.page.getByTestId("day-security").count()).toBe(0);
    expect([...watch.pageErrors, ...same.watch.pageErrors]).toEqual([]);
    await same.context.close();
  });

  it("axe-core finds no WCAG 2 A/AA violation with the security notes and the credit shown", async () => {
    for (const pathname of [`stock?code=${CODE}&date=${oldLast}`, `stock?code=${CODE}&date=${seam}&compare=${oldLast}`]) {
      const { page, context } = await visit(pathname);
      await settle(page);
      expect(await page.getByTestId("security-note").count()).toBe(1);
      expect(await axeViolations(page), pathname).toEqual([]);
      await context.close();
    }
  });

  it("a code change: each code's page links the same security under the other code", async () => {
    const [before, after] = DUMP_ONLY.movedCodes;
    for (const [code, other] of [[before, after], [after, before]] as const) {
      const { page, context } = await visit(`stock?code=${code}`);
      const note = page.getByTestId("security-same-security");
      await note.waitFor();
      expect(await note.getByRole("link").first().getAttribute("href")).toContain(`code=${other}`);
      await context.close();
    }
  });
});

describe("Webb-site's credit", () => {
  it.each(["stock?code=39003", `stock?code=39003&date=${seam}&compare=${dates.at(-1)}`, `participant?id=${DUMP_ONLY.broker.id}`, "sql", "data", "about", "index"])(
    "%s shows it",
    async (pathname) => {
      const { page, context } = await visit(pathname);
      expect(await page.locator("#observablehq-footer").innerText()).toContain(CREDIT);
      // and, on the pages that show dates, beside them: the archive's span from meta.json
      if (!["about", "index"].includes(pathname)) {
        const note = page.getByTestId("archive-credit");
        await note.waitFor();
        expect(await note.innerText()).toContain(`${dates[0]} to ${dates.at(-1)}`);
        expect(await note.innerText()).toContain(CREDIT);
      }
      await context.close();
    },
  );
});
