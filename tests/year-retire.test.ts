// Closed years leave the git branches once published (src/ops/data-branch.ts `retire`,
// src/ops/publish-year.ts, src/ops/fetch-dataset.ts), with real git (a bare "origin" in a temp
// folder, a fresh clone per run, as a runner has) and the Releases stand-in on 127.0.0.1:0
// (tests/helpers/release-stand-in.ts). Checked: with `--months-on data-open` a closed month never
// enters main; a closed year is published and then leaves main and data-open in one run, main
// receiving only the manifest; a fresh clone fetches it back and rebuilds every row; a later sync
// never re-commits the fetched files; a run cut short after the release (manifest lost with the
// runner) or between main's push and data-open's reset is finished by the next; a year main tracks
// from before the scheme leaves main; other bytes for a published year are refused.
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { execFile } from "node:child_process";
import { readFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sqlString } from "../src/lib/sql.ts";
import { TABLES } from "../src/dataset/layout.ts";
import { settlementDaysBetween } from "../src/lib/calendar.ts";
import { changedFiles, DataBranchError, openDataRepo, overlay, publish, retire, sync, type DataRepo } from "../src/ops/data-branch.ts";
import { fetchDataset } from "../src/ops/fetch-dataset.ts";
import { publishableYears, publishYear } from "../src/ops/publish-year.ts";
import { readManifest, type Manifest } from "../src/ops/year-manifest.ts";
import { writeSyntheticDataset } from "../src/replica/dataset-writer.ts";
import { copyDays } from "./helpers/dataset-days.ts";
import { newOrigin as newOriginIn, runnerClone, sh } from "./helpers/git-origin.ts";
import { StandIn } from "./helpers/release-stand-in.ts";

// December 2025 complete (a closed year's last month), then the first days of 2026.
const DATES = settlementDaysBetween("2025-12-01", "2026-01-07");
const DEC = DATES.filter((d) => d.startsWith("2025-"));
const JAN = DATES.filter((d) => d.startsWith("2026-"));
const ROOT = path.resolve(import.meta.dirname, "..");

let work: string;
let source: string;
let api: StandIn;
let db: DuckDBInstance;
let c: DuckDBConnection;

const newOrigin = (name: string) => newOriginIn(work, name);

const runner = (origin: string, args: string[] = []) => runnerClone(work, origin, args);

const tree = (origin: string, ref: string) => sh(origin, "ls-tree", "-r", "--name-only", ref).split("\n").filter(Boolean);
const count = (origin: string, ref: string) => Number(sh(origin, "rev-list", "--count", ref));

/** A nightly of the new scheme: fresh checkout, overlay, the closed years fetched back, scrape, sync with months kept on data-open. */
async function night(origin: string, dates: readonly string[], monthsOnMain = false): Promise<DataRepo> {
  const repo = await runner(origin);
  await overlay(repo);
  await fetchBack(repo);
  await copyDays(source, repo.out, dates);
  await sync(repo, { mainBranch: "main", message: `data: CCASS ${dates.at(-1)}`, monthsOnMain });
  return repo;
}

async function fetchBack(repo: DataRepo): Promise<void> {
  const manifest: Manifest = repo.published.size ? await readManifest(repo.manifestPath) : { version: 1, years: {} };
  await fetchDataset({ manifest, out: repo.out, attempts: 1 });
}

const publishOpts = (repo: DataRepo, year: number, manifest: Manifest) => ({ data: repo.out, year, repo: "o/r", token: "t0ken", api: api.base, manifest, manifestPath: repo.manifestPath, attempts: 2 });

async function rows(sql: string): Promise<number> {
  return Number((await c.runAndReadAll(sql)).getRows()[0]![0]);
}

