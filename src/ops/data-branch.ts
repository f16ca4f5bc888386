// Where the committed dataset lives in git (docs/OPERATIONS.md "Where the data lives"):
//   main       compacted months only (`<table>/month=M/M.parquet`), participants_dim.parquet and
//              _runs/, committed when a month closes: each month enters main's history once;
//   data-open  an orphan branch of ONE commit, force-pushed every night: every dataset file that
//              main does not hold as it is on disk (the open month's daily files, the newer
//              participants_dim.parquet and run reports). Its history never grows.
// The steps (each safe to re-run; the nightly runs publish → close → publish, see `sync`):
//   overlay  fetch data-open, write its files over the checkout, fold any daily file that sits
//            beside its month file (the daily file wins: compact.ts's rule)
//   publish  data-open := one commit holding the delta from main's HEAD, pushed with a lease on
//            the commit the overlay saw (never over a data-open it did not read)
//   close    compact the closed months, commit them (and the dimension, run reports) to main, push
//   changed  dataset files that neither main nor data-open holds as they are (a backfill shard's output)
// Main is always pushed before data-open is reset, so a crash in between leaves the closed month's
// days in both branches, never in neither; the next overlay folds them (no row doubled).
// Closed years published once (issue #22, docs/ARCHITECTURE.md "Closed years, published once"):
// with `monthsOnMain: false` (the workflows' `--months-on data-open`) a closed month stays on
// data-open as its compacted file, so main's history never receives a month file; once a year is
// in the manifest (data/releases.json, written by publish-year.ts after its release is public) its
// files are no dataset files of either branch any more (fetched back with fetch-dataset, never
// re-committed), and `retire` commits the manifest to main, drops any of the year's files main
// still tracks, then resets data-open without them.
import { existsSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { compact, compactMonth } from "../ingest/compact.ts";
import { dataFileKind, isMonth, stateDir, TABLES } from "../dataset/layout.ts";
import { acquireRunLock } from "../ingest/lock.ts";
import { planClose, type ClosePlan } from "./close-plan.ts";
import { git, GitError, gitRun, resolveRef, withScratchIndex } from "./git.ts";
import { isMergeable } from "./merge.ts";
import { fileSha256, readManifest, type Manifest } from "./year-manifest.ts";

export { DEFAULT_FINAL_DAYS, planClose, type ClosePlan } from "./close-plan.ts";

export class DataBranchError extends Error {
  override readonly name = "DataBranchError";
}

/** Local ref holding the data-open commit the overlay read: the lease of the next publish. */
export const OVERLAY_REF = "refs/ccass/data-open";

export interface DataRepo {
  /** top of the git work tree */
  root: string;
  /** the dataset folder (absolute) */
  out: string;
  /** the dataset folder relative to `root`, with forward slashes (data/parquet) */
  rel: string;
  remote: string;
  /** the data branch's name (data-open) */
  branch: string;
  /** the manifest of closed years published as releases (absolute; data/releases.json) */
  manifestPath: string;
  /** years the manifest lists: their files belong to neither branch */
  published: ReadonlySet<number>;
  log: (line: string) => void;
}

export interface RepoOptions {
  /** the dataset folder (default data/parquet under the work tree) */
  out?: string;
  /** a folder inside the work tree (default: the current folder) */
  cwd?: string;
  remote?: string;
  branch?: string;
  /** the manifest of published years (default data/releases.json under the work tree) */
  manifest?: string;
  log?: (line: string) => void;
}

const BRANCH_NAME = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/;

function assertBranch(name: string, what: string): string {
  if (!BRANCH_NAME.test(name) || name.includes("..") || name.endsWith(".lock") || name.endsWith("/"))
    throw new DataBranchError(`invalid ${what}: ${JSON.stringify(name)}`);
  return name;
}

export async function openDataRepo(opts: RepoOptions = {}): Promise<DataRepo> {
  const cwd = path.resolve(opts.cwd ?? process.cwd());
  let root: string;
  try {
    root = await git(cwd, ["rev-parse", "--show-toplevel"]);
  } catch {
    throw new DataBranchError(`not inside a git work tree: ${cwd}`);
  }
  const out = path.resolve(cwd, opts.out ?? path.join(root, "data", "parquet"));
  const rel = path.relative(root, out).split(path.sep).join("/");
  if (rel === "" || rel.startsWith("..") || path.isAbsolute(rel)) throw new DataBranchError(`the dataset folder ${out} is not inside the work tree ${root}`);
  const manifestPath = path.resolve(cwd, opts.manifest ?? path.join(root, "data", "releases.json"));
  return {
    root,
    out,
    rel,
    remote: assertBranch(opts.remote ?? "origin", "remote name"),
    branch: assertBranch(opts.branch ?? "data-open", "data branch name"),
    manifestPath,
    published: await publishedYears(manifestPath),
    log: opts.log ?? (() => {}),
  };
}

async function loadManifest(manifestPath: string): Promise<Manifest> {
  return existsSync(manifestPath) ? readManifest(manifestPath) : { version: 1, years: {} };
}

async function publishedYears(manifestPath: string): Promise<Set<number>> {
  return new Set(Object.keys((await loadManifest(manifestPath)).years).map(Number));
}

/** What the workflows commit, as git pathspecs: the dataset minus state, rejects, caches and synthetic truth. */
function datasetPathspec(repo: DataRepo): string[] {
  return [repo.rel, ...["_state", "_rejects", "_cache", "_truth"].map((d) => `:(exclude)${repo.rel}/${d}`), ...publishedPathspec(repo, "exclude,glob")];
}

/** Every partition file of the published years (fetched back on disk, but held by their releases, not git). */
function publishedPathspec(repo: DataRepo, magic: string): string[] {
  return [...repo.published].sort().map((y) => `:(${magic})${repo.rel}/*/month=${y}-[0-9][0-9]/*`);
}

/** A path (relative to the dataset) a data branch may hold: partition files, run reports, the dimension. */
export function isDatasetFile(relInDataset: string): boolean {
  return relInDataset === "participants_dim.parquet" || isMergeable(relInDataset);
}

function inDataset(repo: DataRepo, repoPath: string): string | null {
  return repoPath.startsWith(`${repo.rel}/`) ? repoPath.slice(repo.rel.length + 1) : null;
}

/** What a `<table>/month=M/<name>` path holds: one date, a compacted month, or neither. */
function partitionFileKind(relInDataset: string): ReturnType<typeof dataFileKind> {
  const parts = relInDataset.split("/");
  return parts.length === 3 ? dataFileKind(parts[2]!) : null;
}

/** `<table>/month=M/<date>.parquet`: a daily file (open months live on data-open only). */
export function isDailyFile(relInDataset: string): boolean {
  const kind = partitionFileKind(relInDataset);
  return kind !== null && "date" in kind;
}

/** `<table>/month=M/M.parquet`: a compacted month (main's content). */
function isMonthFile(relInDataset: string): boolean {
  const kind = partitionFileKind(relInDataset);
  return kind !== null && "month" in kind;
}

/** Refuse to commit anything under the dataset folder that is not a dataset file (a stray note, a copy). */
function assertDatasetFiles(repo: DataRepo, delta: DeltaEntry[]): DeltaEntry[] {
  for (const e of delta) {
    const rel = inDataset(repo, e.path);
    if (e.status !== "D" && (rel === null || !isDatasetFile(rel))) throw new DataBranchError(`${e.path} is not a dataset file; move it out of ${repo.rel} before committing`);
  }
  return delta;
}

export interface DeltaEntry {
  status: "A" | "M" | "D";
  /** path from the top of the work tree */
  path: string;
}

/**
 * The dataset files on disk that differ from `bases` (trees read one over the other: a later one
 * wins, as `git read-tree` overlays them), computed in a scratch index so the checkout's own index
 * is untouched. Deleted files count only if a base holds them.
 */
async function datasetDelta(repo: DataRepo, bases: readonly string[]): Promise<DeltaEntry[]> {
  return withScratchIndex(async (env) => {
    await git(repo.root, bases.length > 0 ? ["read-tree", ...bases] : ["read-tree", "--empty"], { env });
    const base = await git(repo.root, ["write-tree"], { env });
    if (existsSync(repo.out)) await git(repo.root, ["add", "-A", "--", ...datasetPathspec(repo)], { env });
    const out = await git(repo.root, ["diff-index", "--cached", "--no-renames", "--name-status", "-z", base, "--", repo.rel], { env });
    const fields = out.split("\0").filter((f) => f !== "");
    const entries: DeltaEntry[] = [];
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const status = fields[i]!;
      if (status === "A" || status === "M" || status === "D") entries.push({ status, path: fields[i + 1]! });
      else throw new DataBranchError(`unexpected change ${status} of ${fields[i + 1]}`);
    }
    return entries.sort((a, b) => a.path.localeCompare(b.path));
  });
}

