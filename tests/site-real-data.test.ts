// The site as it is published: built from scraped data, not synthetic (no `_truth/`, no banner).
// Every other browser test builds a synthetic site, where the banner fills the first cell of each
// page; without it, every page showed an orange `null` (the banner's cell displayed `html```), and
// axe-core flagged it. One build, shared by every check here: on every page (the sidebar's, the
// dynamic ones showing one item, the rest), in the light scheme at desktop width: no synthetic-data
// banner, no value shown by Framework's inspector where content was meant, no axe-core WCAG 2 A/AA
// violation, no page error. The dark scheme and the phone width are tests/a11y.test.ts's.
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readGzipJson } from "../data-loaders/lib/gzip-json.ts";
import { buildTestSite, launchBrowser, openPage, type TestSite } from "./helpers/browser.ts";
import { axeViolations, configured, dynamic, inspectorValues, otherPages, settle } from "./helpers/site-pages.ts";

let site: TestSite;
let browser: Browser;
const query: Record<string, string> = {};

beforeAll(async () => {
  site = await buildTestSite({ stocks: 20, days: 20, seed: 5, synthetic: false });
  browser = await launchBrowser();
  const stockDir = path.join(site.dist, "_file", "api", "v1", "stocks");
  const stocks = await Promise.all(
    (await readdir(stockDir)).filter((f) => f.endsWith(".json.gz")).map((f) => readGzipJson<{ stock_code: string; holdings: { key: string[] } }>(path.join(stockDir, f))),
  );
  const busiest = stocks.sort((a, b) => b.holdings.key.length - a.holdings.key.length)[0]!;
  query["/stock"] = `?code=${busiest.stock_code}`;
  query["/participant"] = `?id=${encodeURIComponent(busiest.holdings.key[0]!)}`;
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

const pages = () => [...new Set([...configured, ...[...new Set(["/stock", ...dynamic])].map((p) => p + (query[p] ?? "")), ...otherPages])];

describe("a site built from non-synthetic data", () => {
  it("is built as not synthetic (else this file proves nothing)", async () => {
    const index = JSON.parse(await readFile(path.join(site.dist, "_file", "api", "v1", "index.json"), "utf8")) as { synthetic: boolean };
    expect(index.synthetic).toBe(false);
    expect(pages()).toContain(`/stock${query["/stock"]}`);
  });

  it("every page: no synthetic banner, no inspector value where content was meant, no axe-core violation, no error", async () => {
    const found: string[] = [];
    for (const pathname of pages()) {
      const { page, watch, context } = await openPage(browser, site.url);
      try {
        await page.goto(site.url + pathname.replace(/^\//, ""), { waitUntil: "load" });
        await settle(page);
        await page.evaluate(() => document.querySelectorAll("details").forEach((d) => (d.open = true)));
        if ((await page.getByTestId("synthetic-banner").count()) > 0) found.push(`${pathname}: a synthetic-data banner`);
        found.push(...(await inspectorValues(page)).map((v) => `${pathname}: an inspector value instead of content: ${v}`));
        for (const v of await axeViolations(page)) found.push(...v.nodes.map((n) => `${pathname}: ${v.id} (${v.impact}): ${n.target.join(" ")} ${n.html}`));
        found.push(...watch.pageErrors.map((e) => `${pathname}: ${e}`), ...watch.consoleErrors.map((e) => `${pathname}: console: ${e}`));
        // the page showed its content, not only its frame
        expect((await page.locator("#observablehq-main").innerText()).trim().length, pathname).toBeGreaterThan(40);
      } finally {
        await context.close();
      }
    }
    expect(found).toEqual([]);
  }, 300_000);
});
