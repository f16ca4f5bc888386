#!/usr/bin/env -S npx tsx
// `npm run demo [-- options]`: the whole pipeline on a fresh clone, against the local replica.
//   1. replica   scripts/replica.ts serves a synthetic market (every name and figure made up)
//   2. scrape    scripts/scrape.ts run, the real scraper over HTTP, into .demo/parquet
//   3. truth     the replica's ground truth into .demo/parquet/_truth/ (labels the data synthetic)
//   4. build     scripts/build-site.ts: loaders, static API, Observable Framework → .demo/dist
//   5. serve     scripts/serve-dist.ts on localhost, until Ctrl-C (skipped with --no-serve)
// data/parquet and dist/ are never touched. Each stage is timed; a failing stage is named with the
// tail of its stderr, and the demo exits non-zero.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";
import { writeFileAtomic } from "../src/lib/atomic.ts";
import { lastSettlementDays } from "../src/lib/calendar.ts";
import { cliProgram, integerOption, isoDateOption } from "../src/lib/cli-options.ts";
import { latestPublishedDate } from "../src/ops/plan.ts";
import { serveDist } from "./serve-dist.ts";

const PROJECT = path.resolve(import.meta.dirname, "..");

const program = cliProgram("demo")
  .description("Replica → scraper → Parquet → loaders → site, served locally. All data synthetic.")
  .option("--stocks <n>", "securities in the synthetic market", integerOption("stocks", 1, 6000), 120)
  .option("--days <n>", "settlement days to scrape", integerOption("days", 1, 250), 60)
  .option("--seed <n>", "seed of the synthetic market", integerOption("seed", 0, 2 ** 31 - 1), 1)
  .option("--end <date>", "last settlement day (default: the newest date HKEX would show today)", isoDateOption)
  .option("--dir <dir>", "demo folder (git-ignored): parquet/, dist/, timings.json", ".demo")
  .option("--concurrency <n>", "scraper connections", integerOption("concurrency", 1, 32), 6)
  .option("--rate <rps>", "scraper requests per second (the replica is local)", integerOption("rate", 1, 100000), 1000)
  .option("--port <n>", "port for the local site (0: any free port)", integerOption("port", 0, 65535), 3000)
  .option("--no-serve", "stop after the build (CI)");

interface Options {
  stocks: number;
  days: number;
  seed: number;
  end?: string;
  dir: string;
  concurrency: number;
  rate: number;
  port: number;
  serve: boolean;
}

class StageError extends Error {
  override readonly name = "StageError";
  constructor(
    readonly stage: string,
    message: string,
    readonly stderrTail: string,
  ) {
    super(message);
  }
}

const timings: { stage: string; seconds: number }[] = [];

async function stage<T>(name: string, fn: () => Promise<T>): Promise<T> {
  console.log(`\n── demo: ${name} ──`);
  const started = performance.now();
  const result = await fn();
  const seconds = (performance.now() - started) / 1000;
  timings.push({ stage: name, seconds });
  console.log(`── demo: ${name} done in ${seconds.toFixed(1)} s`);
  return result;
}

/** Last lines of a stream, for the error message; everything is also forwarded as it comes. */
function tail(lines: string[], max = 40): (line: string) => void {
  return (line) => {
    lines.push(line);
    if (lines.length > max) lines.shift();
  };
}

function tsxArgs(script: string, args: string[]): string[] {
  return ["--import", "tsx", path.join(PROJECT, "scripts", script), ...args];
}

/**
 * The scraper prints one JSON event per page when not on a terminal: thousands of lines here.
 * Keep the ones a reader wants (dates written, retries, rejects, the final report), drop the rest.
 */
