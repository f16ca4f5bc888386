// "dist/ is replaced only on success" (README, `npm run build`): a build whose data loader exits 1
// midway (after Framework has rendered the pages) leaves the previous site exactly as it was, and
// leaves no half-built folder beside it; the same build with the loader fixed replaces it. A site over
// CCASS_SITE_MAX_BYTES (GitHub Pages' 1 GB) is refused the same way (scripts/lib/site-size.ts).
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSite, BuildSiteError } from "../scripts/build-site.ts";
import { SiteTooLargeError } from "../scripts/lib/site-size.ts";
import { withEnv } from "./helpers/env.ts";

let work: string;
let out: string;
let data: string;
const OLD = { "index.html": "<h1>the last good site</h1>", "_file/api/v1/badge.json": '{"message":"2026-11-20"}' };

async function snapshot(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const full = path.join(e.parentPath, e.name);
    files[path.relative(dir, full)] = await readFile(full, "utf8");
  }
  return files;
}

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "site-build-failure-"));
  out = path.join(work, "dist");
  data = path.join(work, "data"); // empty: the no-data site, the quickest real build
  await mkdir(data);
  for (const [file, text] of Object.entries(OLD)) {
    await mkdir(path.dirname(path.join(out, file)), { recursive: true });
    await writeFile(path.join(out, file), text);
  }
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** The error of the no-data site's build with one environment variable set (restored after). */
async function failedBuildWith(name: string, value: string): Promise<unknown> {
  return withEnv(name, value, () => buildSite({ data, out, exportApi: false, verbose: false, allowEmpty: true }).then(() => undefined, (e: unknown) => e));
}

describe("npm run build", () => {
  it("keeps the old dist/ intact when a data loader exits 1 midway", async () => {
    // The health loader judges freshness against CCASS_TODAY and exits 1 on a value that is no date.
    const err = await failedBuildWith("CCASS_TODAY", "not-a-date");
    expect(err).toBeInstanceOf(BuildSiteError);
    const e = err as BuildSiteError;
    expect(e.message).toMatch(/observable\.js build exited with 1/);
    expect(e.message).toMatch(/health\.json/);
    expect(await snapshot(out)).toEqual(OLD);
    expect((await readdir(work)).sort()).toEqual(["data", "dist"]); // no dist.tmp-… left beside it
    // The staging folder is kept for inspection, as the error says.
    expect(existsSync(e.staging)).toBe(true);
    await rm(e.staging, { recursive: true, force: true });
  });

  it("keeps the old dist/ when the new site is over CCASS_SITE_MAX_BYTES, and names where its bytes are", async () => {
    // the no-data site alone is tens of MB (DuckDB-WASM)
    const err = await failedBuildWith("CCASS_SITE_MAX_BYTES", "1000000");
    expect(err).toBeInstanceOf(SiteTooLargeError);
    const e = err as SiteTooLargeError;
    expect(e.max).toBe(1_000_000);
    expect(e.bytes).toBeGreaterThan(1_000_000);
    expect(e.message).not.toContain("\n");
    expect(e.message).toMatch(/^the site would be [\d.]+ MB, over CCASS_SITE_MAX_BYTES 1000000 \(1\.0 MB\); largest: _file\/components\/vendor\/duckdb [\d.]+ MB/);
    expect(e.message).toMatch(/CCASS_SITE_MONTH_END_YEARS=0, CCASS_SITE_FULL_YEARS=1.*CCASS_DATA_HOST/);
    expect(await snapshot(out)).toEqual(OLD);
    expect((await readdir(work)).sort()).toEqual(["data", "dist"]);
  }, 240_000);

  it("replaces dist/ when the same build succeeds", async () => {
    await buildSite({ data, out, exportApi: false, verbose: false, allowEmpty: true });
    const built = await snapshot(out);
    expect(built["index.html"]).toBeDefined();
    expect(built["index.html"]).not.toBe(OLD["index.html"]);
    expect(Object.keys(built)).not.toContain("_file/api/v1/badge.json");
    expect(Object.keys(built).some((f) => f.startsWith("_file/data/health."))).toBe(true);
    expect((await readdir(work)).sort()).toEqual(["data", "dist"]);
  }, 240_000);
});
