// `npm run screenshots [-- --site dist] [--out docs/screenshots] [--stock CODE]`: screenshots of
// the main pages of a built site (light and dark, desktop and phone) for docs/SITE.md.
// Serves the built folder with scripts/serve-dist.ts and drives Debian's Chromium (playwright-core).
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { cliProgram, runCli } from "../src/lib/cli-options.ts";
import { writeFileAtomic } from "../src/lib/atomic.ts";
import { readGzipJson } from "../data-loaders/publish/gzip-json.ts";
import { assertStockCode } from "../src/lib/validate.ts";
import { launchBrowser, openPage, waitForChart } from "../tests/helpers/browser.ts";
import { inspectorValues } from "../tests/helpers/site-pages.ts";
import { serveDist } from "./serve-dist.ts";

export class ScreenshotError extends Error {
  override readonly name = "ScreenshotError";
}

interface Shot {
  file: string;
  path: string;
  chart?: string;
  colorScheme?: "light" | "dark";
  width?: number;
  fullPage?: boolean;
  /** Only this element (a section of a long page). */
  element?: string;
  /** Wait for this element (a page without a chart: its content is drawn after the data came). */
  ready?: string;
}

/** The stocks with the largest JSON files, largest first (ties by code): the richest pages to show. */
async function richestStocks(site: string, n: number): Promise<string[]> {
  const dir = path.join(site, "_file", "api", "v1", "stocks");
  const files = (await readdir(dir)).filter((f) => f.endsWith(".json.gz"));
  const sized = await Promise.all(files.map(async (f) => ({ code: f.replace(/\.json\.gz$/, ""), bytes: (await stat(path.join(dir, f))).size })));
  sized.sort((a, b) => b.bytes - a.bytes || (a.code < b.code ? -1 : 1));
  if (!sized.length) throw new ScreenshotError(`${dir} holds no stock file: not a built site with data`);
  return sized.slice(0, n).map((s) => assertStockCode(s.code));
}

async function main(): Promise<void> {
  const opts = cliProgram("screenshots")
    .description("Screenshot the main pages of a built site")
    .option("--site <dir>", "built site folder", "dist")
    .option("--out <dir>", "where the PNG files go", "docs/screenshots")
    .option("--stock <code>", "stock page to show (default: the one with the largest JSON)")
    .parse()
    .opts<{ site: string; out: string; stock?: string }>();
  const asked = opts.stock ? assertStockCode(opts.stock) : null; // a bad code is refused before the site is read
  const richest = await richestStocks(opts.site, 3);
  const code = asked ?? richest[0]!;
  // the watchlist as a shared address: a few stocks (the chosen one first) and one participant
  const watched = [...new Set([code, ...richest])].slice(0, 3);
  const stock = await readGzipJson<{ holdings: { key: string[] } }>(path.join(opts.site, "_file", "api", "v1", "stocks", `${code}.json.gz`));
  const holder = stock.holdings.key[0] ?? "";
  const shots: Shot[] = [
    { file: "home.png", path: "", chart: "#attention-board-chart" },
    { file: "home-dark.png", path: "", chart: "#attention-board-chart", colorScheme: "dark" },
    { file: "stock.png", path: `stock?code=${code}`, chart: "#trend-chart" },
    { file: "stock-phone.png", path: `stock?code=${code}`, chart: "#trend-chart", width: 390, fullPage: false },
    { file: "transfers.png", path: "transfers", chart: "#transfers-chart" },
    { file: "participant.png", path: `participant?id=${encodeURIComponent(holder)}`, chart: "#portfolio-chart" },
    { file: "data.png", path: "data", chart: "#downloads-chart" },
    { file: "health.png", path: "health", chart: "#coverage-chart" },
    { file: "holder-categories.png", path: `stock?code=${code}`, chart: "#holder-categories-chart", element: "#holder-categories-chart" },
    { file: "big-changes.png", path: "big-changes", ready: '[data-testid="big-changes-count"]' },
    { file: "watchlist.png", path: `watchlist?stocks=${watched.join(",")}&participants=${encodeURIComponent(holder)}`, ready: '[data-testid="watch-stocks"]' },
  ];
  const server = await serveDist({ dir: opts.site });
  const browser = await launchBrowser();
  try {
    for (const shot of shots) {
      const width = shot.width ?? 1280;
      const { page, context } = await openPage(browser, server.url, {
        colorScheme: shot.colorScheme ?? "light",
        viewport: { width, height: width < 600 ? 844 : 900 },
      });
      await page.goto(server.url + shot.path, { waitUntil: "networkidle" });
      if (shot.chart) await waitForChart(page, shot.chart);
      if (shot.ready) await page.locator(shot.ready).first().waitFor({ timeout: 30_000 });
      // A value Framework shows with its inspector (a stray `null`) is a bug, not a picture for the docs.
      const stray = await inspectorValues(page);
      if (stray.length > 0) throw new ScreenshotError(`${shot.path || "/"} shows an inspector value instead of content (${stray.join("; ")}): not written`);
      const png = shot.element ? await page.locator(shot.element).screenshot() : await page.screenshot({ fullPage: shot.fullPage ?? true });
      await writeFileAtomic(path.join(opts.out, shot.file), png);
      console.log(`${shot.file} ← ${shot.path || "/"}`);
      await context.close();
    }
  } finally {
    await browser.close();
    await server.close();
  }
}

await runCli("screenshots", main);
