// Closed years published once (src/ops/publish-year.ts) and fetched back (src/ops/fetch-dataset.ts),
// against local stand-ins on 127.0.0.1 (port 0): a GitHub Releases API that keeps releases and assets
// in memory, and the asset host, which answers with CORS, honours range requests, and on demand
// answers 404, stalls, truncates or alters a file. Nothing leaves the machine.
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchDataset, FetchDatasetError } from "../src/ops/fetch-dataset.ts";
import { closedYears, publishableYears, publishYear, PublishYearError } from "../src/ops/publish-year.ts";
import { formatManifest, parseManifest, readManifest, type Manifest } from "../src/ops/year-manifest.ts";
import { StandIn } from "./helpers/release-stand-in.ts";

let tmp: string;
let data: string;
let api: StandIn;
const manifestPath = () => path.join(tmp, "releases.json");

/** A dataset folder with month files of 2024, 2025 and 2026 (random bytes: the publisher does not read Parquet). */
async function writeMonths(dir: string, months: string[]) {
  for (const table of ["holdings", "summary"]) {
    for (const month of months) {
      const f = path.join(dir, table, `month=${month}`, `${month}.parquet`);
      await mkdir(path.dirname(f), { recursive: true });
      await writeFile(f, randomBytes(table === "holdings" ? 5000 : 700));
    }
  }
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), "ccass-year-release-"));
  data = path.join(tmp, "parquet");
  await writeMonths(data, ["2024-11", "2024-12", "2025-01", "2025-02", "2025-12", "2026-01"]);
  api = new StandIn();
  await api.start();
});
afterAll(async () => {
  api?.server.closeAllConnections();
  await new Promise((r) => api?.server.close(r));
  await rm(tmp, { recursive: true, force: true });
});

const opts = (year: number, manifest: Manifest, token = "t0ken") => ({ data, year, repo: "o/r", token, api: api.base, manifest, manifestPath: manifestPath(), attempts: 3 });

describe("publishing a closed year once", () => {
  it("the closed years are those before the latest year", async () => {
    expect(await closedYears(data)).toEqual([2024, 2025]);
  });

  it("a closed year is publishable only once every month of it is closed (no daily file left)", async () => {
    expect(await publishableYears(data)).toEqual([2024, 2025]);
    const daily = path.join(data, "holdings", "month=2025-02", "2025-02-03.parquet");
    await writeFile(daily, "x");
    try {
      expect(await publishableYears(data)).toEqual([2024]);
    } finally {
      await rm(daily);
    }
  });

  it("a run cut short leaves a draft that the next run finishes (half-uploaded asset replaced, flaky API retried); a third run uploads nothing", async () => {
    api.uploadLimit = 2;
    await expect(publishYear(opts(2025, { version: 1, years: {} }))).rejects.toThrow(PublishYearError);
    expect(existsSync(manifestPath())).toBe(false); // nothing recorded for a year not wholly public
    const draft = api.releases.find((r) => r.tag_name === "data-2025")!;
    expect(draft.draft).toBe(true);
    expect(draft.assets.length).toBe(2);
    draft.assets[1]!.state = "open"; // as GitHub shows an upload that broke off
    draft.assets[1]!.size = 17;
    api.uploadLimit = null;
    api.flakyUploads = 2;
    const r = await publishYear(opts(2025, { version: 1, years: {} }));
    expect(r.state).toBe("finished");
    expect(r.uploaded.length).toBe(6); // 3 months × 2 tables + SHA256SUMS, less the one good asset kept
    expect(api.releases.filter((x) => x.tag_name === "data-2025").length).toBe(1);
    expect(draft.draft).toBe(false);
    const m = await readManifest(manifestPath());
    expect(m.years["2025"]!.files.map((f) => f.path)).toEqual([
      "holdings/month=2025-01/2025-01.parquet", "holdings/month=2025-02/2025-02.parquet", "holdings/month=2025-12/2025-12.parquet",
      "summary/month=2025-01/2025-01.parquet", "summary/month=2025-02/2025-02.parquet", "summary/month=2025-12/2025-12.parquet",
    ]);
    for (const f of m.years["2025"]!.files) {
      expect(f.url).toBe(`${api.base}/dl/data-2025/${f.asset}`);
      expect(f.sha256).toBe(createHash("sha256").update(await readFile(path.join(data, f.path))).digest("hex"));
    }
    expect(draft.assets.map((a) => a.name).sort()).toContain("SHA256SUMS");
    // again: nothing is uploaded or changed, not even a request that writes
    api.calls = [];
    const again = await publishYear(opts(2025, m));
    expect(again.state).toBe("already");
    expect(api.calls).toEqual([]);
    expect(formatManifest(m)).toBe(await readFile(manifestPath(), "utf8"));
  });

  it("refuses to publish a closed year again with other bytes, and a bad token is one clear error", async () => {
    const m = await readManifest(manifestPath());
    const f = path.join(data, "summary", "month=2025-02", "2025-02.parquet");
    const keep = await readFile(f);
    await writeFile(f, randomBytes(700));
    try {
      await expect(publishYear(opts(2025, m))).rejects.toThrow("2025 is published already with other files (summary/month=2025-02/2025-02.parquet)");
    } finally {
      await writeFile(f, keep);
    }
    await expect(publishYear(opts(2024, m, "wrong"))).rejects.toThrow("listing the releases of o/r: HTTP 401");
    const r = await publishYear(opts(2024, m));
    expect(r.state).toBe("published");
    expect(Object.keys(r.manifest.years).sort()).toEqual(["2024", "2025"]);
    expect(Object.keys(JSON.parse(await readFile(manifestPath(), "utf8")).years)).toEqual(["2024", "2025"]); // written years ascending
  });
});

