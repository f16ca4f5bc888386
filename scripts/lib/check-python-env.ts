// The Python environment of the dataset check (pandas, pyarrow, Polars: scripts/check_dataset.requirements.txt),
// made on demand so that the README's `npm test` needs nothing set up beforehand (tests/setup/check-python.ts
// calls ensureCheckPython before any test file runs).
//
// `.venv-check` is a symlink to `.cache/venv-check-<hash of the requirements>`:
// - a venv is not relocatable (pip's scripts name their interpreter by absolute path), so it is built in
//   its final folder and only the symlink is swapped (made beside, renamed over): `.venv-check` always
//   names a complete environment, the old one or the new one;
// - the stamp `.requirements.sha256` is written last, so a build killed half-way is never taken as fresh;
// - a lock (src/lib/lock-file.ts) keeps two runs (two `npm test`s, or vitest and `npm run check-dataset`)
//   from building the same folder at once; the second waits, then finds it fresh.
// A `.venv-check` made by hand (or by an older .ci/run) without the stamp is kept when it already holds
// the pinned versions. CCASS_CHECK_PYTHON names another interpreter: nothing is made then.
// When nothing can be made (no python3, no venv module, pip fails) the error is one line saying how.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, lstatSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { withLock } from "../../src/lib/lock-file.ts";
import { writeFileAtomic } from "../../src/lib/atomic.ts";

const PROJECT = path.resolve(import.meta.dirname, "..", "..");
export const REQUIREMENTS = path.join(PROJECT, "scripts", "check_dataset.requirements.txt");
export const VENV_LINK = path.join(PROJECT, ".venv-check");
const STAMP = ".requirements.sha256";

export class CheckPythonEnvError extends Error {
  override readonly name = "CheckPythonEnvError";
}

const HOW = "or set CCASS_CHECK_PYTHON to a Python that has them";

export interface EnsureOptions {
  /** Where the symlink goes (tests point it into a temp folder). */
  link?: string;
  /** Where the environments are built; `.cache` beside the link by default. */
  cacheDir?: string;
  requirements?: string;
  /** The interpreter that makes the venv. */
  python3?: string;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

export interface EnsureResult {
  python: string;
  /** made: built now; fresh: the stamp or the installed versions matched; external: CCASS_CHECK_PYTHON */
  state: "made" | "fresh" | "external";
}

function hashOf(file: string): string {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

/** `name==version` pins of the requirements file, or null when any line is not a plain pin. */
function pins(text: string): [string, string][] | null {
  const out: [string, string][] = [];
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*/, "").trim();
    if (!line) continue;
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.+!-]+)$/.exec(line);
    if (!m) return null;
    out.push([m[1]!, m[2]!]);
  }
  return out;
}

