// Per-step wall seconds on stderr when CCASS_TIMINGS=1 (`timing <step> <seconds>` lines), so a
// benchmark can say where a build's time goes (bench/years.bench.ts collects them per process).
// Off by default: the loaders' stderr is what Framework shows.

/** True when CCASS_TIMINGS=1. */
export function timingsOn(): boolean {
  return process.env.CCASS_TIMINGS === "1";
}

/** Print one step's seconds (when timings are on). Spaces in `step` become underscores: one token per line. */
export function timing(step: string, seconds: number): void {
  if (timingsOn()) process.stderr.write(`timing ${step.trim().replace(/\s+/g, "_")} ${seconds.toFixed(3)}\n`);
}

/** Run `work` and print its seconds under `step`. */
export async function timed<T>(step: string, work: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await work();
  } finally {
    timing(step, (performance.now() - t0) / 1000);
  }
}

/** The `timing` lines of a process's stderr, in order (the same step twice: both kept). */
export function parseTimings(stderr: string): { step: string; seconds: number }[] {
  const out: { step: string; seconds: number }[] = [];
  for (const m of stderr.matchAll(/^timing (\S+) (\d+(?:\.\d+)?)$/gm)) out.push({ step: m[1]!, seconds: Number(m[2]) });
  return out;
}