describe("fetch-dataset", () => {
  it("brings every year back byte for byte; a second run downloads nothing; --from limits the years", async () => {
    const manifest = await readManifest(manifestPath());
    const out = path.join(tmp, "fetched");
    api.downloads = [];
    const r = await fetchDataset({ manifest, out, attempts: 1 });
    expect(r.years).toEqual([2024, 2025]);
    expect(r.downloaded.length).toBe(10);
    for (const p of r.downloaded) expect((await readFile(path.join(out, p))).equals(await readFile(path.join(data, p))), p).toBe(true);
    api.downloads = [];
    const again = await fetchDataset({ manifest, out });
    expect([again.downloaded.length, again.kept.length, api.downloads.length]).toEqual([0, 10, 0]);
    const only = await fetchDataset({ manifest, out: path.join(tmp, "from-2025"), from: 2025 });
    expect(only.years).toEqual([2025]);
    expect(existsSync(path.join(tmp, "from-2025", "holdings", "month=2024-12"))).toBe(false);
    const upTo = await fetchDataset({ manifest, out: path.join(tmp, "to-2024"), to: 2024 });
    expect(upTo.years).toEqual([2024]);
    expect(existsSync(path.join(tmp, "to-2024", "holdings", "month=2025-01"))).toBe(false);
  });

  it("a truncated or altered download is caught by its checksum and retried; with no tries left nothing reaches its place", async () => {
    const manifest = await readManifest(manifestPath());
    const f = manifest.years["2025"]!.files[0]!;
    const one: Manifest = { version: 1, years: { "2025": { tag: "data-2025", files: [f] } } };
    const out = path.join(tmp, "faults");
    api.faults.set(f.asset, ["truncate", "corrupt"]);
    const logs: string[] = [];
    const r = await fetchDataset({ manifest: one, out, attempts: 3, log: (l) => logs.push(l) });
    expect(r.downloaded).toEqual([f.path]);
    expect(logs.filter((l) => l.includes("failed"))).toEqual([
      `${f.path}: attempt 1 of 3 failed: got ${f.bytes - 100} bytes, expected ${f.bytes}`,
      expect.stringMatching(new RegExp(`^${f.path.replace(/[.=]/g, "\\$&")}: attempt 2 of 3 failed: sha256 [0-9a-f]{64}, expected ${f.sha256}$`)),
    ]);
    await rm(out, { recursive: true });
    api.faults.set(f.asset, ["corrupt"]);
    await expect(fetchDataset({ manifest: one, out, attempts: 1 })).rejects.toThrow(FetchDatasetError);
    expect(existsSync(path.join(out, f.path))).toBe(false);
  });

  it("a 404 is one clear error naming the asset; a host that stalls is given up after the stall limit", async () => {
    const manifest = await readManifest(manifestPath());
    const f = manifest.years["2024"]!.files[0]!;
    const one: Manifest = { version: 1, years: { "2024": { tag: "data-2024", files: [f] } } };
    const out = path.join(tmp, "errors");
    api.faults.set(f.asset, ["404"]);
    await expect(fetchDataset({ manifest: one, out })).rejects.toThrow(`${f.path}: ${f.url} answered 404 (asset missing from the release)`);
    api.faults.set(f.asset, ["stall", "stall"]);
    await expect(fetchDataset({ manifest: one, out, attempts: 2, stallMs: 300 })).rejects.toThrow(`not fetched after 2 attempts (${f.url}: no data for 300 ms)`);
    expect(existsSync(path.join(out, f.path))).toBe(false);
  });

  it("resumes a partial download with a range request (the host answers 206)", async () => {
    const manifest = await readManifest(manifestPath());
    const f = manifest.years["2025"]!.files.find((x) => x.path.startsWith("holdings"))!;
    const one: Manifest = { version: 1, years: { "2025": { tag: "data-2025", files: [f] } } };
    const out = path.join(tmp, "resume");
    const whole = await readFile(path.join(data, f.path));
    await mkdir(path.dirname(path.join(out, f.path)), { recursive: true });
    await writeFile(path.join(out, `${f.path}.part`), whole.subarray(0, 3000));
    api.downloads = [];
    await fetchDataset({ manifest: one, out, attempts: 1 });
    expect(api.downloads).toEqual([{ name: f.asset, range: "bytes=3000-" }]);
    expect((await readFile(path.join(out, f.path))).equals(whole)).toBe(true);
    expect(existsSync(path.join(out, `${f.path}.part`))).toBe(false);
  });

  it("the asset host answers with CORS (what a browser on another origin needs)", async () => {
    const f = (await readManifest(manifestPath())).years["2025"]!.files[0]!;
    const r = await fetch(f.url, { headers: { origin: "https://example.org", range: "bytes=0-" } });
    expect([r.status, r.headers.get("access-control-allow-origin"), r.headers.get("accept-ranges")]).toEqual([206, "*", "bytes"]);
    await r.arrayBuffer();
  });

  it("a manifest that names a path outside the dataset, a non-https URL or a bad checksum is refused with the place named", () => {
    const good = { path: "holdings/month=2025-01/2025-01.parquet", asset: "holdings.2025-01.parquet", url: "https://github.com/o/r/releases/download/data-2025/holdings.2025-01.parquet", bytes: 1, sha256: "a".repeat(64) };
    const m = (f: object) => JSON.stringify({ version: 1, years: { "2025": { tag: "data-2025", files: [{ ...good, ...f }] } } });
    expect(parseManifest(m({}), "x.json").years["2025"]!.files[0]).toEqual(good);
    expect(() => parseManifest(m({ path: "../etc/month=2025-01/2025-01.parquet" }), "x.json")).toThrow('x.json: year 2025, "../etc/month=2025-01/2025-01.parquet": not a month file of the dataset');
    expect(() => parseManifest(m({ path: "holdings/month=2024-01/2024-01.parquet" }), "x.json")).toThrow("not a month of 2025");
    expect(() => parseManifest(m({ url: "http://example.org/x" }), "x.json")).toThrow("url must be https");
    expect(() => parseManifest(m({ sha256: "A".repeat(64) }), "x.json")).toThrow("sha256 must be 64 lowercase hex digits");
    expect(() => parseManifest("{", "x.json")).toThrow(/^x\.json: not JSON/);
  });
});
