// Running git for the data-branch steps (src/ops/data-branch.ts): no shell (arguments are never
// parsed as shell text), a failure is one typed line naming the command and git's last message,
// and a scratch index (GIT_INDEX_FILE) lets a step build or read a tree without touching the
// checkout's own index.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

export class GitError extends Error {
  override readonly name = "GitError";
  constructor(
    message: string,
    /** all of git's stderr, for callers that tell one refusal from another */
    readonly stderr = "",
  ) {
    super(message);
  }
}

export interface GitOptions {
  /** written to git's stdin */
  input?: string;
  /** extra environment (e.g. GIT_INDEX_FILE) */
  env?: Record<string, string>;
  /** exit statuses that are answers, not failures (e.g. 1 from `rev-parse --verify -q`) */
  allow?: readonly number[];
}

export interface GitResult {
  stdout: string;
  code: number;
}

/** Run `git args` in `cwd`; throws GitError with git's last stderr line unless the exit status is 0 or allowed. */
export function gitRun(cwd: string, args: readonly string[], opts: GitOptions = {}): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      "git",
      args,
      { cwd, env: { ...process.env, ...opts.env, GIT_TERMINAL_PROMPT: "0" }, maxBuffer: 256 * 1024 * 1024, encoding: "utf8" },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === "number" ? ((err as { code: number }).code) : -1) : 0;
        if (code === 0 || opts.allow?.includes(code)) return resolve({ stdout, code });
        const last = stderr.trim().split("\n").filter(Boolean).at(-1) ?? (err as Error).message;
        reject(new GitError(`git ${args.slice(0, 2).join(" ")} failed (exit ${code}): ${last.trim()}`, stderr));
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** stdout of `git args`, trailing newline removed. */
export async function git(cwd: string, args: readonly string[], opts: GitOptions = {}): Promise<string> {
  return (await gitRun(cwd, args, opts)).stdout.replace(/\n$/, "");
}

/** The commit (or other object) a ref names, or null when it does not exist. */
export async function resolveRef(cwd: string, ref: string): Promise<string | null> {
  const r = await gitRun(cwd, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], { allow: [1] });
  return r.code === 0 ? r.stdout.trim() : null;
}

/** Run `fn` with the environment of a fresh, empty scratch index; the index is removed afterwards. */
export async function withScratchIndex<T>(fn: (env: Record<string, string>) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), "ccass-index-"));
  try {
    return await fn({ GIT_INDEX_FILE: path.join(dir, "index") });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
