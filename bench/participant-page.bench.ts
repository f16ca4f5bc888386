// The participant page on a date for the widest holder (issue #22: ≤ 1 MiB, ≤ 1.5 s on the full
// market), on a site already built, in headless Chromium, a fresh browser context per visit:
//   HISTORY_BENCH_DIST=<dist> npm run bench -- participant-page
// The date is the 61st-last market date (the history bench's), the participant the one that held the
// most stocks in that date's year (history/held/). Figures (bench-out/participant-page.json):
//   - timed visits (PARTICIPANT_PAGE_VISITS, default 3): ms from navigation start to the date's table
//     in the DOM and painted (Element Timing on its caption), and from page.goto() to the table seen
//     by the test driver (as bench/history.bench.ts times it); bytes fetched (all, history/);
//     every request with its start and end;
//   - traced visits (as many): a Chromium trace cut into the page's sequence (navigation → meta.json
//     asked → held/ asked → the year's files received → table), with the renderer main thread's CPU
//     time (thread time: what an idle machine would need; wall time on a loaded machine is longer)
//     and the JavaScript functions that took most of it in each step. The trace slows the page: its
//     times are not the timed visits'.
// Skipped (exit 0, nothing written) without HISTORY_BENCH_DIST: building the full market takes minutes.
import { readdir, readFile } from "node:fs/promises";
import { loadavg } from "node:os";
import path from "node:path";
import type { Browser } from "playwright-core";
import { serveDist } from "../scripts/serve-dist.ts";
import { writeFileAtomic } from "../src/lib/atomic.ts";
import { launchBrowser } from "../tests/helpers/browser.ts";

const REPO = path.resolve(import.meta.dirname, "..");
const BUDGET = { ms: 1500, historyKiB: 1024 };
const distArg = process.env.HISTORY_BENCH_DIST;
if (!distArg) {
  console.log("participant-page: skipped (set HISTORY_BENCH_DIST to a site built from the full market)");
  process.exit(0);
}
const dist = path.resolve(distArg);
const visits = Number(process.env.PARTICIPANT_PAGE_VISITS ?? 3);
const hist = path.join(dist, "_file", "api", "v1", "history");
const load = () => loadavg().map((x) => Number(x.toFixed(2)));

const lastYear = (await readdir(path.join(hist, "market"))).filter((f) => /^\d{4}\.json$/.test(f)).sort().at(-1)!;
const lastDates = (JSON.parse(await readFile(path.join(hist, "market", lastYear), "utf8")) as { dates: string[] }).dates;
const date = lastDates[Math.max(0, lastDates.length - 61)]!;
const year = Number(date.slice(0, 4));
const held = await Promise.all(
  (await readdir(path.join(hist, "held"))).map(async (f) => {
    const j = JSON.parse(await readFile(path.join(hist, "held", f), "utf8")) as { participant_key: string; stocks: Record<string, number[]> };
    return { f, key: j.participant_key, n: Object.values(j.stocks).filter((ys) => ys.includes(year)).length };
  }),
);
const widest = held.sort((a, b) => b.n - a.n || (a.f < b.f ? -1 : 1))[0]!;
console.log(`participant page of ${widest.key} (${widest.n} stocks in ${year}) on ${date}, load ${load().join(" ")}`);

// Marks in the page: when the table's caption is in the DOM, and when it is painted (Element Timing).
// A string, not a function: tsx's __name() wrappers do not exist in the page.
const MARKS = `
  window.__marks = {};
  new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__marks[e.identifier + "_painted"] ??= e.renderTime || e.loadTime; }).observe({ type: "element", buffered: true });
  new MutationObserver((_, observer) => {
    const caption = document.querySelector("[data-testid=portfolio-day-table] caption");
    if (!caption) return;
    caption.setAttribute("elementtiming", "table");
    window.__marks.table = performance.now();
    performance.mark("table-in-dom");
    observer.disconnect();
  }).observe(document, { childList: true, subtree: true });`;

const server = await serveDist({ dir: dist });
const browser = await launchBrowser();
const url = `${server.url}participant?id=${encodeURIComponent(widest.key)}&date=${date}`;
// functions, not strings: the page's Content-Security-Policy has no 'unsafe-eval'
const tableShows = (d: string) => !!document.querySelector("[data-testid=portfolio-day-table] caption")?.textContent?.includes(d);
type Marked = { __marks: Record<string, number> };
const short = (u: string) => u.replace(server.url, "/");

