// The archive import at a size this machine runs in minutes, projected to the real archive.
// 1. A replica market written as a Webb-site dump (src/replica/webbsite-dump.ts): time and size.
// 2. The mysqldump reader alone over that dump (plain text and gzip): MB of dump text per CPU second.
// 3. `import-archive` in its own process: wall and CPU time, peak RSS, output size.
// 4. Projection, linear in change rows (the reader and the month walk are both linear; memory is
//    bounded by the month's rows, not the archive's), to 5 years × 1,500 securities and to the full
//    archive (18 years of the whole market, about 3,000 securities at a time and, in Webb-site's
//    words, "about a quarter of holdings changing each day").
// Env: BENCH_STOCKS (300), BENCH_DAYS (500, about two years), BENCH_OUT (bench-out/archive-data).
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { readFileSync } from "node:fs";
import path from "node:path";
import { readDump } from "../src/archive/mysqldump.ts";
import { createMarket } from "../src/replica/market.ts";
import { writeWebbsiteDump } from "../src/replica/webbsite-dump.ts";
import { REPO, runMeasured } from "./child-run.ts";

const stocks = Number(process.env.BENCH_STOCKS ?? 300);
const days = Number(process.env.BENCH_DAYS ?? 500);
const base = path.resolve(process.env.BENCH_OUT ?? path.join(REPO, "bench-out", "archive-data"));
const dumpDir = path.join(base, "dump");
const plainDir = path.join(base, "plain");
const out = path.join(base, "dataset");
rmSync(base, { recursive: true, force: true });
mkdirSync(plainDir, { recursive: true });

function duSize(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    n += e.isDirectory() ? duSize(p) : statSync(p).size;
  }
  return n;
}
const MB = 1e6;
const uptime = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

// 1. The dump
let t0 = performance.now();
const market = createMarket({ seed: 1, stocks, days, end: "2025-10-10" });
const dump = writeWebbsiteDump(market, { dir: dumpDir });
const dumpSeconds = (performance.now() - t0) / 1000;
const gzBytes = statSync(path.join(dumpDir, "ccass.sql.gz")).size + statSync(path.join(dumpDir, "enigma.sql")).size;
console.log(`dump of ${stocks} securities × ${days} days: ${dump.changeRows} change rows, ${dump.dailylogRows} dailylog rows, ${(dump.bytes / MB).toFixed(1)} MB of text, ${(gzBytes / MB).toFixed(1)} MB on disk (gzip), written in ${dumpSeconds.toFixed(1)} s`);
writeFileSync(path.join(plainDir, "ccass.sql"), gunzipSync(readFileSync(path.join(dumpDir, "ccass.sql.gz"))));

// 2. The reader alone: a sink that keeps one number (what any consumer must at least do)
async function readerRate(file: string): Promise<{ mb: number; cpu: number; wall: number }> {
  let sum = 0;
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  const stats = await readDump(file, { onTable: () => (row) => { sum += typeof row[0] === "number" ? 1 : 0; } });
  const c = process.cpuUsage(c0);
  if (sum < 0) console.log(sum);
  return { mb: stats.bytes / MB, cpu: (c.user + c.system) / 1e6, wall: (performance.now() - w0) / 1000 };
}
await readerRate(path.join(plainDir, "ccass.sql")); // warm-up: the JIT's first pass is not the steady rate
const plain = await readerRate(path.join(plainDir, "ccass.sql"));
const gz = await readerRate(path.join(dumpDir, "ccass.sql.gz"));
console.log(`reader, plain text: ${plain.mb.toFixed(1)} MB in ${plain.cpu.toFixed(2)} CPU s = ${(plain.mb / plain.cpu).toFixed(1)} MB per CPU s (wall ${plain.wall.toFixed(2)} s)`);
console.log(`reader, gzip:       ${gz.mb.toFixed(1)} MB in ${gz.cpu.toFixed(2)} CPU s = ${(gz.mb / gz.cpu).toFixed(1)} MB per CPU s (gunzip included)`);

// 3. The import, in its own process
const run = runMeasured(path.join(REPO, "scripts", "import-archive.ts"), ["--dump", dumpDir, "--out", out, "--quiet"], {});
const outBytes = duSize(out) - duSize(path.join(out, "_archive"));
const result = JSON.parse(run.stdout) as { rows: Record<string, number> };
console.log(`import: ${run.seconds.toFixed(1)} s wall, ${run.cpu.toFixed(1)} CPU s, peak RSS ${(run.rss / 2 ** 20).toFixed(0)} MiB; ${result.rows.holdings} holdings rows; dataset ${(outBytes / MB).toFixed(1)} MB`);

// 4. Projection, linear in change rows (holdings rows for the output size)
const perChange = { cpu: run.cpu / dump.changeRows, text: dump.bytes / dump.changeRows, gz: gzBytes / dump.changeRows };
const perHolding = outBytes / result.rows.holdings!;
const holdingsPerChange = result.rows.holdings! / dump.changeRows;
const project = (label: string, changeRows: number) => {
  const cpu = changeRows * perChange.cpu;
  return {
    label,
    change_rows: changeRows,
    dump_text_gb: (changeRows * perChange.text) / 1e9,
    // CPU hours as measured here; on 2 cores the wall time lies between half of it (DuckDB's stages use both) and all of it (the reader uses one)
    import_cpu_hours: cpu / 3600,
    output_gb: (changeRows * holdingsPerChange * perHolding) / 1e9,
    peak_rss_mib: Math.round(run.rss / 2 ** 20), // bounded by one month's rows (memory_limit 1 GB), not by the archive
  };
};
const scaleRows = (s: number, d: number) => dump.changeRows * (s / stocks) * (d / days);
const projections = [project("5 years × 1,500 securities", scaleRows(1500, 1240)), project("full archive: 18 years × ~3,000 securities", scaleRows(3000, 4470))];
for (const p of projections) console.log(`projection ${p.label}: ${(p.change_rows / 1e6).toFixed(0)} M change rows, ${p.dump_text_gb.toFixed(1)} GB of dump text, ≈ ${p.import_cpu_hours.toFixed(1)} CPU h (wall on 2 cores between half and all of it), ≈ ${p.output_gb.toFixed(1)} GB of Parquet, memory as measured`);
console.log(`load average ${uptime} (shared machine: figures are noisy)`);

mkdirSync(path.join(REPO, "bench-out"), { recursive: true });
writeFileSync(
  path.join(REPO, "bench-out", "archive.json"),
  JSON.stringify({ stocks, days, loadavg: uptime, dump: { ...dump, files: undefined, seconds: dumpSeconds, gz_bytes: gzBytes }, reader: { plain, gzip: gz }, import: { seconds: run.seconds, cpu: run.cpu, rss: run.rss, rows: result.rows, output_bytes: outBytes }, projections }, null, 1) + "\n",
);
