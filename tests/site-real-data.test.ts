// The site as it is published: built from scraped data, not synthetic (no `_truth/`, no banner).
// Every other browser test builds a synthetic site, where the banner fills the first cell of each
// page; without it, every page showed an orange `null` (the banner's cell displayed `html```), and
// axe-core flagged it. One build, shared by every check here: on every page (the sidebar's, the
// dynamic ones showing one item, the rest), in the light scheme at desktop width: no synthetic-data
// banner, no value shown by Framework's inspector where content was meant, no axe-core WCAG 2 A/AA
// violation, no page error. The dark scheme and the phone width are tests/a11y.test.ts's. And the
// docs' screenshots (npm run screenshots), which refuse a page showing an inspector value, are taken.
import { spawn } from "node:child_process";
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readGzipJson } from "../data-loaders/publish/gzip-json.ts";
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

/** The sidebar's pages, the dynamic ones showing one item (query filled in beforeAll), the rest. */
const PAGES: [label: string, pathname: () => string][] = [
  ...configured.map((p): [string, () => string] => [p, () => p]),
  ...[...new Set(["/stock", ...dynamic])].map((p): [string, () => string] => [`${p} showing one item`, () => p + (query[p] ?? "")]),
  ...otherPages.filter((p) => !dynamic.includes(p)).map((p): [string, () => string] => [p, () => p]),
];

/** What is wrong on one page: a banner, inspector values, axe violations, errors. */
async function problems(pathname: string): Promise<string[]> {
  const found: string[] = [];
  const { page, watch, context } = await openPage(browser, site.url);
  try {
    await page.goto(site.url + pathname.replace(/^\//, ""), { waitUntil: "load" });
    await settle(page);
    await page.evaluate(() => document.querySelectorAll("details").forEach((d) => (d.open = true)));
    if ((await page.getByTestId("synthetic-banner").count()) > 0) found.push("a synthetic-data banner");
    found.push(...(await inspectorValues(page)).map((v) => `an inspector value instead of content: ${v}`));
    for (const v of await axeViolations(page)) found.push(...v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(" ")} ${n.html}`));
    found.push(...watch.pageErrors, ...watch.consoleErrors.map((e) => `console: ${e}`));
    // the page showed its content, not only its frame
    if ((await page.locator("#observablehq-main").innerText()).trim().length < 40) found.push("next to no text in the main content");
  } finally {
    await context.close();
  }
  return found;
}

describe("a site built from non-synthetic data", () => {
  it("is built as not synthetic (else this file proves nothing)", async () => {
    const index = JSON.parse(await readFile(path.join(site.dist, "_file", "api", "v1", "index.json"), "utf8")) as { synthetic: boolean };
    expect(index.synthetic).toBe(false);
    expect(query["/stock"]).toMatch(/^\?code=\d{5}$/);
  });

  for (const [label, pathname] of PAGES) {
    it(`${label}: no synthetic banner, no inspector value where content was meant, no axe-core violation, no error`, async () => {
      expect(await problems(pathname())).toEqual([]);
    });
  }

  it("npm run screenshots takes every shot of it (light, dark, phone), refusing none", async () => {
    const out = path.join(site.tmp, "screenshots");
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ["--import", "tsx", path.join(import.meta.dirname, "..", "scripts", "screenshots.ts"), "--site", site.dist, "--out", out], { stdio: ["ignore", "ignore", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
      child.on("exit", (code) => resolve({ code, stderr }));
    });
    expect(r.code, r.stderr).toBe(0);
    expect((await readdir(out)).sort()).toEqual(["big-changes.png", "data.png", "health.png", "holder-categories.png", "home-dark.png", "home.png", "participant.png", "stock-phone.png", "stock.png", "transfers.png", "watchlist.png"]);
  }, 300_000);
});
