// The two-branch dataset (src/ops/data-branch.ts, docs/OPERATIONS.md "Where the data lives"), with
// real git: a bare "origin" in a temp folder and a fresh clone per night, as a runner has. Nights
// copy one synthetic dataset's daily files in date by date. Checked: data-open stays one commit over
// several nights; a month close gives main only the compacted month and resets data-open; a fresh
// fork (main + data-open) rebuilds the same rows, and without data-open lacks only the open month;
// a crash between main's push and data-open's reset loses or doubles no row on the next night; the
// lease, the path checks and the close rule refuse what they must.
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sqlString } from "../src/lib/sql.ts";
import { TABLES } from "../src/dataset/layout.ts";
import { settlementDaysBetween } from "../src/lib/calendar.ts";
import { InvalidValueError } from "../src/lib/validate.ts";
import { changedFiles, close, DataBranchError, overlay, planClose, publish, sync, type DataRepo } from "../src/ops/data-branch.ts";
import { missingDates } from "../src/ops/missing.ts";
import { writeSyntheticDataset } from "../src/replica/dataset-writer.ts";
import { copyDays } from "./helpers/dataset-days.ts";
import { newOrigin as newOriginIn, runnerClone, sh } from "./helpers/git-origin.ts";

// October 2026 complete, then the first days of November (the open month).
const DATES = settlementDaysBetween("2026-10-01", "2026-11-04");
const OCT = DATES.filter((d) => d.startsWith("2026-10"));
const NOV = DATES.filter((d) => d.startsWith("2026-11"));
const ROOT = path.resolve(import.meta.dirname, "..");

let work: string;
let source: string;
let db: DuckDBInstance;
let c: DuckDBConnection;

const newOrigin = (name: string) => newOriginIn(work, name);

const runner = (origin: string, args: string[] = []) => runnerClone(work, origin, args);

/** What a scrape of `dates` adds: their daily files of every table, and the dimension. */
const scrape = (repo: DataRepo, dates: readonly string[]) => copyDays(source, repo.out, dates);

/** One nightly: fresh checkout, overlay, scrape, sync. */
async function night(origin: string, dates: readonly string[]): Promise<DataRepo> {
  const repo = await runner(origin);
  await overlay(repo);
  await scrape(repo, dates);
  await sync(repo, { mainBranch: "main", message: `data: CCASS ${dates.at(-1)}` });
  return repo;
}

const tree = (origin: string, ref: string) => sh(origin, "ls-tree", "-r", "--name-only", ref).split("\n").filter(Boolean);
const count = (origin: string, ref: string) => Number(sh(origin, "rev-list", "--count", ref));

async function rows(sql: string): Promise<number> {
  return Number((await c.runAndReadAll(sql)).getRows()[0]![0]);
}

/** Rows of `table` in `dir` that the source's dates ≤ `upTo` lack, plus the reverse (0 = same multiset of rows). */
async function differences(dir: string, table: string, upTo: string): Promise<number> {
  const a = `SELECT * FROM read_parquet(${sqlString(path.join(dir, table, "*", "*.parquet"))}, hive_partitioning = false)`;
  const b = `SELECT * FROM read_parquet(${sqlString(path.join(source, table, "*", "*.parquet"))}, hive_partitioning = false) WHERE date <= DATE ${sqlString(upTo)}`;
  return (await rows(`SELECT count(*) FROM ((${a}) EXCEPT ALL (${b}))`)) + (await rows(`SELECT count(*) FROM ((${b}) EXCEPT ALL (${a}))`));
}

async function sameAsSource(dir: string, upTo: string): Promise<void> {
  for (const t of TABLES) expect(await differences(dir, t, upTo), `${t} rows differ from the source`).toBe(0);
  const dim = (f: string) => `SELECT * FROM read_parquet(${sqlString(f)})`;
  expect(await rows(`SELECT count(*) FROM ((${dim(path.join(dir, "participants_dim.parquet"))}) EXCEPT ALL (${dim(path.join(source, "participants_dim.parquet"))}))`)).toBe(0);
}

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "data-branch-"));
  source = path.join(work, "source");
  await writeSyntheticDataset({ out: source, seed: 3, stocks: 4, days: DATES.length, end: DATES.at(-1)! });
  db = await DuckDBInstance.create(":memory:");
  c = await db.connect();
}, 120_000);
afterAll(async () => {
  c?.closeSync();
  db?.closeSync();
  await rm(work, { recursive: true, force: true });
});

