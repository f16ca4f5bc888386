// Real git for the data-branch tests: a bare origin whose main holds one code commit, and runners'
// fresh clones of it (what a workflow's checkout is).
import { execFileSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { openDataRepo, type DataRepo } from "../../src/ops/data-branch.ts";

const GIT_ENV = { GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com" };

/** Runs git in `cwd` and returns its trimmed output. */
export function sh(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", env: { ...process.env, ...GIT_ENV } }).trim();
}

/** A bare origin `<work>/<name>.git` whose main holds one code commit. */
export async function newOrigin(work: string, name: string): Promise<string> {
  const origin = path.join(work, `${name}.git`);
  sh(work, "init", "--quiet", "--bare", "-b", "main", origin);
  const seed = path.join(work, `${name}-seed`);
  sh(work, "init", "--quiet", "-b", "main", seed);
  sh(seed, "remote", "add", "origin", origin);
  await writeFile(path.join(seed, "README.md"), "code\n");
  sh(seed, "add", "README.md");
  sh(seed, "commit", "--quiet", "-m", "code");
  sh(seed, "push", "--quiet", "origin", "HEAD:main");
  return origin;
}

let clones = 0;
/** A fresh clone of main under `work`, as a runner's checkout (`origin` a path, or a file:// URL for --depth). */
export async function runnerClone(work: string, origin: string, args: string[] = []): Promise<DataRepo> {
  const dir = path.join(work, `clone-${++clones}`);
  sh(work, "clone", "--quiet", ...args, origin, dir);
  for (const [k, v] of [["user.name", "t"], ["user.email", "t@example.com"]]) sh(dir, "config", k!, v!);
  return openDataRepo({ cwd: dir });
}
