// With no dataset at all the site still builds, every page says how to get data, and nothing fails.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { buildTestSite, launchBrowser, openPage, type TestSite } from "./helpers/browser.ts";

let site: TestSite;
let browser: Browser;

beforeAll(async () => {
  site = await buildTestSite({ empty: true });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

it.each(["", "stock?code=00700", "transfers", "participants", "participant?id=C00019", "data", "health", "sql"])(
  "page %s says how to get data, without errors",
  async (pathname) => {
    const { page, watch, context } = await openPage(browser, site.url);
    await page.goto(site.url + pathname, { waitUntil: "networkidle" });
    await expect.poll(() => page.getByTestId("no-data").count()).toBe(1);
    expect(await page.getByTestId("no-data").innerText()).toContain("npm run build");
    expect(await page.getByTestId("synthetic-banner").count()).toBe(0);
    expect(watch.pageErrors).toEqual([]);
    expect(watch.consoleErrors).toEqual([]);
    expect(watch.foreignRequests).toEqual([]);
    await context.close();
  },
);
