// Parse throughput on the large holdings fixture (620 KB, 650 participant rows), single core:
// warm-up, then the median of timed rounds (the parser is synchronous: one core by construction).
// Prints MB/s and writes bench-out/parse.json.
//   npm run bench -- parse        (env PARSE_BENCH_ROUNDS, PARSE_BENCH_WARMUP to change the counts)
import { readFileSync } from "node:fs";
import path from "node:path";
import { selectAll, selectOne } from "css-select";
import { textContent } from "domutils";
import { Parser, parseDocument } from "htmlparser2";
import { writeFileAtomic } from "../src/lib/atomic.ts";
import { extractFormFields, parseHoldingsPage } from "../src/hkex/parse.ts";

const repoRoot = path.resolve(import.meta.dirname, "..");
const fixture = path.join(repoRoot, "tests", "fixtures", "hkex", "pages", "holdings-en-00700-large.html");
const html = readFileSync(fixture, "utf8");
const megabytes = Buffer.byteLength(html, "utf8") / 1e6;
const rounds = Number(process.env.PARSE_BENCH_ROUNDS ?? 40);
const warmup = Number(process.env.PARSE_BENCH_WARMUP ?? 20);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Median of `rounds` timings (ms) of `fn`, after `warmup` untimed calls (JIT): wall time, and this
 * process's CPU time (steadier on a shared machine, where other work steals the core).
 */
function measure(fn: () => unknown): { medianMs: number; minMs: number; cpuMedianMs: number } {
  for (let i = 0; i < warmup; i++) fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    fn();
    wall.push(performance.now() - t);
    const d = process.cpuUsage(c);
    cpu.push((d.user + d.system) / 1000);
  }
  return { medianMs: median(wall), minMs: Math.min(...wall), cpuMedianMs: median(cpu) };
}

// Sanity: the benchmark measures a real, successful parse.
const check = parseHoldingsPage(html);
if ("error" in check) throw new Error(`fixture did not parse: ${JSON.stringify(check)}`);

const holdings = measure(() => parseHoldingsPage(html));
const form = measure(() => extractFormFields(html));
// For comparison only: the tokenizer with handlers that do nothing (the floor any htmlparser2-based
// parser sits on), and the obvious alternative, a full DOM queried with css-select (rows' cells only).
const floor = measure(() => new Parser({ onopentag() {}, ontext() {}, onclosetag() {} }, { decodeEntities: false }).end(html));
const dom = measure(() => {
  const doc = parseDocument(html);
  const rows = selectAll("#pnlResultNormal table tbody tr", doc);
  return rows.map((tr) => ["col-participant-id", "col-participant-name", "col-address", "col-shareholding"].map((c) => {
    const cell = selectOne(`td.${c} .mobile-list-body`, tr);
    return cell ? textContent(cell) : "";
  }));
});
const mbps = (ms: number): number => Number((megabytes / (ms / 1000)).toFixed(1));

const figures = {
  fixture: path.basename(fixture),
  megabytes: Number(megabytes.toFixed(3)),
  participants: check.participants.length,
  rounds,
  warmup,
  parseHoldingsPage: {
    medianMs: Number(holdings.medianMs.toFixed(2)),
    minMs: Number(holdings.minMs.toFixed(2)),
    mbPerSecond: Number((megabytes / (holdings.medianMs / 1000)).toFixed(1)),
    cpuMedianMs: Number(holdings.cpuMedianMs.toFixed(2)),
    mbPerCpuSecond: Number((megabytes / (holdings.cpuMedianMs / 1000)).toFixed(1)),
  },
  extractFormFields: {
    medianMs: Number(form.medianMs.toFixed(2)),
    mbPerSecond: Number((megabytes / (form.medianMs / 1000)).toFixed(1)),
  },
  comparison: {
    tokenizerFloor: { medianMs: Number(floor.medianMs.toFixed(2)), mbPerSecond: mbps(floor.medianMs), mbPerCpuSecond: mbps(floor.cpuMedianMs) },
    domWithCssSelect: { medianMs: Number(dom.medianMs.toFixed(2)), mbPerSecond: mbps(dom.medianMs), mbPerCpuSecond: mbps(dom.cpuMedianMs) },
  },
  node: process.version,
};
console.log(
  `parseHoldingsPage: ${figures.parseHoldingsPage.mbPerSecond} MB/s wall (median ${figures.parseHoldingsPage.medianMs} ms for ${figures.megabytes} MB, ${figures.participants} rows); ` +
    `${figures.parseHoldingsPage.mbPerCpuSecond} MB/s per CPU second (median ${figures.parseHoldingsPage.cpuMedianMs} ms CPU)`,
);
console.log(`extractFormFields: ${figures.extractFormFields.mbPerSecond} MB/s (median ${figures.extractFormFields.medianMs} ms)`);
console.log(
  `for comparison: tokenizer floor ${figures.comparison.tokenizerFloor.mbPerSecond} MB/s, DOM + css-select (rows only) ${figures.comparison.domWithCssSelect.mbPerSecond} MB/s (wall)`,
);
await writeFileAtomic(path.join(repoRoot, "bench-out", "parse.json"), JSON.stringify(figures, null, 2) + "\n");
