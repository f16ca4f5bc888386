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

/**
 * Put the finished folder `ready` in place of `target` with two renames (both on one filesystem):
 * the old folder is moved aside, the new one moved in, and the old removed only once the new is in
 * place; if the second rename fails the old folder is put back. A reader sees the old tree or the
 * new one, never a mix.
 */
export async function replaceDirectory(ready: string, target: string): Promise<void> {
  const old = `${target}.${process.pid}.${randomBytes(4).toString("hex")}.old`;
  let moved = false;
  try {
    await rename(target, old);
    moved = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  try {
    await rename(ready, target);
  } catch (err) {
    if (moved) await rename(old, target);
    throw err;
  }
  if (moved) await rm(old, { recursive: true, force: true });
}