interface Timed { load: number[]; table_in_dom_ms: number; table_painted_ms: number; goto_to_table_ms: number; kib: number; history_kib: number; requests: { url: string; start: number; end: number; kib: number }[] }
async function timedVisit(b: Browser): Promise<Timed> {
  const context = await b.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addInitScript(MARKS);
  const page = await context.newPage();
  const t0 = performance.now();
  await page.goto(url);
  await page.waitForFunction(tableShows, date, { timeout: 120_000, polling: 10 });
  const gotoMs = performance.now() - t0;
  await page.waitForFunction(() => !!(window as unknown as Marked).__marks.table_painted, undefined, { timeout: 60_000 });
  const r = await page.evaluate(() => ({
    marks: (window as unknown as Marked).__marks,
    res: performance.getEntriesByType("resource").map((e) => ({ url: e.name, start: e.startTime, end: (e as PerformanceResourceTiming).responseEnd, bytes: (e as PerformanceResourceTiming).encodedBodySize })),
  }));
  await context.close();
  const before = r.res.filter((x) => x.start <= r.marks.table!);
  return {
    load: load(),
    table_in_dom_ms: Math.round(r.marks.table!),
    table_painted_ms: Math.round(r.marks.table_painted!),
    goto_to_table_ms: Math.round(gotoMs),
    kib: Math.round(before.reduce((s, x) => s + x.bytes, 0) / 1024),
    history_kib: Math.round(before.filter((x) => x.url.includes("/history/")).reduce((s, x) => s + x.bytes, 0) / 1024),
    requests: r.res.map((x) => ({ url: short(x.url), start: Math.round(x.start), end: Math.round(x.end), kib: Math.round(x.bytes / 102.4) / 10 })),
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Ev = { name: string; cat: string; ph: string; ts: number; dur?: number; tdur?: number; pid: number; tid: number; id?: string; args?: any };
interface Step { step: string; from_ms: number; to_ms: number; cpu_ms: number; top: string[] }
async function tracedVisit(b: Browser): Promise<{ load: number[]; table_ms: number; cpu_before_table_ms: number; steps: Step[] }> {
  const context = await b.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addInitScript(MARKS);
  const page = await context.newPage();
  await b.startTracing(page, { categories: ["devtools.timeline", "disabled-by-default-devtools.timeline", "toplevel", "blink.user_timing", "loading", "disabled-by-default-v8.cpu_profiler"] });
  await page.goto(url);
  await page.waitForFunction(tableShows, date, { timeout: 120_000, polling: 10 });
  const evs = (JSON.parse((await b.stopTracing()).toString()) as { traceEvents: Ev[] }).traceEvents;
  await context.close();
  // the renderer main thread that parsed this page, and its navigation start
  const { pid, tid } = evs.find((e) => e.name === "ParseHTML" && String(e.args?.beginData?.url ?? "").includes("participant"))!;
  const nav = evs.find((e) => e.name === "navigationStart" && e.pid === pid && String(e.args?.data?.documentLoaderURL ?? "").includes("participant")) ?? evs.find((e) => e.name === "navigationStart" && e.pid === pid)!;
  const T = (ts: number) => (ts - nav.ts) / 1000;
  const sends = new Map<string, { url: string; start: number; end: number }>();
  for (const e of evs) {
    if (e.name === "ResourceSendRequest") sends.set(e.args.data.requestId, { url: short(String(e.args.data.url)), start: T(e.ts), end: NaN });
    if (e.name === "ResourceFinish" && sends.has(e.args.data.requestId)) sends.get(e.args.data.requestId)!.end = T(e.ts);
  }
  const reqs = [...sends.values()];
  const first = (re: RegExp) => reqs.find((r) => re.test(r.url))!;
  const table = T(evs.find((e) => e.name === "table-in-dom" && e.pid === pid)!.ts);
  const filesIn = Math.max(...reqs.filter((r) => /history\/(by-participant|market)\/|data\/stocks\./.test(r.url) && r.start < table).map((r) => r.end));
  const bounds: [string, number, number][] = [
    ["navigation → meta.json asked", 0, first(/data\/meta\./).start],
    ["meta.json asked → held/ asked", first(/data\/meta\./).start, first(/history\/held\//).start],
    ["held/ asked → year files received", first(/history\/held\//).start, filesIn],
    ["year files received → table in the DOM", filesIn, table],
  ];
  // the outermost tasks of the main thread; tdur is thread (CPU) time
  const outer: Ev[] = [];
  for (const e of evs.filter((x) => x.pid === pid && x.tid === tid && x.ph === "X" && (x.name === "RunTask" || x.name === "ThreadControllerImpl::RunTask")).sort((x, y) => x.ts - y.ts)) {
    const last = outer.at(-1);
    if (!last || e.ts >= last.ts + (last.dur ?? 0)) outer.push(e);
  }
  const cpu = (a: number, z: number) => outer.filter((e) => T(e.ts) >= a && T(e.ts) < z).reduce((s, e) => s + (e.tdur ?? 0) / 1000, 0);
  // the sampled profile in the trace: self time per function in each step
  const nodes = new Map<number, string>();
  const samples: { t: number; id: number }[] = [];
  const profile = evs.find((e) => e.name === "Profile" && e.pid === pid && e.tid === tid);
  if (profile) {
    let ts = profile.args?.data?.startTime ?? profile.ts;
    for (const e of evs.filter((x) => x.name === "ProfileChunk" && x.pid === pid && x.id === profile.id)) {
      const cp = e.args?.data?.cpuProfile ?? {};
      for (const n of cp.nodes ?? []) nodes.set(n.id, `${n.callFrame.functionName || "(anonymous)"} ${String(n.callFrame.url ?? "").split("/").pop()!.replace(/\?.*/, "")}`);
      const deltas: number[] = e.args?.data?.timeDeltas ?? [];
      (cp.samples ?? []).forEach((id: number, i: number) => samples.push({ t: T((ts += deltas[i] ?? 0)), id }));
    }
  }
  const top = (a: number, z: number) => {
    const m = new Map<string, number>();
    for (let i = 0; i + 1 < samples.length; i++) {
      const name = nodes.get(samples[i]!.id);
      if (samples[i]!.t < a || samples[i]!.t >= z || !name || /^\((idle|program|root)\)/.test(name)) continue;
      m.set(name, (m.get(name) ?? 0) + samples[i + 1]!.t - samples[i]!.t);
    }
    return [...m].sort((x, y) => y[1] - x[1]).slice(0, 5).map(([k, v]) => `${v.toFixed(0)} ms ${k}`);
  };
  return {
    load: load(),
    table_ms: Math.round(table),
    cpu_before_table_ms: Math.round(cpu(0, table)),
    steps: bounds.map(([step, a, z]) => ({ step, from_ms: Math.round(a), to_ms: Math.round(z), cpu_ms: Math.round(cpu(a, z)), top: top(a, z) })),
  };
}

const range = (xs: number[]) => `${Math.min(...xs)}–${Math.max(...xs)}`;
try {
  const timed: Timed[] = [];
  for (let i = 0; i < visits; i++) timed.push(await timedVisit(browser));
  const traced = [];
  for (let i = 0; i < visits; i++) traced.push(await tracedVisit(browser));
  for (const r of timed[0]!.requests) console.log(`  ${String(r.start).padStart(5)} → ${String(r.end).padStart(5)} ms ${String(r.kib).padStart(7)} KiB  ${r.url}`);
  console.log(`table in the DOM ${range(timed.map((t) => t.table_in_dom_ms))} ms, painted ${range(timed.map((t) => t.table_painted_ms))} ms after navigation start; ` +
    `goto → table seen ${range(timed.map((t) => t.goto_to_table_ms))} ms; ${timed[0]!.kib} KiB fetched before the table, ${timed[0]!.history_kib} KiB of history/ (load ${timed.map((t) => t.load[0]).join(", ")})`);
  console.log(`traced: main-thread CPU before the table ${range(traced.map((t) => t.cpu_before_table_ms))} ms (table ${range(traced.map((t) => t.table_ms))} ms under the trace)`);
  for (const [i, s] of traced[0]!.steps.entries()) console.log(`  ${s.step.padEnd(40)} ${range(traced.map((t) => t.steps[i]!.to_ms - t.steps[i]!.from_ms))} ms, CPU ${range(traced.map((t) => t.steps[i]!.cpu_ms))} ms; ${s.top.join(" | ")}`);
  const out = {
    dist, participant: widest.key, stocks: widest.n, date, visits,
    budget: BUDGET,
    met: { ms: Math.max(...timed.map((t) => t.table_painted_ms)) <= BUDGET.ms, history: Math.max(...timed.map((t) => t.history_kib)) <= BUDGET.historyKiB },
    timed, traced,
  };
  await writeFileAtomic(path.join(REPO, "bench-out", "participant-page.json"), `${JSON.stringify(out, null, 2)}\n`);
  console.log("→ bench-out/participant-page.json");
} finally {
  await browser.close();
  await server.close();
}