function scrapeLine(line: string): string | null {
  if (!line.startsWith("{")) return line;
  let e: Record<string, unknown>;
  try {
    e = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  switch (e.type) {
    case "written":
      return `${String(e.date)} written: ${String(e.stocks)} stocks, ${String(e.holdingsRows)} holdings rows`;
    case "page":
      return e.status === "ok" ? null : `${String(e.date)} ${String(e.page)}: ${String(e.status)} ${e.detail ? String(e.detail) : ""}`.trim();
    case "plan":
    case "start":
    case "token-refresh":
      return null;
    case "done":
      return `done: complete ${String(e.complete)}, dates ${JSON.stringify(e.dates)}, pages ${JSON.stringify(e.pages)}, ${String(e.seconds)} s`;
    default:
      return line;
  }
}

/** Run a project script to completion; its output is forwarded with a prefix (through `filter`). */
function runScript(
  stageName: string,
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  filter: (line: string) => string | null = (l) => l,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, tsxArgs(script, args), { cwd: PROJECT, env, stdio: ["ignore", "pipe", "pipe"] });
    const errTail: string[] = [];
    const keep = tail(errTail);
    createInterface({ input: child.stdout! }).on("line", (l) => {
      const shown = filter(l);
      if (shown !== null) console.log(`  ${shown}`);
    });
    createInterface({ input: child.stderr! }).on("line", (l) => {
      keep(l);
      const shown = filter(l);
      if (shown !== null) console.error(`  ${shown}`);
    });
    child.on("error", (err) => reject(new StageError(stageName, `could not start ${script}: ${err.message}`, "")));
    child.on("close", (code, signal) => {
      if (code === 0) resolve();
      else reject(new StageError(stageName, `${script} ${args.join(" ")} exited with ${code ?? signal}`, errTail.join("\n")));
    });
  });
}

/** Start the replica CLI; resolves with its base URL (the first stdout line, per its contract). */
function startReplica(o: Options, end: string): Promise<{ url: string; child: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const args = ["--port", "0", "--seed", String(o.seed), "--stocks", String(o.stocks), "--days", String(o.days), "--end", end];
    const child = spawn(process.execPath, tsxArgs("replica.ts", args), { cwd: PROJECT, stdio: ["ignore", "pipe", "pipe"] });
    const errTail: string[] = [];
    const keep = tail(errTail);
    let url: string | null = null;
    createInterface({ input: child.stdout! }).on("line", (l) => {
      if (url === null) {
        url = l.trim();
        if (!/^https?:\/\/[\w.:[\]-]+$/.test(url)) {
          child.kill();
          reject(new StageError("replica", `replica printed ${JSON.stringify(l)} instead of its base URL`, errTail.join("\n")));
          return;
        }
        resolve({ url, child });
      }
    });
    createInterface({ input: child.stderr! }).on("line", (l) => {
      keep(l);
      console.error(`  ${l}`);
    });
    child.on("error", (err) => reject(new StageError("replica", `could not start the replica: ${err.message}`, "")));
    child.on("exit", (code, signal) => {
      if (url === null) reject(new StageError("replica", `the replica exited (${code ?? signal}) before printing its URL`, errTail.join("\n")));
    });
  });
}

async function fetchJson(url: string): Promise<unknown> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.json();
}

