// How a loader runs as a process: compute, print JSON on stdout (what Framework captures),
// and on failure print the error on stderr and exit non-zero (Framework then fails the build
// rather than publishing a partial file).
import { openAnalytics, type Analytics } from "../compute/cache.ts";
import { timed } from "../compute/timings.ts";

export async function runLoader(compute: (a: Analytics) => Promise<unknown>): Promise<void> {
  let a: Analytics | null = null;
  try {
    a = await timed("loader.open", () => openAnalytics());
    const opened = a;
    const out = await timed("loader.compute", () => compute(opened));
    await timed("loader.print", async () => process.stdout.write(JSON.stringify(out)));
  } catch (err) {
    console.error(err instanceof Error ? `${err.name}: ${err.message}` : err);
    process.exitCode = 1;
  } finally {
    a?.db.close();
  }
}
