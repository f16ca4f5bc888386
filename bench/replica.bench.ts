// How fast the replica serves a full market: build time of the market, and holdings pages per
// second over HTTP, cold (each stock simulated on first request) and warm (cached), with a light
// client (undici Pool, no parsing) so the figure is the replica's, not a scraper's.
// The served process runs with --no-warmup so the cold pass measures on-demand simulation.
// Writes bench-out/replica.json. Env: BENCH_STOCKS (2800), BENCH_DAYS (250), BENCH_PAGES (3000),
// BENCH_CONNECTIONS (8).
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { Pool } from "undici";
import { createMarket } from "../src/replica/market.ts";

const root = path.resolve(import.meta.dirname, "..");
const stocks = Number(process.env.BENCH_STOCKS ?? 2800);
const days = Number(process.env.BENCH_DAYS ?? 250);
const pagesPerPass = Number(process.env.BENCH_PAGES ?? 3000);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 8);
const end = "2026-11-20";

// 1. Building the market in process (what startup costs before the port opens).
let t0 = performance.now();
const market = createMarket({ seed: 1, stocks, days, end });
const buildMs = performance.now() - t0;
t0 = performance.now();
await market.warmUp();
const warmUpMs = performance.now() - t0;
t0 = performance.now();
const transfers = market.truthTransfers().length;
const truthMs = performance.now() - t0;
const rss = process.memoryUsage().rss;
console.log(
  `market ${stocks} × ${days}: built in ${buildMs.toFixed(0)} ms; background warm-up (simulates every stock) ${warmUpMs.toFixed(0)} ms, ` +
    `then truth ${truthMs.toFixed(0)} ms (${transfers} planted transfers); RSS ${(rss / 2 ** 20).toFixed(0)} MiB`,
);

// 2. The server in its own process, as the scraper meets it.
t0 = performance.now();
const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "scripts/replica.ts"), "--port", "0", "--seed", "1", "--stocks", String(stocks), "--days", String(days), "--end", end, "--no-warmup"], {
  cwd: root,
  stdio: ["ignore", "pipe", "inherit"],
});
const url = await new Promise<string>((resolve, reject) => {
  createInterface({ input: child.stdout }).once("line", resolve);
  child.once("exit", (code) => reject(new Error(`replica exited with ${code}`)));
});
const startupMs = performance.now() - t0;
console.log(`replica process up at ${url} in ${startupMs.toFixed(0)} ms`);

const pool = new Pool(url, { connections, pipelining: 1 });
const formRes = await pool.request({ path: "/sdw/search/searchsdw.aspx", method: "GET" });
const formHtml = await formRes.body.text();
const field = (name: string): string => new RegExp(`name="${name}"[^>]*value="([^"]*)"`).exec(formHtml)?.[1] ?? "";
const tokens = { __VIEWSTATE: field("__VIEWSTATE"), __EVENTVALIDATION: field("__EVENTVALIDATION") };

/** Date-major order (all stocks of one date, then the next), the scraper's order and the cache's worst case. */
function* requests(startDay: number): Generator<{ date: string; code: string }> {
  for (let d = startDay; ; d = (d + 1) % market.dates.length) for (const s of market.stocks) yield { date: market.dates[d]!, code: s.code };
}

async function pass(label: string, startDay: number): Promise<{ pages: number; seconds: number; pagesPerSecond: number; mbPerSecond: number }> {
  const it = requests(startDay);
  let done = 0;
  let bytes = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (done < pagesPerPass) {
      done++;
      const { date, code } = it.next().value as { date: string; code: string };
      const body = new URLSearchParams({ ...tokens, __EVENTTARGET: "btnSearch", __EVENTARGUMENT: "", txtShareholdingDate: date.replaceAll("-", "/"), txtStockCode: code }).toString();
      const res = await pool.request({ path: "/sdw/search/searchsdw.aspx", method: "POST", body, headers: { "content-type": "application/x-www-form-urlencoded" } });
      const buf = await res.body.arrayBuffer();
      if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
      bytes += buf.byteLength;
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  const seconds = (performance.now() - started) / 1000;
  const r = { pages: done, seconds, pagesPerSecond: done / seconds, mbPerSecond: bytes / 1e6 / seconds };
  console.log(`${label}: ${done} pages in ${seconds.toFixed(1)} s = ${r.pagesPerSecond.toFixed(0)} pages/s, ${r.mbPerSecond.toFixed(1)} MB/s, ${(bytes / done / 1024).toFixed(0)} KiB/page`);
  return r;
}

const cold = await pass("cold (first request of each stock simulates it)", 0);
const warm = await pass("warm (same stocks, cached)", 0);
await pool.close();
child.kill("SIGTERM");

mkdirSync(path.join(root, "bench-out"), { recursive: true });
const out = { stocks, days, connections, buildMs, warmUpMs, truthMs, transfers, rssMiB: rss / 2 ** 20, startupMs, cold, warm };
writeFileSync(path.join(root, "bench-out", "replica.json"), `${JSON.stringify(out, null, 2)}\n`);