/** The remote data branch's commit, or null when the remote has none. */
async function remoteBranchCommit(repo: DataRepo, branch: string): Promise<string | null> {
  const out = await git(repo.root, ["ls-remote", "--heads", repo.remote, `refs/heads/${branch}`]);
  const line = out.split("\n").find((l) => l.endsWith(`\trefs/heads/${branch}`));
  return line ? line.split("\t")[0]! : null;
}

export interface OverlayReport {
  /** the data-open commit written over the checkout, or null (none: a fresh fork, or the first night) */
  commit: string | null;
  files: number;
  /** table-months folded because a daily file sat beside its month file */
  folded: number;
}

/**
 * Write data-open's files over the checkout's dataset. `from`: a clone holding the data branch's
 * commit (the workflows check it out with actions/checkout, which carries the credentials); without
 * it the branch is fetched from the remote. A missing `from` folder or remote branch means there is
 * no data-open yet: nothing is written, and the next publish leases on "absent".
 */
export async function overlay(repo: DataRepo, opts: { from?: string } = {}): Promise<OverlayReport> {
  let commit: string | null;
  if (opts.from !== undefined) {
    const from = path.resolve(opts.from);
    commit = existsSync(path.join(from, ".git")) ? await resolveRef(from, "HEAD") : null;
    // actions/checkout clones at depth 1, so the commit is a shallow root there: --update-shallow accepts it.
    if (commit) await git(repo.root, ["fetch", "--quiet", "--no-tags", "--update-shallow", from, `+${commit}:${OVERLAY_REF}`]);
  } else {
    commit = await remoteBranchCommit(repo, repo.branch);
    if (commit) await git(repo.root, ["fetch", "--quiet", "--no-tags", repo.remote, `+refs/heads/${repo.branch}:${OVERLAY_REF}`]);
  }
  if (!commit) {
    await git(repo.root, ["update-ref", "-d", OVERLAY_REF]);
    repo.log(`no ${repo.branch} branch: nothing to overlay`);
    await mkdir(repo.out, { recursive: true });
    return { commit: null, files: 0, folded: 0 };
  }
  const files = await extractTree(repo, commit);
  await mkdir(repo.out, { recursive: true });
  // A daily file beside its month file (main closed the month, data-open was not reset yet):
  // fold it, the daily file winning, so no date is read twice.
  const report = await compact(repo.out, { before: "0001-01" });
  repo.log(`overlaid ${files} files of ${repo.branch} ${commit.slice(0, 12)}; folded ${report.months.length} table-months`);
  return { commit, files, folded: report.months.length };
}