/** Every table holds exactly the source's rows up to `upTo`. */
async function sameAsSource(dir: string, upTo: string): Promise<void> {
  for (const t of TABLES) {
    const a = `SELECT * FROM read_parquet(${sqlString(path.join(dir, t, "*", "*.parquet"))}, hive_partitioning = false)`;
    const b = `SELECT * FROM read_parquet(${sqlString(path.join(source, t, "*", "*.parquet"))}, hive_partitioning = false) WHERE date <= DATE ${sqlString(upTo)}`;
    const diff = (await rows(`SELECT count(*) FROM ((${a}) EXCEPT ALL (${b}))`)) + (await rows(`SELECT count(*) FROM ((${b}) EXCEPT ALL (${a}))`));
    expect(diff, `${t} rows differ from the source`).toBe(0);
  }
}

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "year-retire-"));
  source = path.join(work, "source");
  await writeSyntheticDataset({ out: source, seed: 5, stocks: 4, days: DATES.length, end: DATES.at(-1)! });
  api = new StandIn();
  await api.start();
  db = await DuckDBInstance.create(":memory:");
  c = await db.connect();
}, 120_000);
afterAll(async () => {
  await api?.stop();
  c?.closeSync();
  db?.closeSync();
  await rm(work, { recursive: true, force: true });
});

describe("a closed year published once leaves both branches", () => {
  let origin: string;
  beforeAll(async () => {
    origin = await newOrigin("years");
    api.releases = [];
  });

  it("closed months stay off main (on data-open, compacted); the year is publishable once its months are closed", async () => {
    await night(origin, DEC);
    const repo = await night(origin, [JAN[0]!]);
    expect(count(origin, "main")).toBe(1);
    expect(tree(origin, "main")).toEqual(["README.md"]);
    expect(tree(origin, "data-open")).toEqual(expect.arrayContaining(TABLES.map((t) => `data/parquet/${t}/month=2025-12/2025-12.parquet`)));
    expect(tree(origin, "data-open").filter((f) => f.includes("month=2025-12/2025-12-"))).toEqual([]);
    expect(await publishableYears(repo.out)).toEqual([2025]);
  }, 240_000);

  it("a run cut short after the release went public (its manifest lost with the runner) is finished by the next run, which uploads nothing", async () => {
    const first = await runner(origin);
    await overlay(first);
    const r1 = await publishYear(publishOpts(first, 2025, { version: 1, years: {} }));
    expect(r1.state).toBe("published");
    // the runner dies here: nothing was committed
    expect(tree(origin, "main")).toEqual(["README.md"]);
    const next = await runner(origin);
    await overlay(next);
    const uploads = api.uploads;
    const r2 = await publishYear(publishOpts(next, 2025, { version: 1, years: {} }));
    expect([r2.state, r2.uploaded, api.uploads]).toEqual(["finished", [], uploads]);
    const done = await retire(await openDataRepo({ cwd: next.root }), { mainBranch: "main", message: "data: 2025 published" });
    expect(done.years).toEqual([2025]);
    expect(done.committed).toBe(true);
    expect(count(origin, "main")).toBe(2);
    expect(sh(origin, "diff", "--name-status", "main~1", "main")).toBe("A\tdata/releases.json");
    expect(tree(origin, "data-open").some((f) => f.includes("month=2025-"))).toBe(false);
    expect(tree(origin, "data-open").length).toBeGreaterThan(0);
  }, 240_000);

  it("a fresh clone fetches the year back (checksums verified) and holds every row; its next nights commit none of the fetched files", async () => {
    const fork = await runner(origin);
    await overlay(fork);
    expect(fork.published).toEqual(new Set([2025]));
    await fetchBack(fork);
    await sameAsSource(fork.out, JAN[0]!);
    expect(await changedFiles(fork)).toEqual([]);
    const before = sh(origin, "rev-parse", "data-open");
    expect((await publish(fork)).pushed).toBe(false);
    expect(sh(origin, "rev-parse", "data-open")).toBe(before);
    await night(origin, [JAN[1]!]);
    expect(count(origin, "main")).toBe(2);
    expect(tree(origin, "data-open").some((f) => f.includes("month=2025-"))).toBe(false);
    const again = await runner(origin);
    await overlay(again);
    await fetchBack(again);
    await sameAsSource(again.out, JAN[1]!);
  }, 240_000);

  it("refuses other bytes for a published year and changes nothing", async () => {
    const repo = await runner(origin);
    await overlay(repo);
    await fetchBack(repo);
    // a data-open that still holds the year (a run cut short before its reset), with one file altered
    const f = path.join(repo.out, "holdings", "month=2025-12", "2025-12.parquet");
    const sneaky = await openDataRepo({ cwd: repo.root, manifest: path.join(work, "no-manifest.json") });
    await writeFile(f, Buffer.concat([await readFile(f), Buffer.from("x")]));
    await publish(sneaky);
    const mainBefore = sh(origin, "rev-parse", "main");
    const openBefore = sh(origin, "rev-parse", "data-open");
    await expect(retire(repo, { mainBranch: "main", message: "x" })).rejects.toThrow(DataBranchError);
    await expect(retire(repo, { mainBranch: "main", message: "x" })).rejects.toThrow(/differs from the bytes published/);
    expect([sh(origin, "rev-parse", "main"), sh(origin, "rev-parse", "data-open")]).toEqual([mainBefore, openBefore]);
    // put right (the published bytes fetched back), the same run finishes: data-open is reset without the year
    await rm(f);
    await fetchBack(repo);
    const done = await retire(repo, { mainBranch: "main", message: "x" });
    expect([done.years, done.committed, done.dataOpen.pushed]).toEqual([[2025], false, true]);
    expect(tree(origin, "data-open").some((x) => x.includes("month=2025-"))).toBe(false);
  }, 240_000);
});