describe("nightly publish and month close", () => {
  let origin: string;
  beforeAll(async () => {
    origin = await newOrigin("nightly");
  });

  it("keeps data-open at one commit over several nights, holding exactly the days scraped; main is untouched", async () => {
    for (const d of OCT.slice(0, 3)) await night(origin, [d]);
    expect(count(origin, "data-open")).toBe(1);
    const files = tree(origin, "data-open");
    expect(files.filter((f) => f.endsWith(".parquet") && !f.endsWith("participants_dim.parquet")).map((f) => path.basename(f, ".parquet")).sort()).toEqual(
      TABLES.flatMap((t) => OCT.slice(0, 3).filter((d) => existsSync(path.join(source, t, "month=2026-10", `${d}.parquet`)))).sort(),
    );
    expect(files).toContain("data/parquet/participants_dim.parquet");
    expect(count(origin, "main")).toBe(1);
    expect(tree(origin, "main")).toEqual(["README.md"]);
  }, 120_000);

  it("re-running a night's sync pushes nothing new", async () => {
    const before = sh(origin, "rev-parse", "data-open");
    const repo = await runner(origin);
    await overlay(repo);
    await scrape(repo, [OCT[2]!]);
    const r = await sync(repo, { mainBranch: "main", message: "again" });
    expect(r.dataOpen.pushed).toBe(false);
    expect(sh(origin, "rev-parse", "data-open")).toBe(before);
    expect(count(origin, "main")).toBe(1);
  }, 120_000);

  it("closes October on the first November night: main receives only the compacted month and the dimension, data-open is reset", async () => {
    await night(origin, OCT.slice(3));
    expect(count(origin, "main")).toBe(1); // October is still the newest month
    await night(origin, [NOV[0]!]);
    expect(count(origin, "main")).toBe(2);
    const added = sh(origin, "diff", "--name-status", "main~1", "main").split("\n").sort();
    expect(added).toEqual([...TABLES.map((t) => `A\tdata/parquet/${t}/month=2026-10/2026-10.parquet`), "A\tdata/parquet/participants_dim.parquet"].sort());
    expect(count(origin, "data-open")).toBe(1);
    expect(tree(origin, "data-open").every((f) => f.includes("/month=2026-11/"))).toBe(true);
    expect(tree(origin, "data-open").length).toBeGreaterThan(0);
  }, 180_000);

  it("a fresh fork (main + data-open) rebuilds the same rows; without data-open it lacks only the open month", async () => {
    const fork = await runner(origin, ["--single-branch", "-b", "main"]);
    const r = await overlay(fork);
    expect(r.commit).toBe(sh(origin, "rev-parse", "data-open"));
    await sameAsSource(fork.out, NOV[0]!);

    const mainOnly = path.join(work, "main-only.git");
    sh(work, "clone", "--quiet", "--bare", "--single-branch", "-b", "main", origin, mainOnly);
    const lone = await runner(mainOnly);
    expect((await overlay(lone)).commit).toBeNull();
    await sameAsSource(lone.out, OCT.at(-1)!);
    expect(await missingDates(lone.out, OCT[0]!, NOV[0]!)).toEqual([NOV[0]]);
  }, 120_000);

  it("lists as changed only what neither branch holds (a backfill shard's output)", async () => {
    const repo = await runner(origin);
    await overlay(repo);
    expect(await changedFiles(repo)).toEqual([]);
    await scrape(repo, [NOV[1]!]);
    expect(await changedFiles(repo)).toEqual(TABLES.filter((t) => existsSync(path.join(source, t, "month=2026-11", `${NOV[1]}.parquet`))).map((t) => `data/parquet/${t}/month=2026-11/${NOV[1]}.parquet`).sort());
  }, 60_000);
});

describe("a crash between main's push and data-open's reset", () => {
  it("is recovered by the next night: the closed month's days are folded, no row lost or doubled, main not rewritten", async () => {
    const origin = await newOrigin("crash");
    await night(origin, OCT);
    // The first November night dies after `close` pushed main, before the second publish.
    const repo = await runner(origin);
    await overlay(repo);
    await scrape(repo, [NOV[0]!]);
    await publish(repo);
    await close(repo, { mainBranch: "main", message: "data: October" });
    expect(tree(origin, "main")).toContain("data/parquet/holdings/month=2026-10/2026-10.parquet");
    expect(tree(origin, "data-open")).toContain(`data/parquet/holdings/month=2026-10/${OCT[0]}.parquet`);
    const monthBlob = sh(origin, "rev-parse", "main:data/parquet/holdings/month=2026-10/2026-10.parquet");

    const next = await runner(origin);
    const r = await overlay(next);
    expect(r.folded).toBe(TABLES.length);
    await sameAsSource(next.out, NOV[0]!);
    await scrape(next, [NOV[1]!]);
    await sync(next, { mainBranch: "main", message: `data: CCASS ${NOV[1]}` });
    expect(count(origin, "main")).toBe(2); // the fold rewrote October byte for byte: nothing to commit
    expect(sh(origin, "rev-parse", "main:data/parquet/holdings/month=2026-10/2026-10.parquet")).toBe(monthBlob);
    expect(tree(origin, "data-open").some((f) => f.includes("month=2026-10"))).toBe(false);

    const fork = await runner(origin);
    await overlay(fork);
    await sameAsSource(fork.out, NOV[1]!);
  }, 240_000);
});

