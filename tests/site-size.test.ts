// The site's size guard (scripts/lib/site-size.ts): CCASS_SITE_MAX_BYTES is read before any work, a
// bad value is one line and exit 1; the check counts every file's bytes and names the largest folders.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertSiteSize, DEFAULT_SITE_MAX_BYTES, siteMaxBytes, SiteMaxBytesError, SiteTooLargeError } from "../scripts/lib/site-size.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "site-size-"));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe("CCASS_SITE_MAX_BYTES", () => {
  it("is a positive integer of bytes, 1 GB when unset; anything else is a SiteMaxBytesError", () => {
    expect(siteMaxBytes(undefined)).toBe(DEFAULT_SITE_MAX_BYTES);
    expect(siteMaxBytes("")).toBe(1_000_000_000);
    expect(siteMaxBytes("2000000000")).toBe(2_000_000_000);
    for (const bad of ["0", "-1", "1e9", "1GB", "1.5", "9007199254740993"]) expect(() => siteMaxBytes(bad), bad).toThrow(SiteMaxBytesError);
  });

  it("a bad value stops npm run build before any work: one line, exit 1, no output folder", async () => {
    const out = path.join(work, "dist");
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts", "build-site.ts"), "--data", work, "--out", out, "--allow-empty"], {
        cwd: ROOT,
        env: { ...process.env, CCASS_SITE_MAX_BYTES: "1GB" },
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
      child.on("exit", (code) => resolve({ code, stderr }));
    });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/^build-site: SiteMaxBytesError: CCASS_SITE_MAX_BYTES must be a positive integer .*got "1GB"\n$/);
    expect(existsSync(out)).toBe(false);
  }, 60_000);
});

describe("assertSiteSize", () => {
  it("passes a tree at the limit and refuses one byte more, naming the largest folders four levels down", async () => {
    const dir = path.join(work, "tree");
    const files: Record<string, number> = {
      "index.html": 100,
      "_file/api/v1/history/00001/2025.parquet": 5000,
      "_file/api/v1/history/00002/2025.parquet": 3000,
      "_file/api/v1/stocks/00001.json": 2000,
      "_file/components/vendor/duckdb/x.wasm": 4000,
    };
    for (const [f, n] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(dir, f)), { recursive: true });
      await writeFile(path.join(dir, f), "x".repeat(n));
    }
    expect(await assertSiteSize(dir, 14_100)).toBe(14_100);
    const err = await assertSiteSize(dir, 14_099).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SiteTooLargeError);
    expect((err as SiteTooLargeError).bytes).toBe(14_100);
    expect((err as Error).message).toMatch(/largest: _file\/api\/v1\/history 0\.0 MB, _file\/components\/vendor\/duckdb 0\.0 MB, _file\/api\/v1\/stocks 0\.0 MB;/);
  });
});