describe("the workflows' commands", () => {
  it("publish-year and data-branch retire, run as the nightly's publish job runs them, move a year main tracks from before the scheme to its release", async () => {
    const origin = await newOrigin("legacy");
    api.releases = [];
    // the old scheme: December committed to main as month files
    await night(origin, [...DEC, JAN[0]!], true);
    expect(tree(origin, "main")).toEqual(expect.arrayContaining(["data/parquet/holdings/month=2025-12/2025-12.parquet"]));
    const repo = await runner(origin);
    await overlay(repo);
    // asynchronous: the stand-in answers from this process, so a synchronous child would wait on it forever
    const cli = (script: string, ...args: string[]) =>
      new Promise<string>((resolve, reject) =>
        execFile(
          process.execPath,
          ["--import", pathToFileURL(path.join(ROOT, "node_modules", "tsx", "dist", "loader.mjs")).href, path.join(ROOT, "scripts", script), ...args],
          { cwd: repo.root, encoding: "utf8", env: { ...process.env, GITHUB_TOKEN: "t0ken", GITHUB_REPOSITORY: "o/r", GITHUB_API_URL: api.base } },
          (err, stdout, stderr) => (err ? reject(new Error(`${script} ${args.join(" ")}: ${stderr}`)) : resolve(stdout)),
        ),
      );
    expect(JSON.parse((await cli("publish-year.ts", "--data", "data/parquet")).trim())).toEqual({ year: 2025, state: "published", uploaded: TABLES.length + 1 });
    const printed = await cli("data-branch.ts", "retire", "--out", "data/parquet", "--main", "main", "--message", "data: 2025 published");
    expect(printed).toBe(`main=${sh(origin, "rev-parse", "main")}\ndata_open=${sh(origin, "rev-parse", "data-open")}\n`);
    expect(tree(origin, "main").filter((f) => f.includes("/month="))).toEqual([]);
    expect(tree(origin, "main")).toContain("data/releases.json");
    expect(sh(origin, "diff", "--name-status", "main~1", "main").split("\n")).toContain("A\tdata/releases.json");
    // a second run publishes nothing and commits nothing
    expect(JSON.parse((await cli("publish-year.ts", "--data", "data/parquet")).trim())).toEqual({ years: [], state: "nothing to publish" });
    const head = sh(origin, "rev-parse", "main");
    await cli("data-branch.ts", "retire", "--main", "main");
    expect(sh(origin, "rev-parse", "main")).toBe(head);
    const fork = await runner(origin);
    await overlay(fork);
    await fetchBack(fork);
    await sameAsSource(fork.out, JAN[0]!);
  }, 360_000);
});