describe("a late date in a closed month", () => {
  it("(a backfill shard's daily file) is folded into main's month file, which main receives once, changed; data-open keeps none of it", async () => {
    const origin = await newOrigin("late");
    await night(origin, [...OCT, NOV[0]!]);
    await night(origin, [NOV[1]!]);
    expect(count(origin, "main")).toBe(2);
    const before = sh(origin, "rev-parse", "main:data/parquet/stocks/month=2026-10/2026-10.parquet");
    // A re-scrape of one October date with other names, as merge-shards copies it in.
    const repo = await runner(origin);
    await overlay(repo);
    const late = path.join(repo.out, "stocks", "month=2026-10", `${OCT[4]}.parquet`);
    await c.run(`COPY (SELECT * REPLACE (stock_name || ' (RENAMED)' AS stock_name) FROM read_parquet(${sqlString(path.join(source, "stocks", "month=2026-10", `${OCT[4]}.parquet`))}, hive_partitioning = false)) TO ${sqlString(late)} (FORMAT parquet)`);
    await sync(repo, { mainBranch: "main", message: "data: backfill" });
    expect(count(origin, "main")).toBe(3);
    expect(sh(origin, "diff", "--name-status", "main~1", "main").split("\n")).toEqual(["M\tdata/parquet/stocks/month=2026-10/2026-10.parquet"]);
    expect(sh(origin, "rev-parse", "main:data/parquet/stocks/month=2026-10/2026-10.parquet")).not.toBe(before);
    expect(tree(origin, "data-open").some((f) => f.includes("month=2026-10"))).toBe(false);
    const fork = await runner(origin);
    await overlay(fork);
    const glob = sqlString(path.join(fork.out, "stocks", "*", "*.parquet"));
    expect(await rows(`SELECT count(*) FROM read_parquet(${glob}, hive_partitioning = false) WHERE date = DATE ${sqlString(OCT[4]!)} AND stock_name NOT LIKE '% (RENAMED)'`)).toBe(0);
    expect(await rows(`SELECT count(*) FROM read_parquet(${glob}, hive_partitioning = false) WHERE date = DATE ${sqlString(OCT[4]!)}`)).toBe(
      await rows(`SELECT count(*) FROM read_parquet(${sqlString(path.join(source, "stocks", "month=2026-10", `${OCT[4]}.parquet`))})`),
    );
    expect(await differences(fork.out, "holdings", NOV[1]!)).toBe(0);
  }, 180_000);
});

