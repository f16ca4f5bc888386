// Headless Chromium for the site tests and the site benchmark: Debian's /usr/bin/chromium driven by
// playwright-core (no browser download). Every page opened through openPage() is watched for console
// errors, uncaught exceptions, dialogs (an injected alert()) and requests that leave the site's origin;
// such requests are aborted, so a page that needs the network fails visibly instead of passing by luck.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { buildSite } from "../../scripts/build-site.ts";
import { serveDist, type RunningServer } from "../../scripts/serve-dist.ts";
import { writeSyntheticDataset } from "../../src/replica/dataset-writer.ts";
import { importArchive, rebuildDim } from "../../src/archive/import.ts";
import { createMarket } from "../../src/replica/market.ts";
import { writeWebbsiteDump } from "../../src/replica/webbsite-dump.ts";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}

export interface PageWatch {
  consoleErrors: string[];
  pageErrors: string[];
  dialogs: string[];
  foreignRequests: string[];
  /** Requests to an origin of OpenPageOptions.allowOrigins (let through). */
  hostRequests?: string[];
  /** Every same-origin response: url, status, body size in bytes (from content-length or the body). */
  responses: { url: string; status: number }[];
}

export interface WatchedPage {
  context: BrowserContext;
  page: Page;
  watch: PageWatch;
}

export interface OpenPageOptions {
  colorScheme?: "light" | "dark";
  viewport?: { width: number; height: number };
  /** The browser's locale (date inputs order their fields by it); Chromium's own when unset. */
  locale?: string;
  /** Other origins the page may reach (the site's data host); their requests are recorded in `hostRequests`. */
  allowOrigins?: string[];
}

/** A fresh context (no shared cache) and page, watched from the first request. */
export async function openPage(browser: Browser, origin: string, options: OpenPageOptions = {}): Promise<WatchedPage> {
  const context = await browser.newContext({
    colorScheme: options.colorScheme ?? "light",
    viewport: options.viewport ?? { width: 1280, height: 900 },
    ...(options.locale ? { locale: options.locale } : {}),
    acceptDownloads: true,
  });
  const watch: PageWatch = { consoleErrors: [], pageErrors: [], dialogs: [], foreignRequests: [], responses: [], hostRequests: [] };
  const allowed = new URL(origin).origin;
  const hosts = new Set((options.allowOrigins ?? []).map((o) => new URL(o).origin));
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith("data:") || url.startsWith("blob:") || new URL(url).origin === allowed) return route.continue();
    if (hosts.has(new URL(url).origin)) {
      watch.hostRequests!.push(url);
      return route.continue();
    }
    watch.foreignRequests.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  page.on("console", (msg) => {
    if (msg.type() === "error") watch.consoleErrors.push(`${msg.text()} @ ${msg.location().url}`);
  });
  page.on("pageerror", (err) => watch.pageErrors.push(String(err)));
  page.on("dialog", (dialog) => {
    watch.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on("response", (response) => watch.responses.push({ url: response.url(), status: response.status() }));
  return { context, page, watch };
}

/** Wait until `selector` holds an SVG with at least one drawn mark, and return how many marks. */
export async function waitForChart(page: Page, selector: string, timeout = 15_000): Promise<number> {
  await page.waitForFunction(
    (sel) => {
      const root = document.querySelector(sel);
      return !!root && root.querySelectorAll("svg path, svg rect, svg circle, svg line").length > 0;
    },
    selector,
    { timeout },
  );
  return page.evaluate(
    (sel) => document.querySelector(sel)?.querySelectorAll("svg path, svg rect, svg circle, svg line").length ?? 0,
    selector,
  );
}

// ---------------------------------------------------------------------------------------------
// A built site for a test file: a small synthetic dataset (scripts/synth-dataset.ts's writer),
// scripts/build-site.ts into a temp folder, served by scripts/serve-dist.ts.

export interface TestSiteOptions {
  /** No dataset at all: the site must still build and say how to get data. */
  empty?: boolean;
  hostileNames?: boolean;
  /**
   * false: the dataset as the published site's (scraped, not synthetic): the writer's `_truth/` folder is
   * removed, which is what data-loaders/publish/common.ts isSynthetic() goes by (with no stock
   * named SYNTHETIC), so the site shows no synthetic-data banner.
   */
  synthetic?: boolean;
  stocks?: number;
  days?: number;
  seed?: number;
  end?: string;
  /** An origin the pages' Content-Security-Policy also allows to connect to (buildSite's dataHost). */
  dataHost?: string;
  /**
   * The dataset imported from the market written as a Webb-site dump (src/replica/webbsite-dump.ts:
   * with its dump-only recycled code and code change) instead of written by the synthetic writer.
   */
  archive?: boolean;
}

export interface TestSite {
  tmp: string;
  data: string;
  dist: string;
  server: RunningServer;
  url: string;
  close(): Promise<void>;
}

export async function buildTestSite(options: TestSiteOptions = {}): Promise<TestSite> {
  const tmp = await mkdtemp(path.join(tmpdir(), "ccass-site-"));
  const data = path.join(tmp, "parquet");
  const dist = path.join(tmp, "dist");
  if (options.empty) await mkdir(data); // an empty folder: the no-data site (--allow-empty)
  else if (options.archive) {
    const market = createMarket({ seed: options.seed ?? 7, stocks: options.stocks ?? 30, days: options.days ?? 30, end: options.end ?? "2026-11-20" });
    writeWebbsiteDump(market, { dir: path.join(tmp, "dump") });
    await importArchive({ dump: path.join(tmp, "dump"), out: data });
    await rebuildDim(data);
  } else {
    await writeSyntheticDataset({
      out: data,
      seed: options.seed ?? 7,
      stocks: options.stocks ?? 30,
      days: options.days ?? 30,
      end: options.end ?? "2026-11-20",
      hostileNames: options.hostileNames ?? false,
    });
    if (options.synthetic === false) await rm(path.join(data, "_truth"), { recursive: true, force: true });
  }
  await buildSite({ data, out: dist, verbose: false, allowEmpty: options.empty === true, dataHost: options.dataHost });
  const server = await serveDist({ dir: dist });
  return {
    tmp,
    data,
    dist,
    server,
    url: server.url,
    close: async () => {
      await server.close();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}
