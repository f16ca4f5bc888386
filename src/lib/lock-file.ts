// Lock files, for the scraper's run lock (one writer per dataset folder) and the analytics cache
// lock (one builder per dataset version). Two races are closed here:
// - a lock is never seen empty: its owner is written to a temp file first, then hard-linked into
//   place, and link() fails if the lock exists (open(…, "wx") then write left a window in which
//   another process read an empty lock, judged it stale and deleted a live one);
// - a stale lock (its process gone from this host) is renamed aside before it is removed, and put
//   back if what was renamed is no longer the lock that was judged stale, so two processes taking
//   over the same stale lock cannot delete each other's fresh one.
import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";

export interface LockOwner {
  pid: number;
  host: string;
  at: string;
}

/** Create `file` holding this process as owner; false when a lock is already there. */
export function tryLock(file: string): boolean {
  const owner: LockOwner = { pid: process.pid, host: hostname(), at: new Date().toISOString() };
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, JSON.stringify(owner));
  try {
    linkSync(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** The lock's text, or null when there is no lock. */
export function readLock(file: string): string | null {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

export function parseOwner(text: string): Partial<LockOwner> {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === "object" && v !== null ? (v as Partial<LockOwner>) : {};
  } catch {
    return {};
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * A lock is stale when its owner process is gone from this host. A lock without a readable owner
 * (left by an older version that wrote in place, or damaged) is stale too: no live process of this
 * version can hold one. A lock held on another host is never stale: we cannot see its processes.
 */
export function isStale(owner: Partial<LockOwner>): boolean {
  if (typeof owner.pid !== "number" || typeof owner.host !== "string") return true;
  return owner.host === hostname() && !alive(owner.pid);
}

/** Remove the lock judged stale (its text `seen`), unless another process replaced it meanwhile. */
export function breakStaleLock(file: string, seen: string): void {
  const aside = `${file}.${process.pid}.stale`;
  try {
    renameSync(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return; // someone else removed it
    throw err;
  }
  try {
    if (readFileSync(aside, "utf8") !== seen) {
      try {
        linkSync(aside, file); // a fresh lock, taken since we looked: give it back
      } catch {
        // a third process locked meanwhile; the renamed lock's owner will find its lock gone and
        // its release is a no-op: the narrowest window left, and only after a crash
      }
    }
  } finally {
    rmSync(aside, { force: true });
  }
}

/** Remove the lock if it is still ours (never another process's). */
export function releaseLock(file: string): void {
  const text = readLock(file);
  if (text === null) return;
  const owner = parseOwner(text);
  if (owner.pid === process.pid && owner.host === hostname()) rmSync(file, { force: true });
}
