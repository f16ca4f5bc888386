// Accessibility of the built site (a small synthetic dataset, 30 stocks × 30 days):
//   - axe-core (WCAG 2.0/2.1 A and AA, WCAG 2.2 AA rules) finds no violation on any page, in the light
//     and dark schemes, at desktop and phone widths. The pages come from observablehq.config.ts (so a
//     page added there is checked without touching this file), its dynamic pages with a real
//     ?code= / ?id=, and any other page in src/pages; every Plot chart has a text alternative
//     (components/chart.js);
//   - a keyboard-only walk of a stock page: skip link, a date control changed with keys, the holdings
//     table reached and scrolled; the header search used without a mouse; a chart's table opened.
// axe-core runs inside Chromium from node_modules (page.addScriptTag), never from a CDN. The number
// of violations per page is printed at the end (the closing figures of issue #15).
import { readdir } from "node:fs/promises";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readGzipJson } from "../data-loaders/publish/gzip-json.ts";
import { buildTestSite, launchBrowser, openPage, waitForChart, type TestSite } from "./helpers/browser.ts";
import { axeViolations, configured, dynamic, inspectorValues, otherPages, settle } from "./helpers/site-pages.ts";

const SCHEMES = ["light", "dark"] as const;
const VIEWPORTS = { desktop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 } } as const;

// The query string that makes a page show one item: filled from the built data in beforeAll.
const query: Record<string, string> = {};

let site: TestSite;
let browser: Browser;
/** The stock whose page the keyboard walk uses, and its settlement dates. */
let walked: { stock_code: string; dates: string[] };
const counts = new Map<string, number>();

beforeAll(async () => {
  site = await buildTestSite({ stocks: 30, days: 30 });
  browser = await launchBrowser();
  const stockDir = path.join(site.dist, "_file", "api", "v1", "stocks");
  const stockFiles = (await readdir(stockDir)).filter((f) => f.endsWith(".json.gz")).sort();
  // The stock with the most holdings: every section of its page has something to show.
  const stocks = await Promise.all(
    stockFiles.map(
      (f) => readGzipJson<{ stock_code: string; dates: string[]; holdings: { key: string[] } }>(path.join(stockDir, f)),
    ),
  );
  const busiest = stocks.sort((a, b) => b.holdings.key.length - a.holdings.key.length)[0]!;
  query["/stock"] = `?code=${busiest.stock_code}`;
  query["/participant"] = `?id=${encodeURIComponent(busiest.holdings.key[0]!)}`;
  // a watchlist with something in it: its tables, moves and big changes are checked too
  query["/watchlist"] = `?stocks=${busiest.stock_code}&participants=${encodeURIComponent(busiest.holdings.key[0]!)}`;
  walked = busiest;
});

afterAll(async () => {
  const rows = [...counts].sort(([a], [b]) => a.localeCompare(b));
  if (rows.length) {
    console.log(`axe-core violations (nodes in violation) per page, scheme and width, total ${rows.reduce((a, [, n]) => a + n, 0)}:`);
    for (const [key, n] of rows) console.log(`  ${String(n).padStart(4)}  ${key}`);
  }
  await browser?.close();
  await site?.close();
});

/**
 * Plot charts (not their legends) that lack what components/chart.js gives them: a text alternative
 * of some length and a place inside a .cc-chart (beside its data table). axe cannot judge an
 * alternative's content, and accepts Plot's own aria-label ("bar") on a labelled <svg>.
 */
async function chartsWithoutAlternative(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll('#observablehq-main svg[class^="plot-"]:not([class$="-ramp"])'))
      .filter((svg) => (svg.getAttribute("aria-label") ?? "").length < 30 || !svg.closest(".cc-chart"))
      .map((svg) => `${svg.closest("[id]")?.id ?? "?"}: ${svg.getAttribute("aria-label") ?? "(none)"}`),
  );
}

