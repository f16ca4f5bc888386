// One scrape (or reparse, or compaction) at a time per dataset folder: `<out>/_state/run.lock`
// holds the owner's pid, host and (on Linux) start time. A lock left by a killed run (its pid gone
// on this host, a zombie, or reused by another process) is taken over; a live one is an error.
// The lock file mechanics and the liveness test are src/lib/lock-file.ts.
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { breakStaleLock, isStale, parseOwner, readLock, releaseLock, tryLock } from "../lib/lock-file.ts";
import { stateDir } from "../dataset/layout.ts";

export class RunLockedError extends Error {
  override readonly name = "RunLockedError";
}

/** Take the dataset's run lock; returns its release. */
export async function acquireRunLock(root: string): Promise<() => void> {
  const file = path.join(stateDir(root), "run.lock");
  await mkdir(path.dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    if (tryLock(file)) return () => releaseLock(file);
    const text = readLock(file);
    if (text === null) continue; // released meanwhile
    const owner = parseOwner(text);
    if (!isStale(owner)) throw new RunLockedError(`another scrape (pid ${owner.pid} on ${owner.host}) holds ${file}`);
    breakStaleLock(file, text);
  }
  throw new RunLockedError(`could not take ${file}: other processes keep taking it`);
}