describe("the command line, as the workflows run it", () => {
  it("overlays from a depth-1 checkout of data-open onto a depth-1 checkout of main and prints main= and data_open= for $GITHUB_OUTPUT", async () => {
    const origin = await newOrigin("cli");
    await night(origin, OCT.slice(0, 2));
    const repo = await runner(`file://${origin}`, ["--depth", "1"]); // as actions/checkout leaves main
    const checkout = path.join(repo.root, ".data-open");
    sh(work, "clone", "--quiet", "--depth", "1", "--branch", "data-open", `file://${origin}`, checkout);
    const cli = (...args: string[]) =>
      execFileSync(process.execPath, ["--import", pathToFileURL(path.join(ROOT, "node_modules", "tsx", "dist", "loader.mjs")).href, path.join(ROOT, "scripts", "data-branch.ts"), ...args], { cwd: repo.root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    expect(cli("overlay", "--from", ".data-open", "--out", "data/parquet")).toBe(`data_open=${sh(origin, "rev-parse", "data-open")}\n`);
    await scrape(repo, [OCT[2]!]);
    const printed = cli("sync", "--out", "data/parquet", "--main", "main", "--message", "data: test");
    expect(printed).toBe(`main=${sh(origin, "rev-parse", "main")}\ndata_open=${sh(origin, "rev-parse", "data-open")}\n`);
    expect(tree(origin, "data-open").filter((f) => f.startsWith("data/parquet/stocks/"))).toHaveLength(3);
    // an absent --from folder is "no data-open yet" (the workflows' checkout of a missing branch failed)
    expect(cli("overlay", "--from", "no-such-folder")).toBe("data_open=\n");
  }, 120_000);
});

describe("the nightly's two jobs, as the workflows run them (a read-only scrape, then the commit job)", () => {
  const cliIn = (cwd: string, ...args: string[]) =>
    execFileSync(process.execPath, ["--import", pathToFileURL(path.join(ROOT, "node_modules", "tsx", "dist", "loader.mjs")).href, path.join(ROOT, "scripts", "data-branch.ts"), ...args], { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

  /** The scrape job: depth-1 checkouts, overlay (its printed commit is the job's output), scrape, the dataset copied out as the artifact. */
  async function scrapeJob(origin: string, dates: readonly string[]): Promise<{ overlaid: string; artifact: string }> {
    const repo = await runner(`file://${origin}`, ["--depth", "1"]);
    sh(work, "clone", "--quiet", "--depth", "1", "--branch", "data-open", `file://${origin}`, path.join(repo.root, ".data-open"));
    const overlaid = /^data_open=(\w*)$/m.exec(cliIn(repo.root, "overlay", "--from", ".data-open", "--out", "data/parquet"))![1]!;
    await scrape(repo, dates);
    const artifact = path.join(work, `artifact-${path.basename(repo.root)}`);
    execFileSync("cp", ["-a", repo.out, artifact]);
    return { overlaid, artifact };
  }

  /** The commit job: a fresh checkout, that data-open commit overlaid, the artifact put in place of the dataset, sync. */
  async function commitJob(origin: string, overlaid: string, artifact: string): Promise<string> {
    const repo = await runner(`file://${origin}`, ["--depth", "1"]);
    const open = path.join(repo.root, ".data-open");
    // as actions/checkout fetches a commit by its SHA (depth 1), which works on GitHub even after a
    // force-push left it unreachable (until garbage collection): the lease, not the fetch, must refuse
    sh(work, "init", "--quiet", open);
    sh(open, "fetch", "--quiet", "--depth", "1", `file://${origin}`, overlaid);
    sh(open, "checkout", "--quiet", "--detach", "FETCH_HEAD");
    cliIn(repo.root, "overlay", "--from", ".data-open", "--out", "data/parquet");
    await rm(repo.out, { recursive: true, force: true });
    execFileSync("cp", ["-a", artifact, repo.out]);
    return cliIn(repo.root, "sync", "--out", "data/parquet", "--main", "main", "--months-on", "data-open", "--message", "data: test");
  }

  it("the commit job publishes exactly what the scrape job scraped, leased on the data-open commit the scrape overlaid", async () => {
    const origin = await newOrigin("two-jobs");
    await night(origin, OCT.slice(0, 2));
    const before = sh(origin, "rev-parse", "data-open");
    const { overlaid, artifact } = await scrapeJob(origin, [OCT[2]!]);
    expect(overlaid).toBe(before);
    const printed = await commitJob(origin, overlaid, artifact);
    expect(printed).toBe(`main=${sh(origin, "rev-parse", "main")}\ndata_open=${sh(origin, "rev-parse", "data-open")}\n`);
    expect(sh(origin, "rev-parse", "data-open")).not.toBe(before);
    expect(count(origin, "data-open")).toBe(1);
    expect(tree(origin, "data-open").filter((f) => f.startsWith("data/parquet/stocks/")).map((f) => path.basename(f, ".parquet"))).toEqual(OCT.slice(0, 3));
    // a fresh fork of what was pushed holds the scraped rows
    const fork = await runner(origin);
    await overlay(fork);
    await sameAsSource(fork.out, OCT[2]!);
  }, 180_000);

  it("a writer that moved data-open while the scrape ran makes the commit job fail and push nothing", async () => {
    const origin = await newOrigin("two-jobs-race");
    sh(origin, "config", "uploadpack.allowAnySHA1InWant", "true"); // GitHub serves a commit by SHA
    await night(origin, [OCT[0]!]);
    const { overlaid, artifact } = await scrapeJob(origin, [OCT[2]!]);
    await night(origin, [OCT[1]!]); // a backfill's merge, say, between the two jobs
    const moved = sh(origin, "rev-parse", "data-open");
    await expect(commitJob(origin, overlaid, artifact)).rejects.toThrow(/not the commit this checkout overlaid/);
    expect(sh(origin, "rev-parse", "data-open")).toBe(moved);
  }, 180_000);
});

describe("refusals", () => {
  it("never replaces a data-open this checkout did not overlay (lease)", async () => {
    const origin = await newOrigin("lease");
    await night(origin, [OCT[0]!]);
    const late = await runner(origin);
    await overlay(late);
    await night(origin, [OCT[1]!]); // another run moved data-open meanwhile
    const moved = sh(origin, "rev-parse", "data-open");
    await scrape(late, [OCT[2]!]);
    await expect(publish(late)).rejects.toThrow(DataBranchError);
    await expect(publish(late)).rejects.toThrow(/not the commit this checkout overlaid/);
    expect(sh(origin, "rev-parse", "data-open")).toBe(moved);
    // A checkout that never overlaid leases on "absent", so it cannot replace an existing data-open either.
    const blind = await runner(origin);
    await mkdir(blind.out, { recursive: true });
    await scrape(blind, [OCT[3]!]);
    await expect(publish(blind)).rejects.toThrow(DataBranchError);
    expect(sh(origin, "rev-parse", "data-open")).toBe(moved);
  }, 120_000);

  it("refuses to overlay a data-open holding anything but dataset files, and writes nothing", async () => {
    const origin = await newOrigin("hostile");
    const repo = await runner(origin);
    await mkdir(path.join(repo.root, ".github", "workflows"), { recursive: true });
    await writeFile(path.join(repo.root, ".github", "workflows", "evil.yml"), "on: push\n");
    sh(repo.root, "checkout", "--quiet", "--orphan", "data-open");
    sh(repo.root, "add", ".github/workflows/evil.yml");
    sh(repo.root, "commit", "--quiet", "-m", "evil");
    sh(repo.root, "push", "--quiet", "origin", "data-open");
    const victim = await runner(origin);
    await expect(overlay(victim)).rejects.toThrow(/not a dataset file; refusing to overlay/);
    expect(existsSync(path.join(victim.root, ".github"))).toBe(false);
  }, 60_000);

  it("refuses to publish or close a stray file in the dataset folder, and pushes nothing", async () => {
    const origin = await newOrigin("stray");
    const repo = await runner(origin);
    await mkdir(repo.out, { recursive: true });
    await scrape(repo, [OCT[0]!]);
    await writeFile(path.join(repo.out, "notes.txt"), "a note\n");
    await expect(publish(repo)).rejects.toThrow(/data\/parquet\/notes\.txt is not a dataset file/);
    await expect(close(repo, { mainBranch: "main", message: "x" })).rejects.toThrow(DataBranchError);
    expect(sh(origin, "branch", "--list")).not.toMatch(/data-open/);
    expect(count(origin, "main")).toBe(1);
  }, 60_000);

  it("keeps a month with a missing settlement day open, until it is final or named", async () => {
    const dir = path.join(work, "gap");
    await copyDays(source, dir, [...OCT.filter((x) => x !== OCT[5]), NOV[0]!], { dimension: false });
    expect(await planClose(dir)).toEqual({ newest: NOV[0], close: [], open: ["2026-10", "2026-11"] });
    // Final once its last day (31 October) is more than finalDays before the newest date (2 November).
    expect((await planClose(dir, { finalDays: 2 })).close).toEqual([]);
    expect((await planClose(dir, { finalDays: 1 })).close).toEqual([{ month: "2026-10", why: "final" }]);
    expect((await planClose(dir, { months: ["2026-10"] })).close).toEqual([{ month: "2026-10", why: "asked" }]);
    await expect(planClose(dir, { months: ["2026-13"] })).rejects.toThrow(InvalidValueError);
  }, 60_000);
});

describe("moving from a main that tracks daily files", () => {
  it("main sheds October's daily files in the same commit that adds its month file", async () => {
    const origin = await newOrigin("legacy");
    const old = await runner(origin);
    await mkdir(old.out, { recursive: true });
    await scrape(old, OCT);
    sh(old.root, "add", "data/parquet");
    sh(old.root, "commit", "--quiet", "-m", "old nightly");
    sh(old.root, "push", "--quiet", "origin", "HEAD:main");
    await night(origin, [NOV[0]!]);
    expect(tree(origin, "main").filter((f) => f.startsWith("data/parquet/holdings/"))).toEqual(["data/parquet/holdings/month=2026-10/2026-10.parquet"]);
    const fork = await runner(origin);
    await overlay(fork);
    await sameAsSource(fork.out, NOV[0]!);
  }, 120_000);
});
