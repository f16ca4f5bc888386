// The archive import (docs/ARCHIVE.md): Webb-site's dumps in, the project's own dataset out.
// Stage 1 (src/archive/stage.ts) reads the dumps once into Parquet. Stage 2, here, walks the months
// in order: the holdings as of the end of the previous month (a small "state" file) plus the month's
// change rows give, for each (security, participant), intervals of a constant holding; each
// security's dailylog dates of the month pick the intervals covering them (a 0 holding ends one, and
// no row with 0 shares is written). Then codes, names and keys are attached and the month's files
// are written in the dataset's layout (compacted month files, `<table>/month=YYYY-MM/YYYY-MM.parquet`).
//
// Safety: every file is written atomically; a month is marked done (`_archive/months/M.json`) only
// after its four tables and its state are in place, and a run resumes at the first month not marked,
// rewriting any file of it a killed run left (same input, same bytes). Rows that cannot be placed
// (unknown security or participant, a date outside the calendar, a code held by another security
// that day, no issued shares) are counted and kept as evidence in `_rejects/archive/`.
// Where a month already holds dates written by the scraper, those dates are compared, never
// overwritten (src/archive/reconcile.ts); the archive's other dates of that month are added.
import { existsSync, readdirSync } from "node:fs";
import { mkdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { produceFileAtomic, writeFileAtomic } from "../lib/atomic.ts";
import { settlementDaysBetween } from "../lib/calendar.ts";
import { isParticipantId } from "../lib/validate.ts";
import { rewriteDateInMonth } from "../ingest/compact.ts";
import { archiveDir, archiveWorkDir, assertCurrentLayout, dayFile, monthDir, monthFile, type TableName } from "../dataset/layout.ts";
import { investorKey } from "../ingest/participant-key.ts";
import { columnList, TABLE_SCHEMAS } from "../dataset/schema.ts";
import { sqlDate, sqlString } from "../lib/sql.ts";
import { DatasetWriter } from "../ingest/writer.ts";
import { ARCHIVE_SECURITY_PREFIX, migrateSecurityIds } from "../ingest/security-id.ts";
import { buildStage, dumpFiles, existingStage, stageDir, type StageManifest } from "./stage.ts";
import { compareMonth, type MonthReconciliation } from "./reconcile.ts";

export const ARCHIVE_CREDIT = "Webb-site (David M. Webb), CC-BY 4.0";

export interface ImportOptions {
  dump: string;
  out: string;
  from?: string;
  to?: string;
  log?: (line: string) => void;
  /** test hook: called after each month is complete */
  onMonth?: (month: string) => void;
}

export interface MonthResult {
  month: string;
  dates: string[];
  rows: Record<string, number>;
  rejects: Record<string, number>;
  /** dates of the month that already held scraped rows: compared, left as they were */
  scrapedDates: string[];
  reconciliation: MonthReconciliation | null;
}

export interface ImportSummary {
  dumps: string[];
  stage: StageManifest;
  monthsWritten: number;
  monthsResumed: number;
  rows: Record<string, number>;
  rejects: Record<string, number>;
  reconciliation: { months: number; agreeing: number; differing: number; archiveOnly: number; scrapedOnly: number };
}

const monthsDir = (out: string) => path.join(archiveDir(out), "months");
const stateFile = (out: string, month: string) => path.join(archiveWorkDir(out), "state", `${month}.parquet`);
const spillDir = (out: string) => path.join(archiveWorkDir(out), "tmp");
const rejectsRoot = (out: string) => path.join(out, "_rejects", "archive");

const OUT_TABLES: readonly TableName[] = ["holdings", "summary", "stocks", "participants"];
const COPY = "(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)";

function nextMonth(m: string): string {
  const [y, mo] = m.split("-").map(Number) as [number, number];
  return mo === 12 ? `${y + 1}-01` : `${y}-${String(mo + 1).padStart(2, "0")}`;
}
function lastDay(m: string): string {
  const [y, mo] = m.split("-").map(Number) as [number, number];
  return new Date(Date.UTC(y, mo, 0)).toISOString().slice(0, 10);
}

async function rows(c: DuckDBConnection, sql: string): Promise<unknown[][]> {
  return (await c.runAndReadAll(sql)).getRowsJS() as unknown[][];
}
async function scalar(c: DuckDBConnection, sql: string): Promise<number> {
  return Number((await rows(c, sql))[0]?.[0] ?? 0);
}

/** Import the dumps at opts.dump into the dataset at opts.out (resuming a killed run). */
export async function importArchive(opts: ImportOptions): Promise<ImportSummary> {
  const log = opts.log ?? (() => {});
  const files = dumpFiles(opts.dump);
  await mkdir(opts.out, { recursive: true });
  assertCurrentLayout(opts.out);
  await mkdir(spillDir(opts.out), { recursive: true });
  const instance = await DuckDBInstance.create(":memory:", {
    threads: "2",
    memory_limit: "1GB",
    preserve_insertion_order: "true",
    temp_directory: spillDir(opts.out),
  });
  const c = await instance.connect();
  try {
    let stage = await existingStage(opts.out, files);
    if (stage) log(`stage of ${files.length} dump file(s) found: reused`);
    else stage = await buildStage(c, opts.out, files, log);
    await prepare(c, opts.out);
    const summary: ImportSummary = {
      dumps: files.map((f) => path.basename(f)),
      stage,
      monthsWritten: 0,
      monthsResumed: 0,
      rows: { holdings: 0, summary: 0, stocks: 0, participants: 0 },
      rejects: {},
      reconciliation: { months: 0, agreeing: 0, differing: 0, archiveOnly: 0, scrapedOnly: 0 },
    };
    const months = await monthsToWalk(c, opts.out, stage);
    let prevState: string | null = null;
    for (const month of months) {
      const marker = path.join(monthsDir(opts.out), `${month}.json`);
      const wanted = (!opts.from || lastDay(month) >= opts.from) && (!opts.to || `${month}-01` <= opts.to);
      if (existsSync(marker) && existsSync(stateFile(opts.out, month))) {
        const done = JSON.parse(await readFile(marker, "utf8")) as MonthResult & { range: string };
        if (done.range === rangeKey(opts) || !wanted) {
          summary.monthsResumed++;
          addMonth(summary, done);
          prevState = stateFile(opts.out, month);
          continue;
        }
      }
      const result = await importMonth(c, opts, month, prevState, wanted, summary.dumps);
      await writeFileAtomic(marker, JSON.stringify({ ...result, range: rangeKey(opts) }, null, 1) + "\n");
      addMonth(summary, result);
      summary.monthsWritten++;
      prevState = stateFile(opts.out, month);
      if (wanted) log(`${month}: ${result.dates.length} dates, ${result.rows.holdings} holdings rows${result.scrapedDates.length ? `, ${result.scrapedDates.length} scraped dates compared` : ""}`);
      opts.onMonth?.(month);
    }
    await writeFileAtomic(
      path.join(archiveDir(opts.out), "provenance.json"),
      JSON.stringify({ source: "Webb-site CCASS archive", credit: ARCHIVE_CREDIT, dumps: stage.dumps, from: opts.from ?? null, to: opts.to ?? null, rule: "scraped rows win; archive rows fill dates never scraped (docs/ARCHIVE.md)" }, null, 1) + "\n",
    );
    await writeSecurities(c, opts.out);
    // Scraped files: their hk: ids become the archive's where it lists the code that day.
    const relinked = await migrateSecurityIds(c, opts.out);
    if (relinked.length > 0) log(`security_id: ${relinked.length} scraped summary/stocks files linked to the archive's securities`);
    await writeFileAtomic(path.join(archiveDir(opts.out), "reconciliation.json"), JSON.stringify(await reconciliationReport(opts.out), null, 1) + "\n");
    return summary;
  } finally {
    c.closeSync();
    instance.closeSync();
    await rm(spillDir(opts.out), { recursive: true, force: true });
  }
  // participants_dim: rebuilt by the caller (rebuildDim) once the connection above is closed
}

/** participants_dim.parquet rebuilt from every participants file (archive and scraped alike). */
export async function rebuildDim(out: string): Promise<void> {
  const writer = await DatasetWriter.open(out);
  try {
    await writer.rebuildParticipantsDim();
  } finally {
    writer.close();
  }
}

function rangeKey(opts: ImportOptions): string {
  return `${opts.from ?? ""}..${opts.to ?? ""}`;
}

function addMonth(s: ImportSummary, m: MonthResult): void {
  for (const [k, v] of Object.entries(m.rows)) s.rows[k] = (s.rows[k] ?? 0) + v;
  for (const [k, v] of Object.entries(m.rejects)) s.rejects[k] = (s.rejects[k] ?? 0) + v;
  if (m.reconciliation) {
    s.reconciliation.months++;
    s.reconciliation.agreeing += m.reconciliation.agreeing;
    s.reconciliation.differing += m.reconciliation.differing;
    s.reconciliation.archiveOnly += m.reconciliation.archiveOnly;
    s.reconciliation.scrapedOnly += m.reconciliation.scrapedOnly;
  }
}

/** Every month from the first change or dailylog row to the last, in order (state must be carried through each). */
async function monthsToWalk(c: DuckDBConnection, out: string, stage: StageManifest): Promise<string[]> {
  const r = await rows(c, `SELECT strftime(min(atDate), '%Y-%m'), strftime(max(atDate), '%Y-%m') FROM daily`);
  let first = (r[0]?.[0] as string | null) ?? null;
  let last = (r[0]?.[1] as string | null) ?? null;
  if (stage.months.length > 0) {
    if (first === null || stage.months[0]! < first) first = stage.months[0]!;
    if (last === null || stage.months.at(-1)! > last) last = stage.months.at(-1)!;
  }
  const months: string[] = [];
  if (first === null || last === null) return months;
  for (let m = first; m <= last; m = nextMonth(m)) months.push(m);
  void out;
  return months;
}

/** Small tables into DuckDB; participants' names per date range with their keys computed here (SHA-1 in JS). */
async function prepare(c: DuckDBConnection, out: string): Promise<void> {
  const st = (t: string) => sqlString(path.join(stageDir(out), `${t}.parquet`));
  const has = (t: string) => existsSync(path.join(stageDir(out), `${t}.parquet`));
  await c.run(`CREATE OR REPLACE VIEW daily_all AS SELECT * FROM read_parquet(${st("dailylog")})`);
  // min/max only: the month's rows are read from the Parquet file (sorted by date) each month
  await c.run(`CREATE OR REPLACE TEMP TABLE daily AS SELECT min(atDate) AS atDate FROM daily_all UNION ALL SELECT max(atDate) FROM daily_all`);
  await c.run(
    `CREATE OR REPLACE TEMP TABLE listings AS
     SELECT IssueID AS issueID, lpad(trim(StockCode), 5, '0') AS code, FirstTradeDate AS ftd, DelistDate AS dd
     FROM read_parquet(${st("stocklistings")}) WHERE regexp_full_match(lpad(trim(StockCode), 5, '0'), '[0-9]{5}')`,
  );
  await c.run(
    `CREATE OR REPLACE TEMP TABLE names AS
     SELECT i.ID1 AS issueID, o.Name1 AS name FROM read_parquet(${st("issue")}) i LEFT JOIN read_parquet(${st("organisations")}) o ON o.PersonID = i.issuer`,
  );
  await c.run(`CREATE OR REPLACE TEMP TABLE issued AS SELECT issueID, atDate, outstanding FROM read_parquet(${st("issuedshares")}) WHERE outstanding IS NOT NULL ORDER BY issueID, atDate`);
  await c.run(`CREATE OR REPLACE TEMP TABLE cal AS SELECT DISTINCT settleDate AS d FROM ${has("calendar") ? `read_parquet(${st("calendar")})` : "(SELECT NULL::DATE AS settleDate WHERE false)"}`);
  // Name of each participant over time: oldnames give the name used before dateChanged.
  const parts = await rows(c, `SELECT partID, CCASSID, partName FROM read_parquet(${st("participants")}) ORDER BY partID`);
  const old = has("oldnames") ? await rows(c, `SELECT partID, oldName, strftime(dateChanged, '%Y-%m-%d') FROM read_parquet(${st("oldnames")}) WHERE dateChanged IS NOT NULL ORDER BY partID, dateChanged`) : [];
  const oldBy = new Map<number, [string, string][]>();
  for (const [id, name, d] of old) {
    const list = oldBy.get(Number(id)) ?? [];
    list.push([String(name), String(d)]);
    oldBy.set(Number(id), list);
  }
  await c.run(`CREATE OR REPLACE TEMP TABLE pnames (partID INTEGER, ccass_id VARCHAR, name VARCHAR, vfrom DATE, vto DATE, base_key VARCHAR)`);
  const a = await c.createAppender("pnames");
  for (const [idRaw, ccassRaw, nameRaw] of parts) {
    const id = Number(idRaw);
    const ccass = ccassRaw === null ? null : String(ccassRaw).trim();
    // A CCASS ID that is not a letter and five digits cannot be a key: the participant stays unknown (its rows rejected).
    if (ccass !== null && ccass !== "" && !isParticipantId(ccass)) continue;
    const spans: [string, string, string][] = [];
    let from = "0001-01-01";
    for (const [name, changed] of oldBy.get(id) ?? []) {
      spans.push([name, from, changed]);
      from = changed;
    }
    spans.push([String(nameRaw), from, "9999-12-31"]);
    for (const [name, vfrom, vto] of spans) {
      a.appendInteger(id);
      if (ccass === null || ccass === "") a.appendNull();
      else a.appendVarchar(ccass);
      a.appendVarchar(name);
      a.appendVarchar(vfrom);
      a.appendVarchar(vto);
      a.appendVarchar(ccass === null || ccass === "" ? investorKey(name) : ccass);
      a.endRow();
    }
  }
  a.closeSync();
}

/** Import one month: returns what was written and rejected. */
async function importMonth(c: DuckDBConnection, opts: ImportOptions, month: string, prevState: string | null, write: boolean, dumps: string[]): Promise<MonthResult> {
  const out = opts.out;
  const S = `${month}-01`;
  const E = lastDay(month);
  const changeGlob = path.join(stageDir(out), "changes", `m=${month}`);
  const hasChanges = existsSync(changeGlob) && readdirSync(changeGlob).some((f) => f.endsWith(".parquet"));
  await c.run(
    `CREATE OR REPLACE TEMP TABLE ch AS ${hasChanges ? `SELECT issueID, partID, holding, atDate FROM read_parquet(${sqlString(path.join(changeGlob, "*.parquet"))})` : "SELECT NULL::INTEGER AS issueID, NULL::INTEGER AS partID, NULL::BIGINT AS holding, NULL::DATE AS atDate WHERE false"}`,
  );
  const stateSql = prevState ? `SELECT issueID, partID, holding FROM read_parquet(${sqlString(prevState)})` : "SELECT NULL::INTEGER AS issueID, NULL::INTEGER AS partID, NULL::BIGINT AS holding WHERE false";
  await c.run(
    `CREATE OR REPLACE TEMP TABLE iv AS
     SELECT issueID, partID, holding, f, coalesce(lead(f) OVER (PARTITION BY issueID, partID ORDER BY f), DATE '9999-12-31') AS t
     FROM (SELECT issueID, partID, holding, DATE '0001-01-01' AS f FROM (${stateSql})
           UNION ALL SELECT issueID, partID, holding, atDate FROM ch)`,
  );
  // The state after this month, for the next: every open position with shares.
  const state = stateFile(out, month);
  await produceFileAtomic(state, async (tmp) => {
    await c.run(`COPY (SELECT issueID, partID, holding FROM iv WHERE t = DATE '9999-12-31' AND holding <> 0 ORDER BY issueID, partID) TO ${sqlString(tmp)} ${COPY}`);
  });
  const result: MonthResult = { month, dates: [], rows: { holdings: 0, summary: 0, stocks: 0, participants: 0 }, rejects: {}, scrapedDates: [], reconciliation: null };
  if (!write) return result;

  // Calendar: the project's settlement days, plus any settlement date the dump's calendar lists.
  const lo = opts.from && opts.from > S ? opts.from : S;
  const hi = opts.to && opts.to < E ? opts.to : E;
  const calendar = new Set(settlementDaysBetween(S, E));
  for (const [d] of await rows(c, `SELECT strftime(d, '%Y-%m-%d') FROM cal WHERE d BETWEEN ${sqlDate(S)} AND ${sqlDate(E)}`)) calendar.add(String(d));
  const calList = [...calendar].sort();
  await c.run(`CREATE OR REPLACE TEMP TABLE caldays AS SELECT unnest([${calList.map((d) => sqlDate(d)).join(", ") || "NULL::DATE"}]) AS d`);
  await c.run(
    `CREATE OR REPLACE TEMP TABLE dl AS SELECT * FROM daily_all WHERE atDate BETWEEN ${sqlDate(lo)} AND ${sqlDate(hi)}`,
  );
  // Each security-day: its code that day (the listing in force, else the nearest), name and issued shares.
  await c.run(
    `CREATE OR REPLACE TEMP TABLE sday_all AS
     WITH coded AS (
       SELECT d.atDate AS date, d.issueID, l.code,
              (l.ftd IS NULL OR l.ftd <= d.atDate) AND (l.dd IS NULL OR d.atDate < l.dd) AS in_force,
              row_number() OVER (PARTITION BY d.atDate, d.issueID
                                 ORDER BY (l.ftd IS NULL OR l.ftd <= d.atDate) AND (l.dd IS NULL OR d.atDate < l.dd) DESC,
                                          CASE WHEN l.ftd <= d.atDate THEN l.ftd END DESC NULLS LAST, l.ftd, l.code) AS rn
       FROM dl d JOIN listings l ON l.issueID = d.issueID)
     SELECT d.*, k.code, k.in_force, n.name, s.outstanding,
            d.atDate IN (SELECT d FROM caldays) AS on_calendar
     FROM dl d
     LEFT JOIN (SELECT * FROM coded WHERE rn = 1) k ON k.date = d.atDate AND k.issueID = d.issueID
     LEFT JOIN names n ON n.issueID = d.issueID
     ASOF LEFT JOIN issued s ON s.issueID = d.issueID AND d.atDate >= s.atDate`,
  );
  await c.run(
    `CREATE OR REPLACE TEMP TABLE sday_ranked AS
     SELECT *, CASE WHEN NOT on_calendar THEN 'date_outside_calendar'
                    WHEN code IS NULL THEN 'unknown_security'
                    WHEN outstanding IS NULL THEN 'no_issued_shares'
                    WHEN row_number() OVER (PARTITION BY atDate, code ORDER BY in_force DESC, issueID DESC) > 1 THEN 'code_held_by_another_security'
               END AS reject
     FROM sday_all`,
  );
  await c.run(`CREATE OR REPLACE TEMP TABLE sday AS SELECT * FROM sday_ranked WHERE reject IS NULL`);
  // Holdings: the intervals covering each accepted security-day, with shares.
  await c.run(
    `CREATE OR REPLACE TEMP TABLE hold AS
     SELECT d.atDate AS date, d.issueID, d.code, i.partID, i.holding
     FROM sday d JOIN iv i ON i.issueID = d.issueID AND d.atDate >= i.f AND d.atDate < i.t
     WHERE i.holding > 0`,
  );
  await c.run(
    `CREATE OR REPLACE TEMP TABLE hp AS
     SELECT h.*, p.ccass_id, p.name, p.base_key
     FROM hold h LEFT JOIN pnames p ON p.partID = h.partID AND h.date >= p.vfrom AND h.date < p.vto`,
  );
  // A named investor's key is the one a scraped page gives: "#2", "#3" for namesakes on one page, in page order (largest holding first).
  await c.run(
    `CREATE OR REPLACE TEMP TABLE hk AS
     SELECT date, code, issueID, partID, holding, ccass_id, name,
            CASE WHEN ccass_id IS NOT NULL THEN ccass_id
                 ELSE base_key || CASE WHEN rn > 1 THEN '#' || rn ELSE '' END END AS participant_key
     FROM (SELECT *, row_number() OVER (PARTITION BY date, issueID, base_key ORDER BY holding DESC, partID) AS rn FROM hp WHERE base_key IS NOT NULL)`,
  );
  // Rejects, with their evidence.
  await writeRejects(c, out, month, result);

  const scraped = await scrapedDatesOf(c, out, month);
  result.scrapedDates = scraped;
  const dates = (await rows(c, `SELECT DISTINCT strftime(atDate, '%Y-%m-%d') AS d FROM sday ORDER BY d`)).map((r) => String(r[0]));
  result.dates = dates.filter((d) => !scraped.includes(d));
  const selects: Record<string, string> = {
    holdings: `SELECT date, code AS stock_code, participant_key, holding AS shares FROM hk`,
    summary: `SELECT atDate AS date, code AS stock_code, coalesce(name, code) AS stock_name, round(outstanding)::BIGINT AS issued_shares,
                     coalesce(intermedHldg, 0) AS intermediaries_shares, coalesce(intermedCnt, 0) AS intermediaries_count,
                     coalesce(CIPhldg, 0) AS consenting_shares, coalesce(CIPcnt, 0) AS consenting_count,
                     coalesce(NCIPhldg, 0) AS nonconsenting_shares, coalesce(NCIPcnt, 0) AS nonconsenting_count,
                     coalesce(intermedHldg, 0) + coalesce(CIPhldg, 0) + coalesce(NCIPhldg, 0) AS total_shares,
                     (coalesce(intermedCnt, 0) + coalesce(CIPcnt, 0) + coalesce(NCIPcnt, 0))::INTEGER AS total_count,
                     '${ARCHIVE_SECURITY_PREFIX}' || issueID AS security_id
              FROM sday`,
    stocks: `SELECT atDate AS date, code AS stock_code, coalesce(name, code) AS stock_name, '${ARCHIVE_SECURITY_PREFIX}' || issueID AS security_id FROM sday`,
    participants: `SELECT DISTINCT ON (date, participant_key) date, participant_key, ccass_id AS participant_id, name, NULL::VARCHAR AS address FROM hk ORDER BY date, participant_key, name`,
  };
  if (scraped.length > 0) {
    result.reconciliation = await compareMonth(c, out, month, scraped, selects);
  }
  const notScraped = scraped.length > 0 ? `WHERE date NOT IN (${scraped.map((d) => sqlDate(d)).join(", ")})` : "";
  for (const table of OUT_TABLES) {
    const def = TABLE_SCHEMAS[table];
    const cols = columnList(def);
    await c.run(`CREATE OR REPLACE TEMP TABLE out_rows AS SELECT ${cols} FROM (${selects[table]}) ${notScraped} ORDER BY ${def.key.join(", ")}`);
    result.rows[table] = await scalar(c, "SELECT count(*) FROM out_rows");
    await writeTableMonth(c, out, table, month, scraped.length > 0, result.dates);
  }
  void dumps;
  return result;
}

/** The month's rows (out_rows) into the dataset: the compacted month file, or date by date beside scraped dates. */
async function writeTableMonth(c: DuckDBConnection, out: string, table: TableName, month: string, mixed: boolean, dates: string[]): Promise<void> {
  const columns = TABLE_SCHEMAS[table].columns.map((col) => col.name);
  if (!mixed) {
    if (dates.length === 0) return;
    await produceFileAtomic(monthFile(out, table, month), async (tmp) => {
      await c.run(`COPY (SELECT * FROM out_rows) TO ${sqlString(tmp)} ${COPY}`);
    });
    return;
  }
  // A month the scraper has written into: add the archive's other dates in the month's own form.
  const compacted = existsSync(monthFile(out, table, month));
  for (const d of dates) {
    const rowsOfDate = `SELECT * FROM out_rows WHERE date = ${sqlDate(d)}`;
    if (compacted) await rewriteDateInMonth(c, out, table, d, rowsOfDate, columns);
    else
      await produceFileAtomic(dayFile(out, table, d), async (tmp) => {
        await c.run(`COPY (${rowsOfDate}) TO ${sqlString(tmp)} ${COPY}`);
      });
  }
}

/** Dates of the month whose rows came from the scraper: stored summary dates the archive did not write. */
async function scrapedDatesOf(c: DuckDBConnection, out: string, month: string): Promise<string[]> {
  const dir = monthDir(out, "summary", month);
  if (!existsSync(dir) || !readdirSync(dir).some((f) => f.endsWith(".parquet") && !f.startsWith("."))) return [];
  const stored = (await rows(c, `SELECT DISTINCT strftime(date, '%Y-%m-%d') AS d FROM read_parquet(${sqlString(path.join(dir, "*.parquet"))}, hive_partitioning = false) ORDER BY d`)).map((r) => String(r[0]));
  const marker = path.join(monthsDir(out), `${month}.json`);
  const ours = existsSync(marker) ? new Set((JSON.parse(await readFile(marker, "utf8")) as MonthResult).dates) : new Set<string>();
  return stored.filter((d) => !ours.has(d));
}

async function writeRejects(c: DuckDBConnection, out: string, month: string, result: MonthResult): Promise<void> {
  const dir = rejectsRoot(out);
  const evidence: [string, string][] = [
    ["security_days", `SELECT reject, atDate, issueID, code FROM sday_ranked WHERE reject IS NOT NULL ORDER BY reject, atDate, issueID`],
    [
      "changes",
      `SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM listings l WHERE l.issueID = ch.issueID) THEN 'unknown_security' ELSE 'unknown_participant' END AS reject, issueID, partID, holding, atDate
       FROM ch WHERE NOT EXISTS (SELECT 1 FROM listings l WHERE l.issueID = ch.issueID) OR NOT EXISTS (SELECT 1 FROM pnames p WHERE p.partID = ch.partID)
       ORDER BY issueID, partID, atDate`,
    ],
  ];
  for (const [name, sql] of evidence) {
    await c.run(`CREATE OR REPLACE TEMP TABLE rj AS ${sql}`);
    const counts = await rows(c, `SELECT reject, count(*) FROM rj GROUP BY reject ORDER BY reject`);
    const file = path.join(dir, `${month}-${name}.csv`);
    if (counts.length === 0) {
      await rm(file, { force: true });
      continue;
    }
    for (const [reason, n] of counts) result.rejects[`${name}:${reason}`] = Number(n);
    await produceFileAtomic(file, async (tmp) => {
      await c.run(`COPY rj TO ${sqlString(tmp)} (FORMAT csv, HEADER true)`);
    });
  }
}

/** `_archive/securities.parquet`: each archive security's id, code and listing dates (the archive's security master). */
async function writeSecurities(c: DuckDBConnection, out: string): Promise<void> {
  await produceFileAtomic(path.join(archiveDir(out), "securities.parquet"), async (tmp) => {
    await c.run(
      `COPY (SELECT '${ARCHIVE_SECURITY_PREFIX}' || l.issueID AS security_id, l.issueID AS issue_id, l.code AS stock_code, l.ftd AS first_trade_date, l.dd AS delist_date, n.name
             FROM listings l LEFT JOIN names n USING (issueID) ORDER BY l.issueID, l.ftd NULLS FIRST, l.code)
       TO ${sqlString(tmp)} ${COPY}`,
    );
  });
}

/** Every month's reconciliation, together (the report written beside the import). */
async function reconciliationReport(out: string): Promise<unknown> {
  const dir = monthsDir(out);
  const months: MonthReconciliation[] = [];
  if (existsSync(dir))
    for (const f of readdirSync(dir).filter((f) => f.endsWith(".json")).sort()) {
      const m = JSON.parse(await readFile(path.join(dir, f), "utf8")) as MonthResult;
      if (m.reconciliation) months.push(m.reconciliation);
    }
  return { rule: "where a date has scraped rows, they stay: the archive's rows of that date are compared, never written", months };
}
