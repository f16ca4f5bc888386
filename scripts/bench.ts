// `npm run bench [-- NAME…]`: runs each bench/NAME.bench.ts in its own process, one after another
// (two cores: benchmarks side by side would measure each other). Each prints its own figures and
// writes them to bench-out/NAME.json; this runner prints a closing table of wall times.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";
import { cliProgram } from "../src/lib/cli-options.ts";

const benchDir = path.resolve(import.meta.dirname, "..", "bench");
// An unknown option is a usage error (it used to be ignored, and every benchmark ran).
const wanted = cliProgram("bench")
  .description("Run benchmarks one after another (bench/NAME.bench.ts), figures in bench-out/NAME.json")
  .argument("[names...]", "benchmarks to run (default: all)")
  .parse().args;
const benches = readdirSync(benchDir)
  .filter((f) => f.endsWith(".bench.ts"))
  .map((f) => f.replace(/\.bench\.ts$/, ""))
  .filter((name) => wanted.length === 0 || wanted.includes(name))
  .sort();

if (benches.length === 0) {
  console.error(`bench: no benchmark matches ${wanted.join(", ")}; have: ${readdirSync(benchDir).join(", ")}`);
  process.exit(2);
}

const timings: { bench: string; seconds: number; status: number | null }[] = [];
for (const name of benches) {
  console.log(`\n=== bench ${name} ===`);
  const started = performance.now();
  const r = spawnSync(process.execPath, ["--import", "tsx", path.join(benchDir, `${name}.bench.ts`)], {
    stdio: "inherit",
  });
  timings.push({ bench: name, seconds: (performance.now() - started) / 1000, status: r.status });
}
console.log("\n=== summary ===");
for (const t of timings) console.log(`${t.bench.padEnd(16)} ${t.seconds.toFixed(1).padStart(7)} s  exit ${t.status}`);
process.exit(timings.every((t) => t.status === 0) ? 0 : 1);
