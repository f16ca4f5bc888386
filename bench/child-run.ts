// Run a project script in its own process and measure it: wall time, CPU time and peak RSS
// (DuckDB allocates inside the process, so the child reports its own maxRSS on exit).
import { spawnSync } from "node:child_process";
import path from "node:path";

export const REPO = path.resolve(import.meta.dirname, "..");

/** The loaders Framework runs, each in its own process, in the site build's order. */
export const LOADERS = ["meta", "stocks", "participants", "attention", "transfers", "concentration", "southbound", "health", "trends"];

/** A loader's file: Framework's own beside the pages; trends (no page loads it) is a script. */
export function loaderScript(name: string): string {
  return name === "trends" ? path.join(REPO, "scripts", "trends.ts") : path.join(REPO, "src", "pages", "data", `${name}.json.ts`);
}

// CPU seconds too: on a shared machine wall time depends on the neighbours, CPU time much less.
const REPORT_RSS = `data:text/javascript,process.on("exit",()=>{const u=process.resourceUsage();process.stderr.write("MAXRSS_KB "+u.maxRSS+" CPU_US "+(u.userCPUTime+u.systemCPUTime)+"\\n")})`;

export interface ChildRun {
  seconds: number;
  cpu: number;
  /** peak resident set, bytes */
  rss: number;
  stdoutBytes: number;
  stdout: string;
  stderr: string;
}

export function runMeasured(script: string, args: string[], env: Record<string, string>): ChildRun {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ["--import", "tsx", "--import", REPORT_RSS, script, ...args], {
    cwd: REPO,
    env: { ...process.env, ...env },
    maxBuffer: 1 << 30,
    encoding: "utf8",
  });
  const seconds = (performance.now() - t0) / 1000;
  const rss = Number(/MAXRSS_KB (\d+)/.exec(r.stderr)?.[1] ?? 0) * 1024;
  const cpu = Number(/CPU_US (\d+)/.exec(r.stderr)?.[1] ?? 0) / 1e6;
  if (r.status !== 0) throw new Error(`${script} failed (${r.status}): ${r.stderr}`);
  return { seconds, cpu, rss, stdoutBytes: Buffer.byteLength(r.stdout), stdout: r.stdout, stderr: r.stderr };
}