/** Does the venv behind `link` hold what the requirements ask for? */
function isFresh(link: string, requirements: string, hash: string): boolean {
  const python = path.join(link, "bin", "python");
  if (!existsSync(python)) return false;
  try {
    if (readFileSync(path.join(link, STAMP), "utf8").trim() === hash) return true;
  } catch {
    // no stamp: made by hand or by an older .ci/run; ask the interpreter below
  }
  const pinned = pins(readFileSync(requirements, "utf8"));
  if (!pinned || pinned.length === 0) return false;
  const script = `import importlib.metadata as m, json, sys\nout = {}\nfor n in sys.argv[1:]:\n    try: out[n] = m.version(n)\n    except Exception: out[n] = None\nprint(json.dumps(out))`;
  const r = spawnSync(python, ["-c", script, ...pinned.map(([n]) => n)], { encoding: "utf8", timeout: 30_000 });
  if (r.status !== 0) return false;
  try {
    const have = JSON.parse(r.stdout) as Record<string, string | null>;
    return pinned.every(([n, v]) => have[n] === v);
  } catch {
    return false;
  }
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): { ok: boolean; error: string } {
  const r = spawnSync(cmd, args, { encoding: "utf8", env, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) return { ok: false, error: (r.error as NodeJS.ErrnoException).code ?? r.error.message };
  if (r.status !== 0) {
    const lines = `${r.stderr}\n${r.stdout}`.split("\n").map((l) => l.trim()).filter(Boolean);
    // pip's and venv's own reason is their last error line
    const reason = lines.filter((l) => /error|not found|No module|No matching/i.test(l)).pop() ?? lines.pop() ?? `exit ${r.status}`;
    return { ok: false, error: reason };
  }
  return { ok: true, error: "" };
}

/** Make (or find) the dataset check's Python; throws CheckPythonEnvError, one line, when it cannot. */
export async function ensureCheckPython(options: EnsureOptions = {}): Promise<EnsureResult> {
  const env = options.env ?? process.env;
  const external = env.CCASS_CHECK_PYTHON;
  if (external) {
    if (!existsSync(external)) throw new CheckPythonEnvError(`CCASS_CHECK_PYTHON=${external} does not exist: point it to a Python with pandas, pyarrow and polars, or unset it to let npm test make .venv-check`);
    return { python: external, state: "external" };
  }
  const link = options.link ?? VENV_LINK;
  const requirements = options.requirements ?? REQUIREMENTS;
  const cacheDir = options.cacheDir ?? path.join(path.dirname(link), ".cache");
  const python3 = options.python3 ?? "python3";
  const log = options.log ?? (() => {});
  const hash = hashOf(requirements);
  const python = path.join(link, "bin", "python");
  if (isFresh(link, requirements, hash)) return { python, state: "fresh" };

  await mkdir(cacheDir, { recursive: true });
  const lock = path.join(cacheDir, "venv-check.lock");
  let state: EnsureResult["state"] = "fresh";
  const timeout = (ms: number) => new CheckPythonEnvError(`another process has been making ${link} for ${Math.round(ms / 1000)} s (lock ${lock}): wait for it, or remove the lock if no such process runs`);
  await withLock(lock, timeout, async () => {
    if (isFresh(link, requirements, hash)) return; // made by whoever held the lock before us
    const target = path.join(cacheDir, `venv-check-${hash.slice(0, 16)}`);
    rmSync(target, { recursive: true, force: true }); // a build killed half-way (no stamp): start again
    const made = run(python3, ["-m", "venv", target], env);
    if (!made.ok) {
      rmSync(target, { recursive: true, force: true });
      const fix = made.error === "ENOENT" ? `no ${python3} on PATH: install Python 3 with its venv module` : `${python3} -m venv failed (${made.error}): install the venv module (Debian: apt-get install python3-venv)`;
      throw new CheckPythonEnvError(`the dataset check's Python environment cannot be made: ${fix}, ${HOW}`);
    }
    // Progress, not an error: pip may take minutes on a slow network.
    log(`making ${link} (pandas, pyarrow, Polars for the dataset check): pip install -r ${path.basename(requirements)}`);
    const pip = run(path.join(target, "bin", "python"), ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", requirements], env);
    if (!pip.ok) {
      rmSync(target, { recursive: true, force: true });
      throw new CheckPythonEnvError(
        `pip could not install scripts/check_dataset.requirements.txt into ${target} (${pip.error}): check the network or pip's index (pip config list), ${HOW}`,
      );
    }
    await writeFileAtomic(path.join(target, STAMP), `${hash}\n`);
    // The symlink is made beside and renamed over; a real folder there (an older venv) is moved aside first.
    const tmpLink = `${link}.${process.pid}.tmp`;
    rmSync(tmpLink, { force: true });
    symlinkSync(path.relative(path.dirname(link), target), tmpLink);
    const old = `${link}.${process.pid}.old`;
    let moved = false;
    try {
      if (lstatSync(link, { throwIfNoEntry: false })?.isDirectory()) {
        renameSync(link, old);
        moved = true;
      }
      renameSync(tmpLink, link);
    } catch (err) {
      if (moved) renameSync(old, link);
      rmSync(tmpLink, { force: true });
      throw err;
    }
    if (moved) rmSync(old, { recursive: true, force: true });
    // Older environments of other requirements are no longer named by the link.
    for (const name of readdirSync(cacheDir)) {
      if (/^venv-check-[0-9a-f]{16}$/.test(name) && path.join(cacheDir, name) !== target) rmSync(path.join(cacheDir, name), { recursive: true, force: true });
    }
    state = "made";
  });
  return { python, state };
}
