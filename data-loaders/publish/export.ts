// The static API and downloads (docs/DATASETS.md "Static API"). The whole tree is built in a
// sibling temp folder and swapped in at the end, so a reader (or a failed run) never sees a
// half-written tree: on any error the old tree stays as it was and the temp folder is removed.
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { replaceDirectory } from "../../src/lib/atomic.ts";
import type { Analytics } from "../compute/cache.ts";
import { gzipJson } from "./gzip-json.ts";
import { createHistorySources, writeHistoryParts } from "./history-parts.ts";
import { keepPartFiles, keptParts, partLevel, partYear, yearParts } from "./year-parts.ts";
import { createDownloadSources, writeDownloadParts, writeWindowDownloads } from "./downloads.ts";
import { writeAlertFiles } from "./alert-files.ts";
import { dataSources } from "./archive-credit.ts";
import { hasData, isSynthetic, latestDate, SCHEMA_VERSION } from "./common.ts";
import { healthSmall } from "./page-data/health.ts";
import { participantPages } from "./participant-pages.ts";
import { stockPages } from "./stock-pages.ts";
import { timed, timing } from "../compute/timings.ts";
import type { Resolution } from "./month-end.ts";

export interface ExportStats {
  out: string;
  files: number;
  bytes: number;
  stockFiles: number;
  participantFiles: number;
  /** The largest stored stock file (`bytes`, gzip) and its JSON text's size (`jsonBytes`). */
  largestStock: { code: string; bytes: number; jsonBytes: number } | null;
  /** history/: every file together and the largest yearly change-point part. */
  history: { bytes: number; largest: { code: string; year: number; bytes: number } | null };
  seconds: number;
}

/** `--out` names a folder that is not an earlier export: replacing it would delete what it holds. */
export class ExportTargetError extends Error {
  override readonly name = "ExportTargetError";
}

/**
 * The target is replaced wholesale (and the old one deleted), so it must be absent, empty or an
 * earlier export (it has `index.json`): a mistyped `--out .` must not remove a whole folder.
 */
async function assertReplaceable(target: string) {
  if (!existsSync(target)) return;
  if (!(await stat(target)).isDirectory()) throw new ExportTargetError(`--out ${target} exists and is not a folder`);
  const entries = await readdir(target);
  if (entries.length > 0 && !entries.includes("index.json"))
    throw new ExportTargetError(`--out ${target} is not empty and holds no index.json (not an API tree): refusing to replace it`);
}

/** The same cache on another connection of its instance: DuckDB runs their queries side by side. */
async function onOwnConnection(a: Analytics): Promise<{ a: Analytics; close: () => void }> {
  const conn = await a.db.instance.connect();
  return { a: { ...a, db: { ...a.db, conn } }, close: () => conn.closeSync() };
}