/** axe on one page in every scheme and width; the list of what it found, one line per node. */
async function auditPage(pathname: string): Promise<string[]> {
  const found: string[] = [];
  for (const colorScheme of SCHEMES) {
    for (const [width, viewport] of Object.entries(VIEWPORTS)) {
      const { page, context } = await openPage(browser, site.url, { colorScheme, viewport });
      try {
        await page.goto(site.url + pathname.replace(/^\//, ""), { waitUntil: "load" });
        await settle(page);
        // the charts' tables of numbers are checked too: open every disclosure
        await page.evaluate(() => document.querySelectorAll("details").forEach((d) => (d.open = true)));
        await page.waitForTimeout(100);
        const violations = await axeViolations(page);
        const nodes = violations.flatMap((v) => v.nodes.map((n) => `${colorScheme}/${width} ${v.id} (${v.impact}): ${n.target.join(" ")} ${n.html}`));
        counts.set(`${pathname} ${colorScheme} ${width}`, nodes.length); // axe's figure alone
        found.push(...nodes);
        found.push(...(await chartsWithoutAlternative(page)).map((c) => `${colorScheme}/${width} chart without a text alternative: ${c}`));
        found.push(...(await inspectorValues(page)).map((v) => `${colorScheme}/${width} an inspector value instead of content: ${v}`));
      } finally {
        await context.close();
      }
    }
  }
  return found;
}

describe("axe-core finds no WCAG 2 A/AA violation", () => {
  for (const pathname of configured) {
    it(`on ${pathname}`, async () => {
      expect(await auditPage(pathname)).toEqual([]);
    });
  }
  // The stock page is in the sidebar (a search view without ?code=) and shows one stock with it.
  for (const pathname of [...new Set(["/stock", ...dynamic])]) {
    it(`on ${pathname} showing one item`, async () => {
      expect(await auditPage(pathname + (query[pathname] ?? ""))).toEqual([]);
    });
  }
  for (const pathname of otherPages.filter((p) => !dynamic.includes(p))) {
    it(`on ${pathname} (a page outside the sidebar)`, async () => {
      expect(await auditPage(pathname)).toEqual([]);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Keyboard only. Controls are found by role and label, so a control added to the page later (a
// second date range, a picker) only lengthens the walk.

/** What has the focus: its tag, type, accessible label, whether it shows a focus ring. */
async function focused(page: Page) {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return null;
    const style = getComputedStyle(el);
    const input = el as HTMLInputElement;
    return {
      tag: el.tagName.toLowerCase(),
      type: input.type ?? "",
      role: el.getAttribute("role"),
      label: el.getAttribute("aria-label") ?? input.labels?.[0]?.textContent?.trim() ?? el.textContent?.trim().slice(0, 60) ?? "",
      inMain: !!el.closest("#observablehq-main"),
      testid: el.closest("[data-testid]")?.getAttribute("data-testid") ?? null,
      ring: style.outlineStyle !== "none" && Number.parseFloat(style.outlineWidth) >= 1,
      onScreen: (() => {
        const r = el.getBoundingClientRect();
        return r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth;
      })(),
    };
  });
}

type Focused = NonNullable<Awaited<ReturnType<typeof focused>>>;

/** Press Tab until `wanted` holds (at most `limit` presses); every stop on the way is kept. */
async function tabUntil(page: Page, wanted: (f: Focused) => boolean, stops: Focused[], limit = 150): Promise<Focused> {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press("Tab");
    const f = await focused(page);
    if (!f) continue;
    stops.push(f);
    if (wanted(f)) return f;
  }
  throw new Error(`not reached in ${limit} Tab presses; stops: ${stops.map((s) => `${s.tag}[${s.label}]`).join(", ")}`);
}

describe("keyboard", () => {
  it("walks a stock page: skip link, the date control changed with keys, its table scrolled, the chart's dates typed", async () => {
    const { page, context } = await openPage(browser, site.url, { locale: "en-US" });
    try {
      await page.goto(`${site.url}stock?code=${walked.stock_code}`);
      await settle(page);
      await waitForChart(page, "#trend-chart");
      expect(await page.locator("[tabindex]:not([tabindex='0']):not([tabindex='-1'])").count(), "no positive tabindex reorders the walk").toBe(0);
      const stops: Focused[] = [];

      // 1. the first stop skips the sidebar and the header
      const skip = await tabUntil(page, () => true, stops, 1);
      expect(skip).toMatchObject({ tag: "a", label: "Skip to content", onScreen: true, ring: true });
      await page.keyboard.press("Enter");
      expect(new URL(page.url()).hash).toBe("#observablehq-main");

      // 2. the page's first controls are the year and the date of the holdings view: the date changed with the arrow keys
      const year = await tabUntil(page, (f) => f.inMain && f.tag === "select", stops);
      expect(year.label).toBe("Year");
      const select = await tabUntil(page, (f) => f.inMain && f.tag === "select" && f.label === "Holdings on", stops);
      expect(select.label).toBe("Holdings on");
      expect(stops.slice(1).every((s) => s.inMain), "after the skip link the walk starts in the main content").toBe(true);
      // no date (and no history file) until one is picked: the first step down is the latest stored date
      const caption = page.getByTestId("day-table").locator("caption");
      expect(await page.getByTestId("day-table").count()).toBe(0);
      await page.keyboard.press("ArrowDown");
      await expect.poll(() => page.getByTestId("day-table").count()).toBe(1);
      const chosen = await page.evaluate(() => (document.activeElement as HTMLSelectElement).selectedOptions[0]!.textContent!.trim());
      expect(await caption.innerText()).toContain(chosen);
      expect(new URL(page.url()).searchParams.get("date")).toBe(chosen);

      // 3. on to that date's table: a named, focusable scroll box the arrow keys scroll
      const table = await tabUntil(page, (f) => f.testid === "day-table" && f.role === "region", stops);
      expect(table.label).toMatch(/^Table: Holdings/);
      const box = page.getByTestId("day-table").getByRole("region");
      expect(await box.evaluate((el) => el.scrollHeight > el.clientHeight), "the table scrolls (more holdings than rows shown)").toBe(true);
      await page.keyboard.press("PageDown");
      await expect.poll(() => box.evaluate((el) => el.scrollTop)).toBeGreaterThan(0);

      // 4. further down, the trend chart's first date control, typed with the keyboard: the chart follows
      const date = await tabUntil(page, (f) => f.inMain && f.type === "date", stops, 1000);
      expect(date.label.length).toBeGreaterThan(0);
      const target = walked.dates[Math.floor(walked.dates.length / 3)]!;
      const [y, m, d] = target.split("-");
      await page.keyboard.type(`${m}${d}${y}`); // en-US field order: month, day, year
      expect(await page.evaluate(() => (document.activeElement as HTMLInputElement).value)).toBe(target);
      await expect.poll(() => page.locator("#trend-chart svg[role]").getAttribute("aria-label")).toContain(`${target} to `);

      // every stop showed a focus ring
      expect(stops.filter((s) => !s.ring)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("reaches the header search without a mouse and opens a stock from it", async () => {
    const { page, context } = await openPage(browser, site.url, { viewport: VIEWPORTS.phone });
    try {
      await page.goto(`${site.url}about`);
      await settle(page);
      const stops: Focused[] = [];
      const search = await tabUntil(page, (f) => f.type === "search" && !f.inMain, stops);
      expect(search).toMatchObject({ label: "Find a stock by code or name", onScreen: true, ring: true });
      await page.keyboard.type(String(Number(walked.stock_code))); // "700" for 00700
      await page.keyboard.press("Enter");
      await page.waitForURL(new RegExp(`stock\\?code=`));
      await expect.poll(() => page.getByTestId("stock-title").count()).toBe(1);
      expect(await page.getByTestId("stock-title").innerText()).toContain(walked.stock_code);
    } finally {
      await context.close();
    }
  });

  it("opens a chart's table of numbers from the keyboard", async () => {
    const { page, context } = await openPage(browser, site.url);
    try {
      await page.goto(`${site.url}stock?code=${walked.stock_code}`);
      await settle(page);
      const stops: Focused[] = [];
      // past the date view's table, whose every row links to its participant
      await tabUntil(page, (f) => f.tag === "summary" && f.label.startsWith("Show the numbers"), stops, 1000);
      await page.keyboard.press("Enter");
      const numbers = page.locator("#trend-chart details[open] table");
      await expect.poll(() => numbers.locator("tbody tr").count()).toBeGreaterThan(0);
      expect(await numbers.locator("thead").innerText()).toContain("Participant");
    } finally {
      await context.close();
    }
  });
});
