// How a loader runs as a process: compute, print JSON on stdout (what Framework captures),
// and on failure print the error on stderr and exit non-zero (Framework then fails the build
// rather than publishing a partial file).
import { openAnalytics, type Analytics } from "../compute/cache.ts";

export async function runLoader(compute: (a: Analytics) => Promise<unknown>): Promise<void> {
  let a: Analytics | null = null;
  try {
    a = await openAnalytics();
    const out = await compute(a);
    process.stdout.write(JSON.stringify(out));
  } catch (err) {
    console.error(err instanceof Error ? `${err.name}: ${err.message}` : err);
    process.exitCode = 1;
  } finally {
    a?.db.close();
  }
}