/** Check out `commit`'s files into a staging folder beside the dataset, then rename each into place (one atomic rename per file). */
async function extractTree(repo: DataRepo, commit: string): Promise<number> {
  const listing = await git(repo.root, ["ls-tree", "-r", "-z", "--full-tree", commit]);
  const entries = listing.split("\0").filter((l) => l !== "");
  const paths: string[] = [];
  for (const entry of entries) {
    const [meta, p] = entry.split("\t", 2) as [string, string];
    const mode = meta.split(" ")[0];
    const rel = inDataset(repo, p);
    // The branch is written over the checkout before code runs on it: a path outside the dataset
    // (a workflow, a script) or a link would be a way in, so anything but a dataset file is refused.
    if (mode !== "100644" || rel === null || !isDatasetFile(rel)) throw new DataBranchError(`${repo.branch} ${commit.slice(0, 12)} holds ${JSON.stringify(p)} (mode ${mode}), which is not a dataset file; refusing to overlay it`);
    paths.push(p);
  }
  if (paths.length === 0) return 0;
  const staging = path.join(stateDir(repo.out), "overlay");
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  try {
    await withScratchIndex(async (env) => {
      await git(repo.root, ["read-tree", commit], { env });
      await git(repo.root, ["checkout-index", "-a", "-f", `--prefix=${staging}${path.sep}`], { env });
    });
    for (const p of paths) {
      const target = path.join(repo.root, p);
      await mkdir(path.dirname(target), { recursive: true });
      await rename(path.join(staging, p), target);
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return paths.length;
}

/** Committer identity for the bot's commits when git has none configured (a fresh runner). */
async function identityEnv(repo: DataRepo): Promise<Record<string, string>> {
  const configured = await gitRun(repo.root, ["config", "user.email"], { allow: [1] });
  if (configured.code === 0 || process.env.GIT_COMMITTER_EMAIL) return {};
  const name = "ccass-observatory[bot]";
  const email = "ccass-observatory@users.noreply.github.com";
  return { GIT_AUTHOR_NAME: name, GIT_AUTHOR_EMAIL: email, GIT_COMMITTER_NAME: name, GIT_COMMITTER_EMAIL: email };
}

export interface PublishReport {
  /** the data branch's commit after the step */
  commit: string;
  files: number;
  pushed: boolean;
}

/** Dates of the daily files among `paths`, for a commit message a person can read. */
function dateSpan(paths: readonly string[]): string {
  const dates = paths.map((p) => path.posix.basename(p, ".parquet")).filter((n) => dataFileKind(`${n}.parquet`) && !isMonth(n)).sort();
  return dates.length === 0 ? "no daily files" : `${new Set(dates).size} dates ${dates[0]}..${dates.at(-1)}`;
}

/**
 * Make the data branch one commit holding every dataset file main's HEAD lacks (or holds
 * differently), and force-push it, leased on the commit the overlay read (absent if none): a
 * data-open written meanwhile, or one this checkout never overlaid, is never replaced. Nothing is
 * pushed when the branch already holds exactly that tree.
 */
export async function publish(repo: DataRepo): Promise<PublishReport> {
  const lease = await resolveRef(repo.root, OVERLAY_REF);
  const delta = assertDatasetFiles(repo, await datasetDelta(repo, ["HEAD"])).filter((e) => e.status !== "D");
  const paths = delta.map((e) => e.path);
  const tree = await withScratchIndex(async (env) => {
    await git(repo.root, ["read-tree", "--empty"], { env });
    if (paths.length > 0) await git(repo.root, ["update-index", "--add", "-z", "--stdin"], { env, input: paths.map((p) => `${p}\0`).join("") });
    return git(repo.root, ["write-tree"], { env });
  });
  if (lease && (await git(repo.root, ["rev-parse", `${lease}^{tree}`])) === tree) {
    repo.log(`${repo.branch} already holds these ${paths.length} files (${lease.slice(0, 12)}); nothing pushed`);
    return { commit: lease, files: paths.length, pushed: false };
  }
  const message = `data-open: ${paths.length} files not on main (${dateSpan(paths)})`;
  const commit = await git(repo.root, ["commit-tree", tree, "-m", message], { env: await identityEnv(repo) });
  try {
    await git(repo.root, ["push", "--quiet", `--force-with-lease=refs/heads/${repo.branch}:${lease ?? ""}`, repo.remote, `${commit}:refs/heads/${repo.branch}`]);
  } catch (err) {
    // git says "stale info" when the lease does not hold; anything else (auth, network) is passed on as it is.
    if (err instanceof GitError && /stale info|already exists/.test(err.stderr))
      throw new DataBranchError(`${repo.branch} was not replaced: it is not the commit this checkout overlaid (${lease ? lease.slice(0, 12) : "none"}); run overlay again, then this step`);
    throw err;
  }
  await git(repo.root, ["update-ref", OVERLAY_REF, commit]);
  repo.log(`${repo.branch} is now ${commit.slice(0, 12)}: ${message}`);
  return { commit, files: paths.length, pushed: true };
}

export interface CloseOptions {
  mainBranch: string;
  message: string;
  finalDays?: number;
  months?: readonly string[];
  /** false: a closed month is compacted but stays on data-open until its year is published (default true: committed to main) */
  monthsOnMain?: boolean;
}

export interface CloseReport {
  plan: ClosePlan;
  /** main's commit after the step (HEAD) */
  commit: string;
  committed: boolean;
  pushed: boolean;
}

/**
 * Compact the months that close (`planClose`) and, when a month file changed (a closed month, or a
 * late date rewritten into an old one), commit to `mainBranch` everything main holds, i.e. the
 * dataset minus daily files, and push it (rebased on the remote branch first: code may have been
 * pushed meanwhile, and data/ never conflicts with it). Daily files main still tracks from before
 * this scheme leave it when their month is compacted.
 */
export async function close(repo: DataRepo, opts: CloseOptions): Promise<CloseReport> {
  const mainBranch = assertBranch(opts.mainBranch, "main branch name");
  if (mainBranch === repo.branch) throw new DataBranchError(`the main branch and the data branch are both ${JSON.stringify(mainBranch)}`);
  const plan = await planClose(repo.out, opts);
  if (plan.close.length > 0) {
    const release = await acquireRunLock(repo.out);
    try {
      for (const { month, why } of plan.close) {
        for (const t of TABLES) {
          const r = await compactMonth(repo.out, t, month);
          if (r.datesFolded.length > 0) repo.log(`closed ${t} ${month} (${why}): ${r.datesFolded.length} dates, ${r.rows} rows`);
        }
      }
    } finally {
      release();
    }
  }
  if (opts.monthsOnMain === false) {
    // the closed months stay on data-open (the publish that follows puts them there) until their year's release
    return { plan, commit: await git(repo.root, ["rev-parse", "HEAD"]), committed: false, pushed: await pushMain(repo, mainBranch) };
  }
  const delta = assertDatasetFiles(repo, await datasetDelta(repo, ["HEAD"]));
  const monthChanges = delta.filter((e) => {
    const rel = inDataset(repo, e.path);
    return rel !== null && (isMonthFile(rel) || (isDailyFile(rel) && e.status === "D"));
  });
  let committed = false;
  if (monthChanges.length > 0) {
    // main's content: the dataset without daily files; tracked daily files that were compacted are removed.
    await git(repo.root, ["add", "-A", "--", ...datasetPathspec(repo), `:(exclude,glob)${repo.rel}/*/month=*/[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9].parquet`]);
    const gone = delta.filter((e) => e.status === "D" && isDailyFile(inDataset(repo, e.path) ?? "")).map((e) => e.path);
    if (gone.length > 0) await git(repo.root, ["rm", "--cached", "--quiet", "--ignore-unmatch", "--pathspec-from-file=-", "--pathspec-file-nul"], { input: gone.map((p) => `${p}\0`).join("") });
    await git(repo.root, ["commit", "--quiet", "--no-verify", "-m", opts.message], { env: await identityEnv(repo) });
    committed = true;
    repo.log(`committed ${monthChanges.length} month file change(s) to ${mainBranch}`);
  }
  const pushed = await pushMain(repo, mainBranch);
  return { plan, commit: await git(repo.root, ["rev-parse", "HEAD"]), committed, pushed };
}

/** The branch the checkout is on, or null on a detached HEAD (a workflow's checkout of a commit). */
export async function currentBranch(repo: DataRepo): Promise<string | null> {
  const r = await gitRun(repo.root, ["symbolic-ref", "--short", "-q", "HEAD"], { allow: [1] });
  return r.code === 0 ? r.stdout.trim() : null;
}

/** Push HEAD to the remote main branch if it holds commits the remote lacks, rebased on the remote first. */
async function pushMain(repo: DataRepo, mainBranch: string): Promise<boolean> {
  const remoteHead = await remoteBranchCommit(repo, mainBranch);
  if (remoteHead) {
    await git(repo.root, ["fetch", "--quiet", "--no-tags", repo.remote, `refs/heads/${mainBranch}`]);
    const ahead = Number(await git(repo.root, ["rev-list", "--count", `FETCH_HEAD..HEAD`]));
    if (ahead === 0) return false;
    await git(repo.root, ["rebase", "--quiet", "--autostash", "FETCH_HEAD"], { env: await identityEnv(repo) });
  }
  await git(repo.root, ["push", "--quiet", repo.remote, `HEAD:refs/heads/${mainBranch}`]);
  return true;
}

export interface SyncReport {
  close: CloseReport;
  dataOpen: PublishReport;
}

/**
 * The nightly's (and the backfill merge's) last step: publish (the night's days are on data-open
 * before anything else moves), close (compacted months to main), publish again (data-open reset
 * to what main now lacks). Killed anywhere, every day is on at least one branch.
 */
export async function sync(repo: DataRepo, opts: CloseOptions): Promise<SyncReport> {
  await publish(repo);
  const closed = await close(repo, opts);
  const dataOpen = await publish(repo);
  return { close: closed, dataOpen };
}

/**
 * Dataset files on disk that neither main's HEAD nor the overlaid data-open holds as they are: what
 * a backfill shard scraped or rewrote (run after overlay). Paths from the top of the work tree.
 */
export async function changedFiles(repo: DataRepo): Promise<string[]> {
  const overlaid = await resolveRef(repo.root, OVERLAY_REF);
  const delta = await datasetDelta(repo, overlaid ? ["HEAD", overlaid] : ["HEAD"]);
  return delta.filter((e) => e.status !== "D").map((e) => e.path);
}

export interface RetireReport {
  /** years of the manifest whose files main or data-open still held */
  years: number[];
  /** files main stopped tracking */
  removed: number;
  /** main's commit after the step */
  commit: string;
  committed: boolean;
  dataOpen: PublishReport;
}

/** Paths (from the top of the work tree) of published years' files in a tree. */
async function publishedPathsIn(repo: DataRepo, ref: string): Promise<string[]> {
  if (repo.published.size === 0) return [];
  const out = await git(repo.root, ["ls-tree", "-r", "-z", "--name-only", "--full-tree", ref, "--", repo.rel]);
  return out.split("\0").filter((p) => {
    const m = p.startsWith(`${repo.rel}/`) ? /^[^/]+\/month=(\d{4})-\d{2}\/[^/]+$/.exec(p.slice(repo.rel.length + 1)) : null;
    return m !== null && repo.published.has(Number(m[1]));
  });
}

/**
 * After publish-year: the years its manifest lists leave both branches. Every such file still on
 * main or the overlaid data-open must equal the published bytes when it is on disk (a closed year is
 * never published twice: other bytes are an error, nothing is changed). Main gets one commit (the
 * manifest, and the removal of the years' files it still tracks from before this scheme), pushed
 * before data-open is reset without them; cut short in between, the next run finds the files on
 * data-open and finishes.
 */
export async function retire(repo: DataRepo, opts: { mainBranch: string; message: string }): Promise<RetireReport> {
  const mainBranch = assertBranch(opts.mainBranch, "main branch name");
  if (mainBranch === repo.branch) throw new DataBranchError(`the main branch and the data branch are both ${JSON.stringify(mainBranch)}`);
  const manifest = await loadManifest(repo.manifestPath);
  const relManifest = path.relative(repo.root, repo.manifestPath).split(path.sep).join("/");
  if (relManifest.startsWith("..") || path.isAbsolute(relManifest)) throw new DataBranchError(`the manifest ${repo.manifestPath} is not inside the work tree ${repo.root}`);
  repo = { ...repo, published: new Set(Object.keys(manifest.years).map(Number)) };
  const overlaid = await resolveRef(repo.root, OVERLAY_REF);
  const onMain = await publishedPathsIn(repo, "HEAD");
  const held = [...new Set([...onMain, ...(overlaid ? await publishedPathsIn(repo, overlaid) : [])])].sort();
  const want = new Map<string, string>(Object.values(manifest.years).flatMap((e) => e.files.map((f) => [`${repo.rel}/${f.path}`, f.sha256] as const)));
  for (const p of held) {
    const file = path.join(repo.root, ...p.split("/"));
    if (!existsSync(file)) continue;
    const expected = want.get(p);
    if (expected === undefined && !isDailyFile(inDataset(repo, p) ?? "")) throw new DataBranchError(`${p} belongs to a published year but is not in ${relManifest}: a closed year is never published twice`);
    if (expected !== undefined && (await fileSha256(file)) !== expected) throw new DataBranchError(`${p} differs from the bytes published in ${relManifest}: a closed year is never published twice`);
  }
  const years = [...new Set(held.map((p) => Number(/\/month=(\d{4})-/.exec(p)![1])))].sort((a, b) => a - b);
  if (onMain.length > 0) await git(repo.root, ["rm", "--cached", "--quiet", "--ignore-unmatch", "--pathspec-from-file=-", "--pathspec-file-nul"], { input: onMain.map((p) => `${p}\0`).join("") });
  if (existsSync(repo.manifestPath)) await git(repo.root, ["add", "--", relManifest]);
  const staged = (await gitRun(repo.root, ["diff", "--cached", "--quiet"], { allow: [1] })).code === 1;
  if (staged) {
    await git(repo.root, ["commit", "--quiet", "--no-verify", "-m", opts.message], { env: await identityEnv(repo) });
    repo.log(`committed ${relManifest} to ${mainBranch}${onMain.length ? `, removing ${onMain.length} files of published years` : ""}`);
  }
  await pushMain(repo, mainBranch);
  const dataOpen = await publish(repo);
  return { years, removed: onMain.length, commit: await git(repo.root, ["rev-parse", "HEAD"]), committed: staged, dataOpen };
}
