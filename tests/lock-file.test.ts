// Lock files (src/lib/lock-file.ts) and the run lock on top of them: created whole, taken over only
// from a process that is gone, never deleted from under a live owner.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { acquireRunLock, RunLockedError } from "../src/ingest/lock.ts";
import { breakStaleLock, isStale, parseOwner, procStat, readLock, releaseLock, tryLock } from "../src/lib/lock-file.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "lock-file-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The pid of a process that has already exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(r.stdout);
}

const owner = (pid: number, host = hostname(), start?: string) => JSON.stringify({ pid, host, at: "2026-11-23T00:00:00.000Z", start });
const hasProc = existsSync(`/proc/${process.pid}/stat`);
/** These tests are about /proc: where it is absent they fail saying so (no test skips silently). */
function needProc(): void {
  expect(hasProc, "this test needs /proc/<pid>/stat (Linux); src/lib/lock-file.ts falls back to kill(pid, 0) elsewhere").toBe(true);
}

/** A child of a parent that never reaps it (`exec sleep`): killed, it stays a zombie. */
async function zombie(): Promise<{ pid: number; parent: ReturnType<typeof spawn> }> {
  const parent = spawn("sh", ["-c", "sleep 0.05 & echo $!; exec sleep 60"], { stdio: ["ignore", "pipe", "ignore"] });
  const pid = await new Promise<number>((resolve) => parent.stdout!.once("data", (b: Buffer) => resolve(Number(b.toString().trim()))));
  for (let i = 0; i < 200 && procStat(pid)?.state !== "Z"; i++) await new Promise((r) => setTimeout(r, 10));
  return { pid, parent };
}

describe("lock files", () => {
  it("are created whole, once: a second try fails and no temp file is left", () => {
    const file = path.join(dir, "x.lock");
    expect(tryLock(file)).toBe(true);
    expect(tryLock(file)).toBe(false);
    expect(parseOwner(readLock(file)!)).toMatchObject({ pid: process.pid, host: hostname() });
    expect(readdirSync(dir)).toEqual(["x.lock"]);
  });

  it("are stale only when the owner is gone from this host, or unreadable", () => {
    expect(isStale(parseOwner(owner(process.pid)))).toBe(false);
    expect(isStale(parseOwner(owner(deadPid())))).toBe(true);
    expect(isStale(parseOwner(owner(deadPid(), "another-host")))).toBe(false); // its processes are not ours to see
    expect(isStale(parseOwner(""))).toBe(true);
  });

  it("record the owner's start time from /proc, and a pid now held by another process is stale", () => {
    needProc();
    const file = path.join(dir, "x.lock");
    expect(tryLock(file)).toBe(true);
    const mine = parseOwner(readLock(file)!);
    expect(mine.start).toMatch(/^\d+$/);
    expect(mine.start).toBe(procStat(process.pid)?.start);
    expect(isStale(mine)).toBe(false);
    // the same pid with another start time: the owner died and its pid was given to this process
    expect(isStale(parseOwner(owner(process.pid, hostname(), String(Number(mine.start) + 1))))).toBe(true);
  });

  it("a zombie (killed, never reaped by its parent) holds no lock", async () => {
    needProc();
    const { pid, parent } = await zombie();
    try {
      expect(procStat(pid)?.state).toBe("Z");
      expect(() => process.kill(pid, 0)).not.toThrow(); // still visible to kill(): why kill() alone is not enough
      expect(isStale(parseOwner(owner(pid)))).toBe(true);
    } finally {
      parent.kill("SIGKILL");
    }
  });

  it("a stale lock replaced by a fresh one meanwhile is not broken", () => {
    const file = path.join(dir, "x.lock");
    const stale = owner(deadPid());
    writeFileSync(file, stale);
    const seen = readLock(file)!;
    // another process takes it over between our look and our break
    rmSync(file);
    expect(tryLock(file)).toBe(true);
    const fresh = readLock(file);
    breakStaleLock(file, seen);
    expect(readLock(file)).toBe(fresh);
    // the stale one itself is broken, and nothing is left beside the lock
    writeFileSync(file, stale);
    breakStaleLock(file, stale);
    expect(existsSync(file)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("release removes only this process's lock", () => {
    const file = path.join(dir, "x.lock");
    writeFileSync(file, owner(process.pid + 1));
    releaseLock(file);
    expect(existsSync(file)).toBe(true);
    rmSync(file);
    expect(tryLock(file)).toBe(true);
    releaseLock(file);
    expect(existsSync(file)).toBe(false);
  });
});

describe("the run lock", () => {
  const lockFile = () => path.join(dir, "_state", "run.lock");

  it("takes over a lock left by a killed run, and one left empty", async () => {
    for (const left of [owner(deadPid()), ""]) {
      mkdirSync(path.dirname(lockFile()), { recursive: true });
      writeFileSync(lockFile(), left);
      const release = await acquireRunLock(dir);
      expect(parseOwner(readFileSync(lockFile(), "utf8")).pid).toBe(process.pid);
      release();
      expect(existsSync(lockFile())).toBe(false);
    }
  });

  it("refuses while a live run holds it, naming the holder", async () => {
    const release = await acquireRunLock(dir);
    await expect(acquireRunLock(dir)).rejects.toThrow(RunLockedError);
    await expect(acquireRunLock(dir)).rejects.toThrow(new RegExp(`pid ${process.pid}`));
    release();
  });
});
