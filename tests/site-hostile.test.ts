// The site against a dataset whose stock and participant names carry HTML, script and
// spreadsheet-formula payloads (scripts/synth-dataset.ts --hostile-names): names show as text,
// no injected script runs, no injected element is created, CSV downloads neutralise formulas.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readGzipJson } from "../data-loaders/publish/gzip-json.ts";
import { HOSTILE_PAYLOADS } from "../src/replica/universe.ts";
import { buildTestSite, launchBrowser, openPage, type TestSite } from "./helpers/browser.ts";

let site: TestSite;
let browser: Browser;

interface StockJson {
  stock_code: string;
  name: string;
  dates: string[];
  holdings: { key: string[] };
  names: Record<string, string>;
}

const PAYLOAD = /<|=HYPERLINK|^[=+\-@]/;
/** The latest holders' names, in holdings order (names sit once per key in `names`, schema 4). */
const holderNames = (s: StockJson) => s.holdings.key.map((k) => s.names[k] ?? "");
let hostileStock: StockJson | undefined;
/** A stock whose holders include a participant with a markup payload in its name. */
let hostileHolders: StockJson | undefined;

beforeAll(async () => {
  site = await buildTestSite({ stocks: 30, days: 20, hostileNames: true, seed: 11 });
  browser = await launchBrowser();
  const dir = path.join(site.dist, "_file", "api", "v1", "stocks");
  const stocks: StockJson[] = await Promise.all(
    (await readdir(dir)).map((f) => readGzipJson<StockJson>(path.join(dir, f))),
  );
  hostileStock = stocks.find((s) => s.name.includes("<") || PAYLOAD.test(s.name));
  hostileHolders = [...stocks].sort(
    (a, b) => holderNames(b).filter((n) => n.includes("<")).length - holderNames(a).filter((n) => n.includes("<")).length,
  )[0];
  hostileDates.push(hostileHolders!.dates[0]!, hostileHolders!.dates[hostileHolders!.dates.length - 1]!);
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

/** Elements or attributes a payload would create if a name were parsed as HTML. */
async function injected(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const found: string[] = [];
    for (const el of Array.from(document.querySelectorAll("*"))) {
      for (const attr of Array.from(el.attributes)) {
        if (/^on/i.test(attr.name)) found.push(`${el.tagName} ${attr.name}`);
      }
    }
    for (const img of Array.from(document.querySelectorAll("img"))) {
      if (img.getAttribute("src") === "x") found.push("img src=x");
    }
    for (const s of Array.from(document.querySelectorAll("script"))) {
      // every payload calls alert(…); a page's own code may say role="alert"
      if (/\balert\s*\(/.test(s.textContent ?? "")) found.push("script with alert");
    }
    return found;
  });
}

/** Two stored dates of the hostile holders' stock, and a holder whose name carries markup. */
const hostileDates: string[] = [];
const hostileKey = () => hostileHolders!.holdings.key[holderNames(hostileHolders!).findIndex((n) => n.includes("<"))]!;

describe("hostile names", () => {
  it("the dataset really carries payloads (else this file proves nothing)", () => {
    expect(holderNames(hostileHolders!).some((n) => n.includes("<"))).toBe(true);
  });

  // Tables render only their first rows: where a filter exists, narrow it to names carrying markup
  // so the payloads are actually on screen. Paths are resolved once the data is read (beforeAll).
  const pages: [label: string, page: () => { path: string; filter?: string }][] = [
    ["home", () => ({ path: "" })],
    ["transfers", () => ({ path: "transfers" })],
    ["participants, filtered", () => ({ path: "participants", filter: "Search by name or ID…" })],
    ["a stock with hostile holders, filtered", () => ({ path: `stock?code=${hostileHolders!.stock_code}`, filter: "Filter by name or ID…" })],
    ["a stock with a hostile name", () => ({ path: `stock?code=${hostileStock!.stock_code}` })],
    ["a stock code that is a payload", () => ({ path: `stock?code=${encodeURIComponent("<img src=x onerror=alert(1)>")}` })],
    ["a participant ID that is a payload", () => ({ path: `participant?id=${encodeURIComponent("<img src=x onerror=alert(1)>")}` })],
    // the trail views (a date, a second date, one participant's history) and the SQL console
    ["a stock's trail of one participant", () => ({ path: `stock?code=${hostileHolders!.stock_code}&compare=${hostileDates[0]}&participant=${encodeURIComponent(hostileKey())}`, filter: "Filter this date's holders…" })],
    ["a stock's changes between two dates", () => ({ path: `stock?code=${hostileHolders!.stock_code}&date=${hostileDates[1]}&compare=${hostileDates[0]}`, filter: "Filter the changes…" })],
    ["a hostile participant compared", () => ({ path: `participant?id=${encodeURIComponent(hostileKey())}&compare=${hostileDates[0]}` })],
    ["the SQL console", () => ({ path: `sql?q=${encodeURIComponent("SELECT key, name FROM participants WHERE name LIKE '%<%' UNION ALL SELECT code, name FROM stocks WHERE name LIKE '%<%'")}` })],
  ];

  it("the dataset has a stock whose own name carries a payload", () => {
    expect(hostileStock, "seed 11 gives a stock with a hostile name").toBeDefined();
  });

  // Pages that show no scraped name at all (checked for injection only, and said so, not "covered").
  const noNames: [label: string, page: () => { path: string; filter?: string }][] = [
    ["health (no scraped names)", () => ({ path: "health" })],
    ["data (no scraped names)", () => ({ path: "data" })],
  ];

  // A page that shows no payload proves nothing about escaping: each must have one on screen.
  for (const [label, which] of [...pages, ...noNames]) {
    const mustShow = pages.some(([l]) => l === label);
    it(`${label}: shows a payload as text, runs no injected script, creates no injected element`, async () => {
      const { path: pathname, filter } = which();
      const { page, watch, context } = await openPage(browser, site.url);
      try {
        await page.goto(site.url + pathname, { waitUntil: "networkidle" });
        if (filter) {
          await page.getByPlaceholder(filter).fill("<");
          await expect.poll(() => page.locator("main").innerText(), { message: pathname, timeout: 30_000 }).toContain("<");
          await page.waitForLoadState("networkidle");
        }
        if (mustShow)
          await expect
            .poll(async () => { const text = await page.locator("main").innerText(); return HOSTILE_PAYLOADS.filter((p) => text.includes(p)); }, { message: `${pathname}: a payload on screen`, timeout: 90_000 })
            .not.toEqual([]);
        expect(watch.dialogs, pathname).toEqual([]);
        expect(watch.pageErrors, pathname).toEqual([]);
        expect(await injected(page), pathname).toEqual([]);
      } finally {
        await context.close();
      }
    }, 240_000);
  }

  it("SQL console results show markup payloads as literal text", async () => {
    const name = holderNames(hostileHolders!).find((n) => n.includes("<"))!;
    const q = "SELECT key, name FROM participants WHERE name LIKE '%<%' ORDER BY key";
    const { page, watch, context } = await openPage(browser, site.url);
    await page.goto(`${site.url}sql?q=${encodeURIComponent(q)}`, { waitUntil: "networkidle" });
    await page.getByTestId("sql-result").waitFor({ timeout: 60_000 });
    await expect.poll(() => page.getByTestId("sql-result").innerText(), { timeout: 30_000 }).toContain(name);
    expect(await injected(page)).toEqual([]);
    expect(watch.dialogs).toEqual([]);
    expect(watch.pageErrors).toEqual([]);
    await context.close();
  });

  it("shows a markup payload as literal text in the holdings table and on the participant page", async () => {
    const name = holderNames(hostileHolders!).find((n) => n.includes("<"))!;
    const { page, watch, context } = await openPage(browser, site.url);
    await page.goto(`${site.url}stock?code=${hostileHolders!.stock_code}`, { waitUntil: "networkidle" });
    await page.getByPlaceholder("Filter by name or ID…").fill(name);
    const link = page.getByTestId("holdings-table").locator("tbody tr a").first();
    // the filter applies on the next input event: wait for the table to show the matching row
    await expect.poll(() => link.innerText(), { timeout: 30_000 }).toBe(name);
    await link.click();
    await page.waitForURL(/participant\?id=/);
    await expect.poll(() => page.getByTestId("participant-title").count(), { timeout: 30_000 }).toBe(1);
    expect(await page.getByTestId("participant-title").innerText()).toBe(name);
    expect(await injected(page)).toEqual([]);
    expect(watch.dialogs).toEqual([]);
    await context.close();
  });

  it("the holdings CSV download neutralises formula prefixes", async () => {
    const { page, context } = await openPage(browser, site.url);
    await page.goto(`${site.url}stock?code=${hostileHolders!.stock_code}`, { waitUntil: "networkidle" });
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download CSV" }).first().click()]);
    const csv = await readFile((await download.path())!, "utf8");
    const names = holderNames(hostileHolders!);
    const formulaNames = names.filter((n) => /^[=+\-@\t\r]/.test(n));
    expect(formulaNames.length, "the stock has a holder whose name starts with a formula character").toBeGreaterThan(0);
    // RFC 4180 fields: no text cell may start with a formula character (a negative number is data)
    const cells = csv.split(/\r\n/).flatMap((line) => line.match(/("(?:[^"]|"")*"|[^,]*)(?:,|$)/g) ?? []);
    for (const raw of cells) {
      const cell = raw.replace(/,$/, "").replace(/^"(.*)"$/s, "$1").replaceAll('""', '"');
      if (/^-?\d+(\.\d+)?(e-?\d+)?$/.test(cell)) continue;
      expect(cell, raw).not.toMatch(/^[=+\-@\t\r]/);
    }
    for (const n of formulaNames) expect(csv).toContain(`'${n.replaceAll('"', '""')}`);
    await context.close();
  });
});
