// Lock files, for the scraper's run lock (one writer per dataset folder) and the analytics cache
// lock (one builder per dataset version). Two races are closed here:
// - a lock is never seen empty: its owner is written to a temp file first, then hard-linked into
//   place, and link() fails if the lock exists (open(…, "wx") then write left a window in which
//   another process read an empty lock, judged it stale and deleted a live one);
// - a stale lock (its process gone from this host) is renamed aside before it is removed, and put
//   back if what was renamed is no longer the lock that was judged stale, so two processes taking
//   over the same stale lock cannot delete each other's fresh one.
// "Gone" is not "kill(pid, 0) fails": a process killed with kill -9 stays visible to kill() as a
// zombie until its parent reaps it (forever in a container without an init process), and its pid
// can later belong to an unrelated process. On Linux the owner's start time, from
// /proc/<pid>/stat, is recorded in the lock: a zombie, or a process whose start time differs, does
// not hold it. Where /proc is absent, kill(pid, 0) is all there is.
import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";

export interface LockOwner {
  pid: number;
  host: string;
  at: string;
  /** the owner's start time in clock ticks since boot (/proc/<pid>/stat field 22); absent without /proc */
  start?: string;
}

/** What /proc says about a process: its state letter (R, S, Z…) and start time. */
export interface ProcStat {
  state: string;
  start: string;
}

/** true where this process's /proc/<pid>/stat can be read (Linux); elsewhere liveness is kill(pid, 0). */
const HAS_PROC = procStat(process.pid) != null;

/**
 * /proc/<pid>/stat of a process: null when it has no entry (no such process, or no /proc at all:
 * HAS_PROC tells which), undefined when the entry cannot be read or understood. The command name
 * (field 2, in parentheses) may hold spaces and parentheses itself: fields count from the last ")".
 */
export function procStat(pid: number): ProcStat | null | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === "ENOENT" || code === "ESRCH" ? null : undefined;
  }
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state), so field 22 (starttime) is fields[19]
  const state = fields[0];
  const start = fields[19];
  return state && start ? { state, start } : undefined;
}

/** Create `file` holding this process as owner; false when a lock is already there. */
export function tryLock(file: string): boolean {
  const start = procStat(process.pid)?.start;
  const owner: LockOwner = { pid: process.pid, host: hostname(), at: new Date().toISOString(), ...(start ? { start } : {}) };
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

function signalable(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Is the process that wrote `owner` still running? Zombies (Z) and dead tasks (X) are not. */
function alive(owner: { pid: number; start?: string }): boolean {
  if (!HAS_PROC) return signalable(owner.pid);
  const stat = procStat(owner.pid);
  if (stat === undefined) return signalable(owner.pid);
  if (stat === null || stat.state === "Z" || stat.state === "X") return false;
  // same pid, another process: the owner died and its pid was handed out again
  return owner.start === undefined || owner.start === stat.start;
}

/**
 * A lock is stale when its owner process is gone from this host: exited, a zombie, or its pid now
 * another process's. A lock without a readable owner (left by an older version that wrote in
 * place, or damaged) is stale too: no live process of this version can hold one. A lock held on
 * another host is never stale: we cannot see its processes.
 */
export function isStale(owner: Partial<LockOwner>): boolean {
  if (typeof owner.pid !== "number" || typeof owner.host !== "string") return true;
  const start = typeof owner.start === "string" ? owner.start : undefined;
  return owner.host === hostname() && !alive({ pid: owner.pid, start });
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

/**
 * Run `fn` holding `lock`, waiting while a live process holds it (a stale one is taken over);
 * `timeout(ms)` makes the error thrown when it is still held after `timeoutMs`.
 */
export async function withLock(lock: string, timeout: (ms: number) => Error, fn: () => Promise<void>, timeoutMs = 15 * 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!tryLock(lock)) {
    const text = readLock(lock);
    if (text !== null && isStale(parseOwner(text))) {
      breakStaleLock(lock, text);
      continue;
    }
    if (Date.now() > deadline) throw timeout(timeoutMs);
    await new Promise((r) => setTimeout(r, 200));
  }
  try {
    await fn();
  } finally {
    releaseLock(lock);
  }
}
