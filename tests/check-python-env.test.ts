// Issue #19 item 4: `npm test` makes the dataset check's Python environment itself (vitest globalSetup,
// tests/setup/check-python.ts → scripts/lib/check-python-env.ts), or stops with one line saying how.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CheckPythonEnvError, ensureCheckPython } from "../scripts/lib/check-python-env.ts";

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "check-python-env-"));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** A project-like folder: a requirements file, the link and .cache beside it. */
async function project(requirements: string): Promise<{ root: string; link: string; requirements: string; cacheDir: string }> {
  const root = await mkdtemp(path.join(work, "p-"));
  writeFileSync(path.join(root, "requirements.txt"), requirements);
  return { root, link: path.join(root, ".venv-check"), requirements: path.join(root, "requirements.txt"), cacheDir: path.join(root, ".cache") };
}

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected a failure");
}

function venvFolders(cacheDir: string): string[] {
  return existsSync(cacheDir) ? readdirSync(cacheDir).filter((n) => n.startsWith("venv-check-")) : [];
}

describe("the dataset check's Python environment", () => {
  // Each venv made here costs pip's own install (10–20 s on a loaded machine): three in this file.
  it("replaces a hand-made venv without the pinned versions by a stamped one (two callers at once: one makes, one waits); finds it fresh; keeps a stamp-less one with the pins; a changed requirements file makes a new one", async () => {
    const p = await project("# nothing to install\n");
    const env = { ...process.env, CCASS_CHECK_PYTHON: "" };
    // made by hand (as the old docs said), a real folder without the stamp or pip
    expect(spawnSync("python3", ["-m", "venv", "--without-pip", p.link]).status).toBe(0);
    const states = (await Promise.all([ensureCheckPython({ ...p, env }), ensureCheckPython({ ...p, env })])).map((r) => r.state).sort();
    expect(states).toEqual(["fresh", "made"]);
    expect(existsSync(path.join(p.cacheDir, "venv-check.lock"))).toBe(false);
    expect(lstatSync(p.link).isSymbolicLink()).toBe(true);
    const target = path.resolve(p.root, readlinkSync(p.link));
    const stamp = path.join(target, ".requirements.sha256");
    expect(readFileSync(stamp, "utf8")).toMatch(/^[0-9a-f]{64}\n$/);
    const python = path.join(p.link, "bin", "python");
    expect(spawnSync(python, ["-c", "import sys; print(sys.prefix)"], { encoding: "utf8" }).stdout.trim()).toBe(p.link);
    expect(await ensureCheckPython({ ...p, env })).toEqual({ python, state: "fresh" });

    // no stamp, but the interpreter has what the pins ask for: kept as it is
    rmSync(stamp);
    const pip = spawnSync(python, ["-c", "import importlib.metadata as m; print(m.version('pip'))"], { encoding: "utf8" }).stdout.trim();
    writeFileSync(p.requirements, `pip==${pip}\n`);
    expect((await ensureCheckPython({ ...p, env })).state).toBe("fresh");
    expect(path.resolve(p.root, readlinkSync(p.link))).toBe(target);

    writeFileSync(p.requirements, "# nothing to install, said differently\n");
    expect((await ensureCheckPython({ ...p, env })).state).toBe("made");
    expect(path.resolve(p.root, readlinkSync(p.link))).not.toBe(target);
    expect(venvFolders(p.cacheDir)).toHaveLength(1); // the old environment is removed
  });

  it("no python3: one line saying how to fix it, nothing made", async () => {
    const p = await project("# nothing\n");
    const err = await failure(ensureCheckPython({ ...p, python3: path.join(work, "no-such-python3"), env: { ...process.env, CCASS_CHECK_PYTHON: "" } }));
    expect(err).toBeInstanceOf(CheckPythonEnvError);
    expect(err.message).not.toContain("\n");
    expect(err.message).toMatch(/no .*no-such-python3 on PATH: install Python 3 with its venv module, or set CCASS_CHECK_PYTHON/);
    expect(existsSync(p.link)).toBe(false);
    expect(venvFolders(p.cacheDir)).toEqual([]);
  });

  it("no venv module: one line naming python3-venv", async () => {
    const p = await project("# nothing\n");
    const fake = path.join(p.root, "python3");
    writeFileSync(fake, "#!/bin/sh\necho 'Error: /usr/bin/python3: No module named venv' >&2\nexit 1\n");
    chmodSync(fake, 0o755);
    const err = await failure(ensureCheckPython({ ...p, python3: fake, env: { ...process.env, CCASS_CHECK_PYTHON: "" } }));
    expect(err).toBeInstanceOf(CheckPythonEnvError);
    expect(err.message).not.toContain("\n");
    expect(err.message).toMatch(/-m venv failed \(.*No module named venv\): install the venv module \(Debian: apt-get install python3-venv\)/);
    expect(existsSync(p.link)).toBe(false);
  });

  it("pip fails: one line naming the requirements, no half-made venv left, no link", async () => {
    const p = await project("ccass-observatory-no-such-package==0.0.1\n");
    const err = await failure(ensureCheckPython({ ...p, env: { ...process.env, CCASS_CHECK_PYTHON: "" } }));
    expect(err).toBeInstanceOf(CheckPythonEnvError);
    expect(err.message).not.toContain("\n");
    expect(err.message).toMatch(/^pip could not install scripts\/check_dataset\.requirements\.txt into .* \(.*ccass-observatory-no-such-package.*\): check the network/);
    expect(existsSync(p.link)).toBe(false);
    expect(venvFolders(p.cacheDir)).toEqual([]);
  });

  it("CCASS_CHECK_PYTHON is used as it is, and one that does not exist is one line", async () => {
    const p = await project("# nothing\n");
    expect(await ensureCheckPython({ ...p, env: { CCASS_CHECK_PYTHON: process.execPath } })).toEqual({ python: process.execPath, state: "external" });
    expect(existsSync(p.link)).toBe(false);
    const err = await failure(ensureCheckPython({ ...p, env: { CCASS_CHECK_PYTHON: path.join(work, "nope") } }));
    expect(err.message).toMatch(/^CCASS_CHECK_PYTHON=.*nope does not exist/);
  });
});
