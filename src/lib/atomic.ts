// Atomic file writes: write a sibling temp file, fsync it, then rename over the target.
// A reader (or a run killed with kill -9) never sees a half-written file.
import { randomBytes } from "node:crypto";
import { mkdir, open, rename, rm } from "node:fs/promises";
import path from "node:path";

/** A temp path next to `target` (same directory, so rename stays on one filesystem). */
export function tempPathFor(target: string): string {
  const dir = path.dirname(target);
  return path.join(dir, `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
}

export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  await mkdir(path.dirname(target), { recursive: true });
  const tmp = tempPathFor(target);
  const fh = await open(tmp, "w");
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  try {
    await rename(tmp, target);
  } catch (err) {
    // e.g. the target is a directory: no temp file is left behind beside it
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Run `produce(tmpPath)` to create a file at a temp path, then rename it to `target`.
 * For writers that want a path rather than bytes (DuckDB's COPY ... TO).
 */
export async function produceFileAtomic(target: string, produce: (tmpPath: string) => Promise<void>): Promise<void> {
  await mkdir(path.dirname(target), { recursive: true });
  const tmp = tempPathFor(target);
  try {
    await produce(tmp);
    const fh = await open(tmp, "r+");
    await fh.sync();
    await fh.close();
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true, recursive: true });
    throw err;
  }
}
