// The incremental nightly as users meet it, through the whole site build (`npm run build -- --data
// DIR --out DIR`, the CLI): one live dataset folder written night after night by the real writer
// (src/ingest/writer.ts) and compacted by the real compaction, one analytics cache folder carried
// from night to night. After each night's change the incremental `dist/` is compared, every file by
// size and SHA-256, with a cold build of the same data (same folder, fresh cache folder): the
// export tree (_file/api/v1), the Framework loaders' outputs (_file/data) and the pages. The cache's
// month chunks (CCASS_CACHE/chunks/<YYYY-MM>-<key>/) say which months were kept: a kept month's
// folder is the same folder (same name, inode and mtime of its files), a recomputed one is new.
// The nights build on each other, in order (docs/DATASETS.md "Incremental builds: the cases tested").
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openAnalytics } from "../data-loaders/compute/cache.ts";
import { exportApi } from "../data-loaders/publish/export.ts";
import { keptApiTree } from "../scripts/build-site.ts";
import type { HoldingsPage } from "../src/hkex/types.ts";
import { compact } from "../src/ingest/compact.ts";
import { DatasetWriter, type DayInput } from "../src/ingest/writer.ts";
import { marketDay } from "../src/replica/dataset-writer.ts";
import { createMarket } from "../src/replica/market.ts";

const REPO = path.resolve(import.meta.dirname, "..");
// health.json judges freshness against today: pinned, so two builds on different days agree
const TODAY = "2025-12-22";

let scratch: string;
let live: string; // the dataset folder, written night after night
let state: string; // the analytics cache folder carried between nights
// November 2025 to January 2026: the nights happen in January, with 2025 a closed year whose
// per-year files the incremental build keeps and the cold build writes
const market = createMarket({ seed: 11, stocks: 20, days: 50, end: "2026-01-23", hostileNames: false });
const months = [...new Set(market.dates.map((d) => d.slice(0, 7)))];
const [nov, dec, jan] = months as [string, string, string];
const datesOf = (m: string) => market.dates.filter((d) => d.startsWith(m));
const backfillDay = datesOf(dec)[4]!; // held back until the "backfill" night, when December (and 2025) is closed
const [jan1, jan2, jan3] = datesOf(jan) as [string, string, string];
const codes = market.stocks.map((s) => s.code);
const listed = codes[3]!; // newly listed on jan2: absent from every earlier day
const delisted = codes[7]!; // delisted after jan1: absent from jan2 on
const NEW_ID = "B09876"; // a participant first seen on jan3
const RENAMED = "RENAMED SECURITIES LIMITED";
let renamedId: string; // renamed from jan3 on
/** The reparse night's fix: one position of one stock on jan2 moves to another participant. */
let reparsed = false;

/** The market's page of the day, as the nights' story changes it. */
function day(date: string): DayInput {
  const input = marketDay(market, date);
  const absent = (code: string) => (code === listed && date < jan2) || (code === delisted && date >= jan2);
  const holdings = input.holdings.filter((p) => !absent(p.stockCode)).map((p) => changedPage(p, date));
  const stockList = input.stockList && { ...input.stockList, stocks: input.stockList.stocks.filter((s) => !absent(s.code)) };
  const southbound = input.southbound && { ...input.southbound, holdings: input.southbound.holdings.filter((h) => !absent(h.stockCode)) };
  let participantList = input.participantList;
  if (participantList && date >= jan3) {
    participantList = {
      ...participantList,
      participants: [
        ...participantList.participants.map((p) => (p.id === renamedId ? { ...p, name: RENAMED } : p)),
        { id: NEW_ID, name: "NEWCOMER SECURITIES LIMITED" },
      ],
    };
  }
  return { ...input, holdings, stockList, southbound, participantList };
}

