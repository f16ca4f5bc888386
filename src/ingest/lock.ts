// One scrape at a time per dataset folder: `<out>/_state/run.lock` holds the owner's pid and host.
// A lock left by a killed run (its pid gone on this host) is taken over; a live one is an error.
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import { stateDir } from "./layout.ts";

export class RunLockedError extends Error {
  override readonly name = "RunLockedError";
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export async function acquireRunLock(root: string): Promise<() => void> {
  const file = path.join(stateDir(root), "run.lock");
  await mkdir(path.dirname(file), { recursive: true });
  for (let i = 0; i < 2; i++) {
    try {
      writeFileSync(file, JSON.stringify({ pid: process.pid, host: hostname(), at: new Date().toISOString() }), { flag: "wx" });
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      let owner: { pid?: number; host?: string } = {};
      try {
        owner = JSON.parse(readFileSync(file, "utf8")) as typeof owner;
      } catch {
        // unreadable: written by a run killed mid-write; treat as stale
      }
      const stale = owner.host === hostname() && typeof owner.pid === "number" ? !alive(owner.pid) : owner.pid === undefined;
      if (!stale) throw new RunLockedError(`another scrape (pid ${owner.pid} on ${owner.host}) holds ${file}`);
      if (existsSync(file)) rmSync(file, { force: true });
    }
  }
  throw new RunLockedError(`could not take ${file}`);
}
