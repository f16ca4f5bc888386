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
}

/** The stock with the largest JSON file: the richest page to show. */
async function richestStock(site: string): Promise<string> {
  const dir = path.join(site, "_file", "api", "v1", "stocks");
  const files = await readdir(dir);
  let best = { code: "", bytes: -1 };
  for (const f of files) {
    const bytes = (await stat(path.join(dir, f))).size;
    if (bytes > best.bytes) best = { code: f.replace(/\.json\.gz$/, ""), bytes };
  }
  return assertStockCode(best.code);
}

async function main(): Promise<void> {
  const opts = cliProgram("screenshots")
    .description("Screenshot the main pages of a built site")
    .option("--site <dir>", "built site folder", "dist")
    .option("--out <dir>", "where the PNG files go", "docs/screenshots")
    .option("--stock <code>", "stock page to show (default: the one with the largest JSON)")
    .parse()
    .opts<{ site: string; out: string; stock?: string }>();
  const code = opts.stock ? assertStockCode(opts.stock) : await richestStock(opts.site);
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
    { file: "big-changes.png", path: "big-changes" },
    { file: "watchlist.png", path: `watchlist?stocks=${code}&participants=${encodeURIComponent(holder)}` },
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
