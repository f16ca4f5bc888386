// Published files are deterministic: two cold exports of the same dataset (each its own process
// and its own fresh cache folder, so the cache, the pairing and every COPY run again) give the same
// bytes in every file of the tree, whatever files the export holds (the whole tree is compared).
// health.json and badge.json report freshness against the build's date: CCASS_TODAY pins it.
import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeSyntheticDataset } from "../src/replica/dataset-writer.ts";
import { writeFixture } from "./analytics-fixture.ts";

const REPO = path.resolve(import.meta.dirname, "..");

let scratch: string;
const datasets: Record<string, string> = {};

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), "ccass-determinism-"));
  // Seed 2, 100 × 60: planted transfers (grouped ones too), splits, a consolidation and placings.
  datasets.replica = path.join(scratch, "parquet");
  await writeSyntheticDataset({ out: datasets.replica, seed: 2, stocks: 100, days: 60, end: "2026-11-20" });
  // The hand-made fixture: a split, a placing, a one-to-many transfer, a sell-out, a delisting, southbound without summary.
  datasets.fixture = await writeFixture();
}, 120_000);
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
  if (datasets.fixture) await rm(datasets.fixture, { recursive: true, force: true });
});

function exportTree(data: string, out: string, cache: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(REPO, "scripts", "export-api.ts"), "--data", data, "--out", out, "--quiet"], {
      cwd: REPO,
      env: { ...process.env, CCASS_CACHE: cache, CCASS_TODAY: "2026-11-23" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`export-api exited ${code}: ${stderr}`))));
  });
}

/** Every file below `dir`, as sorted relative paths. */
async function files(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

describe("static export determinism", () => {
  it.each([
    ["replica", 100],
    ["fixture", 10],
  ])("two cold exports of the same data (%s dataset) are byte-identical, file for file", async (name, minFiles) => {
    const data = datasets[name] as string;
    const a = path.join(scratch, `${name}-a`);
    const b = path.join(scratch, `${name}-b`);
    // Side by side, each with its own cache: nothing is shared, and thread timing differs between them.
    await Promise.all([exportTree(data, a, path.join(scratch, `${name}-cache-a`)), exportTree(data, b, path.join(scratch, `${name}-cache-b`))]);
    const [inA, inB] = await Promise.all([files(a), files(b)]);
    expect(inA.length).toBeGreaterThan(minFiles);
    expect(inA).toContain("downloads/trends-top10.parquet");
    expect(inB).toEqual(inA);
    const differing: string[] = [];
    for (const f of inA) {
      const [x, y] = await Promise.all([readFile(path.join(a, f)), readFile(path.join(b, f))]);
      if (!x.equals(y)) differing.push(f);
    }
    expect(differing, `files differing between two cold exports: ${differing.join(", ")}`).toEqual([]);
  }, 300_000);
});