/** Await every promise (so no query outlives the export), then rethrow the first failure. */
async function allSettledOrThrow<T extends readonly unknown[]>(work: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const settled = await Promise.allSettled(work);
  const failed = settled.find((r) => r.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

async function writeStockPages(a: Analytics, dir: string, synthetic: boolean) {
  let largest: ExportStats["largestStock"] = null;
  let files = 0;
  for await (const s of stockPages(a, synthetic)) {
    const gz = await gzipJson(s.text);
    await writeFile(path.join(dir, `${s.code}.json.gz`), gz);
    files++;
    if (!largest || gz.length > largest.bytes) largest = { code: s.code, bytes: gz.length, jsonBytes: Buffer.byteLength(s.text) };
  }
  return { files, largest };
}

async function writeParticipantPages(a: Analytics, dir: string) {
  let files = 0;
  for await (const p of participantPages(a)) {
    await writeFile(path.join(dir, `${p.file}.gz`), await gzipJson(p.text));
    files++;
  }
  return files;
}

/**
 * Parquet and CSV downloads: the plan's years' parts (the other years are kept from the previous
 * tree) and the single files. Returns the row count of each file written, by path in the tree.
 */
async function writeDownloads(a: Analytics, dir: string, plan: PartPlan, log: (s: string) => void): Promise<Map<string, number>> {
  await createDownloadSources(a.db.conn, a.data);
  const parts = await timed("downloads.parts", () => writeDownloadParts(a.db.conn, dir, plan));
  log(`  ${parts.size} yearly parts (${plan.years.join(", ") || "none"})`);
  const single = await timed("downloads.window", () => writeWindowDownloads(a, dir, { log }));
  return new Map([...parts, ...single].map(([file, n]) => [`downloads/${file}`, n]));
}

export async function exportApi(a: Analytics, out: string, log: (s: string) => void = () => {}): Promise<ExportStats> {
  const started = performance.now();
  const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
  const logged =
    (what: string) =>
    <T>(result: T): T => {
      log(`${what} written (${elapsed()})`);
      return result;
    };
  const target = path.resolve(out);
  await assertReplaceable(target);
  await mkdir(path.dirname(target), { recursive: true });
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.tmp`);
  await rm(tmp, { recursive: true, force: true });
  const extra: { close: () => void }[] = [];
  try {
    await mkdir(path.join(tmp, "stocks"), { recursive: true });
    await mkdir(path.join(tmp, "participants"), { recursive: true });
    await mkdir(path.join(tmp, "downloads"), { recursive: true });
    await mkdir(path.join(tmp, "history"), { recursive: true });
    const synthetic = await isSynthetic(a);
    const p0 = performance.now();
    // Per-year files: a year whose key the previous tree recorded is kept from it (linked), every
    // other year is written (docs/ARCHITECTURE.md "Incremental builds").
    const parts = await yearParts(a.db.conn);
    const previous = await previousIndex(target);
    const keep = keptParts(parts, previous.parts);
    const keptFiles = await keepPartFiles(target, tmp, keep);
    const plan: PartPlan = {
      years: parts.filter((p) => !keep.has(p.year)).map((p) => p.year),
      level: (y) => partLevel(parts.find((p) => p.year === y)!),
      resolution: (y) => parts.find((p) => p.year === y)!.resolution,
    };
    timing("export.keep_parts", (performance.now() - p0) / 1000);
    log(`per-year files: ${keptFiles} kept (years ${[...keep].join(", ") || "none"}), writing years ${plan.years.join(", ") || "none"}`);

    // Stock pages, participant pages, downloads and history files on their own connections at
    // once: while one waits on JavaScript (splicing, writing files) the others keep DuckDB's
    // threads busy (the full-market year: 14.6–18.5 s one after another; figures in
    // docs/DATASETS.md "Cost").
    const forParticipants = await onOwnConnection(a);
    extra.push(forParticipants);
    const forDownloads = await onOwnConnection(a);
    extra.push(forDownloads);
    const forHistory = await onOwnConnection(a);
    extra.push(forHistory);
    // big changes and feeds read only the cache and a few dates' holdings: beside the rest, not
    // after it (they were the export's last 15 % when run alone at the end)
    const forAlerts = await onOwnConnection(a);
    extra.push(forAlerts);
    const [stocks, participantFiles, rowsOf] = await allSettledOrThrow<[Awaited<ReturnType<typeof writeStockPages>>, number, Map<string, number>, unknown, unknown]>([
      timed("export.stocks", () => writeStockPages(a, path.join(tmp, "stocks"), synthetic)).then(logged("stocks")),
      timed("export.participants", () => writeParticipantPages(forParticipants.a, path.join(tmp, "participants"))).then(logged("participants")),
      timed("export.downloads", () => writeDownloads(forDownloads.a, path.join(tmp, "downloads"), plan, log)).then(logged("downloads")),
      timed("export.history", () => writeHistory(forHistory.a.db.conn, a.data, path.join(tmp, "history"), plan)).then(logged("history")),
      timed("export.alerts", () => writeAlertFiles(forAlerts.a, tmp, log)).then(logged("big changes and feeds")),
    ]);
    const i0 = performance.now();
    const { small, badge } = await healthSmall(a);
    await writeFile(path.join(tmp, "health.json"), JSON.stringify(small));
    await writeFile(path.join(tmp, "badge.json"), JSON.stringify(badge));

    // sorted by whole path (a folder `transfers/` sorts after the file `transfers.csv`, as docs/DATASETS.md says)
    const files = (await listFiles(tmp)).sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
    const index = {
      schema_version: SCHEMA_VERSION,
      has_data: await hasData(a),
      latest_date: await latestDate(a),
      synthetic,
      // the downloads' metadata names their sources and the credit archive dates need
      sources: dataSources(a.data),
      files: files.map((f) => {
        const rows = rowsOf.get(f.path) ?? (partYear(f.path) !== null && keep.has(partYear(f.path)!) ? previous.rows.get(f.path) : undefined);
        return rows === undefined ? f : { ...f, rows };
      }),
      // what each year's files were made from: the next export keeps a year whose key is unchanged
      parts: Object.fromEntries(parts.map((p) => [String(p.year), p.key])),
    };
    await writeFile(path.join(tmp, "index.json"), JSON.stringify(index));
    timing("export.index", (performance.now() - i0) / 1000);
    await timed("export.swap", () => replaceDirectory(tmp, target));
    log(`swapped in (${elapsed()})`);
    const total = files.reduce((s, f) => s + f.bytes, 0);
    const historyFiles = files.filter((f) => f.path.startsWith("history/"));
    const largestHistory = historyFiles
      .filter((f) => /^history\/\d{5}\/\d{4}\.parquet$/.test(f.path))
      .reduce<ExportStats["history"]["largest"]>(
        (m, f) => (!m || f.bytes > m.bytes ? { code: f.path.slice(8, 13), year: Number(f.path.slice(14, 18)), bytes: f.bytes } : m),
        null,
      );
    return {
      out: target,
      files: files.length + 1,
      bytes: total,
      stockFiles: stocks.files,
      participantFiles,
      largestStock: stocks.largest,
      history: { bytes: historyFiles.reduce((s, f) => s + f.bytes, 0), largest: largestHistory },
      seconds: (performance.now() - started) / 1000,
    };
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  } finally {
    for (const c of extra) c.close();
  }
}

/** The history parts of the plan's years (and every participant's held/ file). */
async function writeHistory(conn: DuckDBConnection, data: string, dir: string, plan: PartPlan): Promise<unknown> {
  await createHistorySources(conn);
  return writeHistoryParts(conn, data, dir, plan);
}

/** Which years' files to write, and at what zstd level. */
interface PartPlan {
  years: number[];
  level: (year: number) => number;
  /** The history parts' resolution of a year (the site's older years are coarse, publish/month-end.ts). */
  resolution: (year: number) => Resolution;
}

/** The part keys and download row counts an earlier export recorded in its index.json (empty when none). */
async function previousIndex(tree: string): Promise<{ parts: Map<number, string>; rows: Map<string, number> }> {
  try {
    const index = JSON.parse(await readFile(path.join(tree, "index.json"), "utf8")) as {
      parts?: Record<string, string>;
      files?: { path: string; rows?: number }[];
    };
    return {
      parts: new Map(Object.entries(index.parts ?? {}).map(([y, k]) => [Number(y), String(k)])),
      rows: new Map((index.files ?? []).filter((f) => typeof f.rows === "number").map((f) => [f.path, f.rows!])),
    };
  } catch {
    return { parts: new Map(), rows: new Map() };
  }
}

async function listFiles(root: string, rel = ""): Promise<{ path: string; bytes: number }[]> {
  const out: { path: string; bytes: number }[] = [];
  for (const e of (await readdir(path.join(root, rel), { withFileTypes: true })).sort((x, y) => (x.name < y.name ? -1 : 1))) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(root, r)));
    else out.push({ path: r, bytes: (await stat(path.join(root, r))).size });
  }
  return out;
}
