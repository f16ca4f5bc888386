// What git stores under the two-branch scheme (src/ops/data-branch.ts), measured with real git: a
// bare "origin", and for every night a fresh clone of main that overlays data-open, receives that
// date's daily files and syncs, as the nightly does. Sizes are of the blobs git holds (Parquet is
// already zstd-compressed, so git's zlib gains nothing on it) and of the origin's object store.
import { execFileSync } from "node:child_process";
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { openDataRepo, overlay, sync } from "../src/ops/data-branch.ts";
import { copyDays } from "../tests/helpers/dataset-days.ts";
import { diskUsage } from "../src/lib/disk-usage.ts";

const GIT_ENV = { GIT_AUTHOR_NAME: "bench", GIT_AUTHOR_EMAIL: "bench@example.com", GIT_COMMITTER_NAME: "bench", GIT_COMMITTER_EMAIL: "bench@example.com" };

function sh(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", env: { ...process.env, ...GIT_ENV }, maxBuffer: 256 * 1024 * 1024 }).trim();
}

/** Sum of the blob sizes in `ref`'s tree. */
function treeBytes(repo: string, ref: string): number {
  const listing = sh(repo, "ls-tree", "-r", "-l", ref);
  return listing.split("\n").filter(Boolean).reduce((s, line) => s + Number(line.split(/\s+/)[3]), 0);
}

export interface TwoBranchGrowth {
  nights: number;
  /** blobs main gained over the nights (the closed month, the dimension) */
  mainBytes: number;
  mainCommits: number;
  /** the largest data-open tree of any night (its transient size) */
  dataOpenMaxBytes: number;
  /** commits on data-open at the end (always 1) */
  dataOpenCommits: number;
  /** the origin's object store after the last night, before and after `git gc --prune=now` (replaced data-open commits are garbage) */
  originBytesBeforeGc: number;
  originBytesAfterGc: number;
  /** `git count-objects -v` of the origin before gc */
  originObjectsBeforeGc: { loose: number; looseKiB: number; packs: number; packKiB: number };
  secondsPerNight: number;
}

/** Run one night per date of `dates` (copied from `source`, a dataset of daily files) through the two-branch sync. */
export async function simulateNights(source: string, dates: readonly string[], work: string): Promise<TwoBranchGrowth> {
  const origin = path.join(work, "origin.git");
  sh(work, "init", "--quiet", "--bare", "-b", "main", origin);
  const seed = path.join(work, "seed");
  sh(work, "init", "--quiet", "-b", "main", seed);
  await writeFile(path.join(seed, "README.md"), "code\n");
  sh(seed, "add", "README.md");
  sh(seed, "commit", "--quiet", "-m", "code");
  sh(seed, "push", "--quiet", origin, "HEAD:main");
  const mainBefore = treeBytes(origin, "main");
  let dataOpenMaxBytes = 0;
  const t0 = performance.now();
  Object.assign(process.env, GIT_ENV);
  for (const [i, date] of dates.entries()) {
    const clone = path.join(work, `night-${i}`);
    // Depth 1, as actions/checkout: git then marks every commit the remote has as uninteresting
    // (pack-objects --shallow), so a night's push carries only that night's files. From a full clone
    // the replaced orphan commit is no edge of the new one, and the whole open month is sent again.
    sh(work, "clone", "--quiet", "--depth", "1", "--single-branch", "-b", "main", `file://${origin}`, clone);
    const repo = await openDataRepo({ cwd: clone });
    await overlay(repo);
    await copyDays(source, repo.out, [date]);
    await sync(repo, { mainBranch: "main", message: `data: CCASS ${date}` });
    dataOpenMaxBytes = Math.max(dataOpenMaxBytes, treeBytes(origin, "data-open"));
    await rm(clone, { recursive: true, force: true });
  }
  const secondsPerNight = (performance.now() - t0) / 1000 / dates.length;
  const objects = path.join(origin, "objects");
  const originBytesBeforeGc = (await diskUsage(objects)).bytes;
  const counted = Object.fromEntries(sh(origin, "count-objects", "-v").split("\n").map((l) => l.split(": ") as [string, string]));
  sh(origin, "gc", "--quiet", "--prune=now");
  const originBytesAfterGc = (await diskUsage(objects)).bytes;
  return {
    nights: dates.length,
    mainBytes: treeBytes(origin, "main") - mainBefore,
    mainCommits: Number(sh(origin, "rev-list", "--count", "main")) - 1,
    dataOpenMaxBytes,
    dataOpenCommits: Number(sh(origin, "rev-list", "--count", "data-open")),
    originBytesBeforeGc,
    originBytesAfterGc,
    originObjectsBeforeGc: { loose: Number(counted.count), looseKiB: Number(counted.size), packs: Number(counted.packs), packKiB: Number(counted["size-pack"]) },
    secondsPerNight,
  };
}