async function main(o: Options): Promise<void> {
  const demoDir = path.resolve(PROJECT, o.dir);
  const within = (dir: string, parent: string) => dir === parent || dir.startsWith(parent + path.sep);
  for (const kept of ["data", "dist"]) {
    if (within(demoDir, path.join(PROJECT, kept))) throw new StageError("setup", `--dir ${o.dir} is inside ${kept}/: the demo never writes there`, "");
  }
  // The project folder itself (or one above it) would put the demo's dist/ on the real site's dist/.
  if (within(PROJECT, demoDir)) throw new StageError("setup", `--dir ${o.dir} is the project folder or above it: give the demo a folder of its own (default .demo)`, "");
  const data = path.join(demoDir, "parquet");
  const site = path.join(demoDir, "dist");
  const end = o.end ?? latestPublishedDate();
  const dates = lastSettlementDays(end, o.days);
  const from = dates[0]!;
  console.log(`demo: synthetic market, seed ${o.seed}, ${o.stocks} securities, ${o.days} settlement days ${from} → ${dates.at(-1)}`);
  console.log(`demo: dataset ${path.relative(PROJECT, data)}, site ${path.relative(PROJECT, site)} (data/parquet and dist/ untouched)`);

  // A fresh dataset each time: the demo's figures always come from one scrape of one market.
  await rm(data, { recursive: true, force: true });
  await mkdir(data, { recursive: true });

  let replica: { url: string; child: ChildProcess } | null = null;
  const stopReplica = () => {
    if (replica && replica.child.exitCode === null) replica.child.kill("SIGTERM");
  };
  process.on("exit", stopReplica);
  try {
    replica = await stage("replica", () => startReplica(o, end));
    const url = replica.url;
    console.log(`  replica at ${url}`);
    await stage("scrape", () =>
      runScript("scrape", "scrape.ts", [
        "run",
        "--base-url", url,
        "--from", from,
        "--to", end,
        "--out", data,
        "--universe", "all",
        "--concurrency", String(o.concurrency),
        "--rate", String(o.rate),
      ], process.env, scrapeLine),
    );
    await stage("truth", async () => {
      // The replica's ground truth, in the layout writeSyntheticDataset uses: marks the data synthetic.
      const truth = path.join(data, "_truth");
      for (const name of ["transfers", "corporate-actions"]) {
        const body = await fetchJson(`${url}/__truth/${name}.json`).catch((err: Error) => {
          throw new StageError("truth", `could not read the replica's ground truth: ${err.message}`, "");
        });
        await writeFileAtomic(path.join(truth, `${name}.json`), JSON.stringify(body, null, 1) + "\n");
      }
      await writeFileAtomic(
        path.join(truth, "options.json"),
        JSON.stringify({ seed: o.seed, stocks: o.stocks, days: o.days, end, hostileNames: false, dates, source: "replica scraped over HTTP" }, null, 1) + "\n",
      );
    });
  } finally {
    stopReplica();
  }

  await stage("build", () => runScript("build", "build-site.ts", ["--data", data, "--out", site], { ...process.env, CCASS_DATA: data }));

  const total = timings.reduce((s, t) => s + t.seconds, 0);
  console.log("\ndemo: timings (synthetic data)");
  for (const t of timings) console.log(`  ${t.stage.padEnd(8)} ${t.seconds.toFixed(1).padStart(7)} s`);
  console.log(`  ${"total".padEnd(8)} ${total.toFixed(1).padStart(7)} s`);
  await writeFileAtomic(
    path.join(demoDir, "timings.json"),
    JSON.stringify({ stocks: o.stocks, days: o.days, seed: o.seed, from, to: end, stages: timings, totalSeconds: total, at: new Date().toISOString() }, null, 2) + "\n",
  );

  if (!o.serve) {
    console.log(`demo: built ${path.relative(PROJECT, site)}; not serving (--no-serve)`);
    return;
  }
  const server = await serveDist({ dir: site, port: o.port }).catch((err: Error) => {
    throw new StageError("serve", `could not serve ${site} on port ${o.port}: ${err.message} (try --port 0)`, "");
  });
  console.log(`\ndemo: the synthetic site is at ${server.url}  (Ctrl-C to stop)`);
  await new Promise<void>((resolve) => {
    for (const s of ["SIGINT", "SIGTERM"] as const) process.once(s, () => resolve());
  });
  await server.close();
  console.log("demo: stopped");
}

program.parse(process.argv);
const opts = program.opts<Options>();
main(opts).catch((err: unknown) => {
  if (err instanceof StageError) {
    console.error(`\ndemo: stage "${err.stage}" failed: ${err.message}`);
    if (err.stderrTail) console.error(`── last lines of its stderr ──\n${err.stderrTail}`);
  } else {
    console.error(`\ndemo: failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  }
  process.exit(1);
});
