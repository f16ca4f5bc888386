// Issue #19: `npm run build -- --data /no/such/folder` (and export-api) used to exit 0 and replace the
// last good site with an empty one. A missing, empty or unreadable dataset is now one line on stderr,
// exit 1, and the old site or API tree kept as it was; an empty dataset builds only with --allow-empty.
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..");
let work: string;
// (index.json: export-api replaces only a folder that holds one, an earlier API tree)
const OLD = { "index.html": "<h1>the last good site</h1>", "index.json": "{}", "_file/api/v1/badge.json": '{"message":"2026-11-20"}' };

function runScript(script: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = { ...process.env, CCASS_CACHE: path.join(work, "cache") };
    delete env.CCASS_DATA;
    const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts", script), ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

async function snapshot(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) files[path.relative(dir, path.join(e.parentPath, e.name))] = await readFile(path.join(e.parentPath, e.name), "utf8");
  }
  return files;
}

/** A folder holding the last good site (or API tree). */
async function oldSite(name: string): Promise<string> {
  const out = path.join(work, name);
  for (const [file, text] of Object.entries(OLD)) {
    await mkdir(path.dirname(path.join(out, file)), { recursive: true });
    await writeFile(path.join(out, file), text);
  }
  return out;
}

let empty: string;
let notAFolder: string;
let tablesOnly: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "site-no-dataset-"));
  empty = path.join(work, "empty");
  await mkdir(empty);
  notAFolder = path.join(work, "file.parquet");
  await writeFile(notAFolder, "PAR1");
  // table folders but no data file in them (a scrape that never wrote a day)
  tablesOnly = path.join(work, "tables-only");
  await mkdir(path.join(tablesOnly, "holdings", "month=2026-11"), { recursive: true });
  await mkdir(path.join(tablesOnly, "_state"), { recursive: true });
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const CASES: [string, () => string, RegExp][] = [
  ["a missing folder", () => "/no/such/folder", /no dataset at \/no\/such\/folder: the folder does not exist/],
  ["an empty folder", () => empty, /no dataset at .*empty: the folder holds no data file .*--allow-empty/],
  ["table folders without data files", () => tablesOnly, /no dataset at .*tables-only: the folder holds no data file/],
  ["a file, not a folder", () => notAFolder, /no dataset at .*file\.parquet: cannot read the folder \(ENOTDIR\)/],
];

describe.each(["build-site.ts", "export-api.ts"])("%s", (script) => {
  const name = script.replace(/\.ts$/, "");
  it.each(CASES)("%s: one line on stderr, exit 1, the last good output kept", async (_what, data, message) => {
    const out = await oldSite(`${name}-${path.basename(data())}`);
    const r = await runScript(script, ["--data", data(), "--out", out]);
    expect(r.code, r.stderr).toBe(1);
    const lines = r.stderr.split("\n").filter((l) => l.trim() !== "");
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^${name}: DatasetMissingError: ${message.source}`));
    expect(await snapshot(out)).toEqual(OLD);
    expect((await readdir(work)).filter((f) => f.includes(".tmp"))).toEqual([]);
  });
});

it("export-api --allow-empty writes the no-data API from an empty folder", async () => {
  const out = path.join(work, "api-empty");
  const r = await runScript("export-api.ts", ["--data", empty, "--out", out, "--allow-empty", "--quiet"]);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/^export-api: \d+ files/);
  expect(JSON.parse(await readFile(path.join(out, "index.json"), "utf8"))).toBeTypeOf("object");
});