function changedPage(page: HoldingsPage, date: string): HoldingsPage {
  let participants = page.participants;
  let summary = page.summary;
  if (date >= jan3) participants = participants.map((p) => (p.id === renamedId ? { ...p, name: RENAMED } : p));
  const byShares = () => participants.map((p, i) => ({ p, i })).filter((x) => x.p.id !== null && x.p.shares > 1000).sort((a, b) => b.p.shares - a.p.shares);
  if (date >= jan3 && page.stockCode === codes[1]) {
    // the newcomer takes half of the largest intermediary's position (totals unchanged, one more participant)
    const top = byShares()[0]!;
    const half = Math.floor(top.p.shares / 2);
    participants = participants.map((p, i) => (i === top.i ? { ...p, shares: p.shares - half } : p));
    participants = [...participants, { id: NEW_ID, name: "NEWCOMER SECURITIES LIMITED", address: null, shares: half }];
    const bump = (c: { shares: number; participants: number }) => ({ ...c, participants: c.participants + 1 });
    summary = { ...summary, intermediaries: bump(summary.intermediaries), total: bump(summary.total) };
  }
  if (reparsed && date === jan2 && page.stockCode === codes[2]) {
    // a parser fix: a tenth of the largest position was in fact the second largest's
    const [a, b] = byShares() as [{ p: unknown; i: number }, { p: unknown; i: number }];
    const moved = Math.floor(participants[a.i]!.shares / 10);
    participants = participants.map((p, i) => (i === a.i ? { ...p, shares: p.shares - moved } : i === b.i ? { ...p, shares: p.shares + moved } : p));
  }
  return { ...page, participants, summary };
}

/** One night of the scraper: these dates written (or rewritten), then the participants dimension. */
async function writeNight(dates: readonly string[]) {
  const w = await DatasetWriter.open(live);
  try {
    for (const d of dates) await w.writeDay(day(d));
    await w.rebuildParticipantsDim();
  } finally {
    w.close();
  }
}

/** `npm run build -- --data live --out <out>` with the given cache folder, from `project` (the repo or a copy). */
function buildSiteCli(cache: string, out: string, project = REPO): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(project, "scripts", "build-site.ts"), "--data", live, "--out", out], {
      cwd: project,
      env: { ...process.env, CCASS_CACHE: cache, CCASS_TODAY: TODAY, CCASS_DATA: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(output) : reject(new Error(`build-site exited ${code}:\n${output.slice(-3000)}`))));
  });
}

interface FileDigest {
  size: number;
  sha256: string;
}

