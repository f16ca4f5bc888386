// The static API and downloads (docs/DATASETS.md "Static API"). The whole tree is built in a
// sibling temp folder and swapped in at the end, so a reader (or a failed run) never sees a
// half-written tree: on any error the old tree stays as it was and the temp folder is removed.
import { existsSync } from "node:fs";
import { mkdir, readdir, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { sqlString } from "../../src/ingest/sql.ts";
import { replaceDirectory } from "../../src/lib/atomic.ts";
import type { Analytics } from "./cache.ts";
import { sqlSafeText, toCsv } from "./csv.ts";
import { gzipJson } from "./gzip-json.ts";
import { writeHistoryFiles } from "./history.ts";
import { columns } from "./duck.ts";
import { hasData, isSynthetic, latestDate, pct, SCHEMA_VERSION } from "./datasets/common.ts";
import { RANKING_SQL } from "./datasets/concentration.ts";
import { healthSmall } from "./datasets/health.ts";
import { participantIndexColumns } from "./datasets/participants.ts";
import { participantPages } from "./datasets/participant-pages.ts";
import { stockIndexColumns } from "./datasets/stocks.ts";
import { stockPages } from "./datasets/stock-pages.ts";

export interface ExportStats {
  out: string;
  files: number;
  bytes: number;
  stockFiles: number;
  participantFiles: number;
  /** The largest stored stock file (`bytes`, gzip) and its JSON text's size (`jsonBytes`). */
  largestStock: { code: string; bytes: number; jsonBytes: number } | null;
  /** history/: every file together and the largest stock's change-point file. */
  history: { bytes: number; largest: { code: string; bytes: number } | null };
  seconds: number;
}

/** Parquet downloads: file name → query over the cache. */
const DOWNLOADS: Record<string, string> = {
  "holdings-latest.parquet": `SELECT l.date, l.stock_code, l.pkey AS participant_key, n.participant_id, n.name, l.shares,
      ${pct("l.pct")} AS pct_of_issued
    FROM latest l LEFT JOIN pnames n USING (pkey) WHERE l.date = (SELECT max(date) FROM dates) ORDER BY l.stock_code, l.rank`,
  "transfers.parquet": `SELECT p.date, p.stock_code, p.seller AS seller_id, s.name AS seller_name, p.buyer AS buyer_id, b.name AS buyer_name,
      p.shares, ${pct("p.pct_of_issued")} AS pct_of_issued, p.match, p.set_id AS "group", p.confidence
    FROM pairs p LEFT JOIN pnames s ON s.pkey = p.seller LEFT JOIN pnames b ON b.pkey = p.buyer
    ORDER BY p.date, p.stock_code, p.set_id, p.buyer, p.seller`,
  "concentration.parquet": `SELECT c.date, c.stock_code, ${pct("c.top1_pct")} AS top1_pct, ${pct("c.top5_pct")} AS top5_pct,
      ${pct("c.top10_pct")} AS top10_pct, ${pct("c.ccass_pct")} AS ccass_pct, c.participants, s.issued_shares
    FROM conc c JOIN summ s USING (stock_code, seq) ORDER BY c.date, c.stock_code`,
  "attention.parquet": `SELECT date, stock_code, ${pct("attention_pct")} AS attention_pct, positions_changed FROM attn ORDER BY date, stock_code`,
  "southbound.parquet": `SELECT c.date, c.stock_code, b.shares, ${pct("b.pct")} AS pct, c.clearing_shares, ${pct("c.clearing_pct")} AS clearing_pct
    FROM conc c LEFT JOIN south b USING (stock_code, seq) WHERE b.shares IS NOT NULL OR c.clearing_shares > 0 ORDER BY c.date, c.stock_code`,
  // change points only: each row's holding lasts until the participant's next row for that stock
  "trends-top10.parquet": `SELECT date, stock_code, pkey AS participant_key, shares AS shares_adj, change AS change_adj,
      ${pct("shares * 100.0 / issued_adj")} AS pct_of_issued
    FROM series_pts WHERE latest_rank <= 10 ORDER BY stock_code, participant_key, date`,
  "corporate-actions.parquet": `SELECT date, stock_code, ca_kind AS kind, round(ca_ratio, 6) AS ratio, issued_prev AS issued_before,
      issued_shares AS issued_after FROM summ WHERE ca_kind IS NOT NULL ORDER BY date, stock_code`,
};

/** transfers.csv is written only up to this many pairs (the Parquet always has them all). */
export const MAX_CSV_ROWS = 100_000;

/** CSV downloads (small ones only): file name → columnar table. */
async function csvTables(a: Analytics): Promise<Record<string, Record<string, unknown[]>>> {
  return {
    "stocks.csv": await stockIndexColumns(a),
    "participants.csv": await participantIndexColumns(a),
    "concentration-latest.csv": await columns(a.db.conn, RANKING_SQL),
    "attention-bands.csv": await columns(
      a.db.conn,
      `SELECT stock_code, ${pct("p25")} AS p25, ${pct("p75")} AS p75, ${pct("p95")} AS p95, days FROM bands ORDER BY stock_code`,
    ),
    "corporate-actions.csv": await columns(a.db.conn, `SELECT strftime(date, '%Y-%m-%d') AS date, * EXCLUDE (date) FROM (${DOWNLOADS["corporate-actions.parquet"]})`),
  };
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

/** Parquet and CSV downloads; returns the row count of each file (by path in the tree). */
async function writeDownloads(a: Analytics, dir: string, log: (s: string) => void): Promise<Map<string, number>> {
  const rowsOf = new Map<string, number>();
  for (const [file, sql] of Object.entries(DOWNLOADS)) {
    const r = await a.db.conn.run(`COPY (${sql}) TO ${sqlString(path.join(dir, file))} (FORMAT parquet, COMPRESSION zstd)`);
    rowsOf.set(`downloads/${file}`, r.rowsChanged);
    log(`  ${file}`);
  }
  for (const [file, table] of Object.entries(await csvTables(a))) {
    await writeFile(path.join(dir, file), toCsv(table as Parameters<typeof toCsv>[0]));
    const first = Object.values(table)[0];
    rowsOf.set(`downloads/${file}`, first ? first.length : 0);
  }
  // transfers.csv: DuckDB writes it (far faster than JS for big tables), names neutralised in SQL;
  // only when small enough to be useful as a spreadsheet
  const pairCount = Number((await a.db.conn.runAndReadAll("SELECT count(*) FROM pairs")).getRowsJS()[0]![0]);
  if (pairCount <= MAX_CSV_ROWS) {
    const r = await a.db.conn.run(
      `COPY (SELECT strftime(date, '%Y-%m-%d') AS date, * EXCLUDE (date, seller_name, buyer_name),
         ${sqlSafeText("seller_name")} AS seller_name, ${sqlSafeText("buyer_name")} AS buyer_name
       FROM (${DOWNLOADS["transfers.parquet"]})) TO ${sqlString(path.join(dir, "transfers.csv"))} (FORMAT csv, HEADER true)`,
    );
    rowsOf.set("downloads/transfers.csv", r.rowsChanged);
  }
  return rowsOf;
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
    const [stocks, participantFiles, rowsOf] = await allSettledOrThrow<[Awaited<ReturnType<typeof writeStockPages>>, number, Map<string, number>, unknown]>([
      writeStockPages(a, path.join(tmp, "stocks"), synthetic).then(logged("stocks")),
      writeParticipantPages(forParticipants.a, path.join(tmp, "participants")).then(logged("participants")),
      writeDownloads(forDownloads.a, path.join(tmp, "downloads"), log).then(logged("downloads")),
      writeHistoryFiles(forHistory.a.db.conn, a.data, path.join(tmp, "history")).then(logged("history")),
    ]);
    const { small, badge } = await healthSmall(a);
    await writeFile(path.join(tmp, "health.json"), JSON.stringify(small));
    await writeFile(path.join(tmp, "badge.json"), JSON.stringify(badge));

    const files = await listFiles(tmp);
    const index = {
      schema_version: SCHEMA_VERSION,
      has_data: await hasData(a),
      latest_date: await latestDate(a),
      synthetic,
      files: files.map((f) => (rowsOf.has(f.path) ? { ...f, rows: rowsOf.get(f.path)! } : f)),
    };
    await writeFile(path.join(tmp, "index.json"), JSON.stringify(index));
    await replaceDirectory(tmp, target);
    log(`swapped in (${elapsed()})`);
    const total = files.reduce((s, f) => s + f.bytes, 0);
    const historyFiles = files.filter((f) => f.path.startsWith("history/"));
    const largestHistory = historyFiles
      .filter((f) => /^history\/\d{5}\.parquet$/.test(f.path))
      .reduce<ExportStats["history"]["largest"]>((m, f) => (!m || f.bytes > m.bytes ? { code: path.basename(f.path, ".parquet"), bytes: f.bytes } : m), null);
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

async function listFiles(root: string, rel = ""): Promise<{ path: string; bytes: number }[]> {
  const out: { path: string; bytes: number }[] = [];
  for (const e of (await readdir(path.join(root, rel), { withFileTypes: true })).sort((x, y) => (x.name < y.name ? -1 : 1))) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(root, r)));
    else out.push({ path: r, bytes: (await stat(path.join(root, r))).size });
  }
  return out;
}