/** Every file of a tree: relative path → size and SHA-256. */
function digestTree(root: string, rel = "", out = new Map<string, FileDigest>()): Map<string, FileDigest> {
  for (const e of readdirSync(path.join(root, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) digestTree(root, r, out);
    else {
      const bytes = readFileSync(path.join(root, r));
      out.set(r, { size: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") });
    }
  }
  return out;
}

interface TreeComparison {
  files: number;
  /** Files of each part of dist/: the export tree, the loaders' outputs, the rest (pages, bundles). */
  api: number;
  loaders: number;
  other: number;
  differences: string[];
}

/** Cold and incremental dist/ compared file by file; `differences` names the first differing paths. */
function compareTrees(cold: string, incremental: string): TreeComparison {
  const a = digestTree(cold);
  const b = digestTree(incremental);
  const differences: string[] = [];
  for (const [k, v] of a) {
    const w = b.get(k);
    if (!w) differences.push(`${k}: only in the cold build`);
    else if (w.size !== v.size) differences.push(`${k}: ${v.size} bytes cold, ${w.size} incremental`);
    else if (w.sha256 !== v.sha256) differences.push(`${k}: same size, different bytes`);
  }
  for (const k of b.keys()) if (!a.has(k)) differences.push(`${k}: only in the incremental build`);
  const keys = [...a.keys()];
  const api = keys.filter((k) => k.startsWith("_file/api/v1/")).length;
  const loaders = keys.filter((k) => k.startsWith("_file/data/")).length;
  return { files: a.size, api, loaders, other: a.size - api - loaders, differences: differences.sort().slice(0, 15) };
}

/** Cold build of the live data now, compared with the incremental `dist`; both trees must be complete. */
async function expectSameAsCold(night: string, incrementalDist: string, project = REPO): Promise<TreeComparison> {
  const coldDist = path.join(scratch, `cold-${night}`);
  const coldCache = path.join(scratch, `cold-cache-${night}`);
  await buildSiteCli(coldCache, coldDist, project);
  const result = compareTrees(coldDist, incrementalDist);
  expect(result.differences, `${night}: incremental dist/ differs from a cold build:\n${result.differences.join("\n")}`).toEqual([]);
  // the comparison covered the three parts of the site
  expect(result.api).toBeGreaterThan(20);
  // the loaders the pages use: meta, stocks, participants, attention, transfers, concentration, health
  expect(result.loaders).toBeGreaterThanOrEqual(7);
  expect(result.other).toBeGreaterThan(10);
  console.log(`${night}: ${result.files} files identical (${result.api} API, ${result.loaders} loader outputs, ${result.other} pages and assets)`);
  await rm(coldDist, { recursive: true, force: true });
  await rm(coldCache, { recursive: true, force: true });
  return result;
}

interface ChunkFolder {
  name: string;
  ino: number;
  mtimeMs: number;
}

/** The cache's month chunks: month → its folder and the identity of its files. */
function chunks(cache = state): Map<string, ChunkFolder> {
  const out = new Map<string, ChunkFolder>();
  for (const name of readdirSync(path.join(cache, "chunks"))) {
    const m = /^(\d{4}-\d{2})-[0-9a-f]{16}$/.exec(name);
    if (!m) continue;
    expect(out.has(m[1]!), `two chunk folders for ${m[1]}`).toBe(false);
    const s = statSync(path.join(cache, "chunks", name, "change_points.parquet"));
    out.set(m[1]!, { name, ino: s.ino, mtimeMs: s.mtimeMs });
  }
  return out;
}

/** Which months of `after` are the very folders of `before` (kept) and which were made again. */
function keptAndComputed(before: Map<string, ChunkFolder>, after: Map<string, ChunkFolder>) {
  const kept: string[] = [];
  const computed: string[] = [];
  for (const [month, f] of after) {
    const b = before.get(month);
    if (b && b.name === f.name && b.ino === f.ino && b.mtimeMs === f.mtimeMs) kept.push(month);
    else computed.push(month);
  }
  return { kept: kept.sort(), computed: computed.sort() };
}

const dist = () => path.join(scratch, "dist");

/** The closed year's files of the kept export tree (history and download parts of 2025): path → inode. */
function closedYearFiles(): Map<string, number> {
  const tree = keptApiTree(state, live);
  const out = new Map<string, number>();
  for (const rel of digestTree(tree).keys())
    if (/\/2025\.(days\.)?parquet$|\/year=2025\//.test(rel)) out.set(rel, statSync(path.join(tree, rel)).ino);
  return out;
}

interface Expected {
  kept: string[];
  computed: string[];
  /** 2025's per-year files kept from the previous tree (the same files), or written again. */
  closedYear: "kept" | "written";
}

/** One night: change the data, build incrementally, check what was kept and that the site equals a cold one. */
async function night(name: string, change: () => Promise<void>, expected: Expected, project = REPO) {
  const before = chunks();
  const yearBefore = closedYearFiles();
  await change();
  const log = await buildSiteCli(state, dist(), project);
  const after = chunks();
  expect(keptAndComputed(before, after)).toEqual({ kept: expected.kept, computed: expected.computed });
  // the export's own log, when the export (not a loader) built the cache: the same count
  const line = /chunks: (\d+) computed, (\d+) kept/.exec(log);
  if (line) expect([Number(line[1]), Number(line[2])]).toEqual([expected.computed.length, expected.kept.length]);
  const yearAfter = closedYearFiles();
  expect(yearAfter.size).toBeGreaterThan(20);
  const same = [...yearAfter].filter(([k, ino]) => yearBefore.get(k) === ino).length;
  expect(same, `2025 files kept (same inode) of ${yearAfter.size}`).toBe(expected.closedYear === "kept" ? yearAfter.size : 0);
  await expectSameAsCold(name, dist(), project);
}

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), "ccass-incremental-site-"));
  live = path.join(scratch, "parquet");
  state = path.join(scratch, "cache");
  const firstPage = marketDay(market, market.dates[0]!).holdings[0]!;
  renamedId = firstPage.participants.find((p) => p.id !== null)!.id!;
  // The nights up to the end of December (the backfill day held back), November compacted as the
  // nightly does once a month is over; then the state that night's site build leaves: the
  // analytics cache and the kept export tree.
  await writeNight([...datesOf(nov), ...datesOf(dec)].filter((d) => d !== backfillDay));
  await compact(live, { before: dec });
  const a = await openAnalytics(live, { cache: state });
  try {
    await exportApi(a, keptApiTree(state, live));
  } finally {
    a.db.close();
  }
}, 300_000);

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe("incremental site builds equal cold builds, file for file", () => {
  it("the story fits the market: three months over two years, the chosen stocks and participant exist", () => {
    expect(months).toEqual(["2025-11", "2025-12", "2026-01"]);
    expect(datesOf(jan).length).toBeGreaterThanOrEqual(3);
    expect(new Set([listed, delisted, codes[1], codes[2]]).size).toBe(4);
    expect(chunks().size).toBe(2);
    expect(existsSync(path.join(live, "holdings", `month=${nov}`, `${nov}.parquet`))).toBe(true);
  });

  it("a day appended after the previous month was compacted", async () => {
    // December compacted (new bytes: its chunk is made again, November's is kept), then January's
    // first day: 2025 is now closed, its files written once more (at zstd 19)
    await night(
      "append-after-compaction",
      async () => {
        await compact(live, { before: jan });
        await writeNight([jan1]);
      },
      { kept: [nov], computed: [dec, jan], closedYear: "written" },
    );
    expect(existsSync(path.join(live, "holdings", `month=${dec}`, `${dec}.parquet`))).toBe(true);
  }, 900_000);

  it("a stock newly listed and one delisted", async () => {
    await night("listing-and-delisting", () => writeNight([jan2]), { kept: [nov, dec], computed: [jan], closedYear: "kept" });
    const index = JSON.parse(await readFile(path.join(dist(), "_file", "api", "v1", "index.json"), "utf8")) as { files: { path: string }[] };
    expect(index.files.some((f) => f.path === `stocks/${listed}.json.gz`)).toBe(true);
  }, 900_000);

  it("a participant renamed, a new participant, participants_dim changing between nights", async () => {
    const dim = path.join(live, "participants_dim.parquet");
    const dimBefore = await readFile(dim);
    await night("participants", () => writeNight([jan3]), { kept: [nov, dec], computed: [jan], closedYear: "kept" });
    expect((await readFile(dim)).equals(dimBefore)).toBe(false);
    expect(existsSync(path.join(dist(), "_file", "api", "v1", "participants", `${NEW_ID}.json.gz`)), `${NEW_ID} has its participant file`).toBe(true);
    const loaderOutputs = readdirSync(path.join(dist(), "_file", "data"));
    const participants = loaderOutputs.find((f) => f.startsWith("participants."))!;
    expect(await readFile(path.join(dist(), "_file", "data", participants), "utf8")).toContain(RENAMED);
  }, 900_000);

  it("a backfilled day inserted into a closed (compacted) month of a closed year", async () => {
    const monthFile = path.join(live, "holdings", `month=${dec}`, `${dec}.parquet`);
    const bytesBefore = await readFile(monthFile);
    await night("backfill", () => writeNight([backfillDay]), { kept: [nov], computed: [dec, jan], closedYear: "written" });
    // the writer folded the day into the month file (no daily file beside it)
    expect((await readFile(monthFile)).equals(bytesBefore)).toBe(false);
    expect(readdirSync(path.dirname(monthFile))).toEqual([`${dec}.parquet`]);
  }, 900_000);

  it("a reparse of the recent month: the earlier months (and 2025's files) are kept, not recomputed", async () => {
    reparsed = true;
    await night("reparse", () => writeNight(datesOf(jan).slice(0, 3)), { kept: [nov, dec], computed: [jan], closedYear: "kept" });
  }, 900_000);

  it("an edit of one chunk SQL file: every month is recomputed (the key chains the code) and the site equals a cold build of the edited code", async () => {
    // A checkout with one edit (the movers' floor 0.05 % → 0.1 % of issued): the repository's own
    // files are never touched, so other tests running meanwhile see the code as committed.
    const project = path.join(scratch, "project");
    for (const p of ["src", "scripts", "data-loaders", "observablehq.config.ts", "package.json", "tsconfig.json"])
      await cp(path.join(REPO, p), path.join(project, p), { recursive: true, filter: (s) => !s.includes(`${path.sep}.observablehq`) && !s.endsWith(`${path.sep}api`) });
    await symlink(path.join(REPO, "node_modules"), path.join(project, "node_modules"));
    const sql = path.join(project, "data-loaders", "build", "sql", "chunk", "30-day-figures.sql");
    const text = await readFile(sql, "utf8");
    const edited = text.replace("abs(p.change) * 10000 >= 5 * d.issued_shares", "abs(p.change) * 10000 >= 10 * d.issued_shares");
    expect(edited).not.toBe(text);
    await writeFile(sql, edited);
    const before = digestTree(dist());
    await night("chunk-sql-edit", async () => {}, { kept: [], computed: [nov, dec, jan], closedYear: "written" }, project);
    // the edit reached the published files (fewer movers, fewer pairs): a stale chunk would not
    const after = digestTree(dist());
    expect([...after].filter(([k, v]) => k.startsWith("_file/api/v1/") && before.get(k)?.sha256 !== v.sha256).length).toBeGreaterThan(0);
  }, 900_000);
});
