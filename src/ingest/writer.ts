// The Parquet writer: one date's pages in, the five tables of docs/ARCHITECTURE.md out.
// Rows are appended to in-memory DuckDB tables, merged with whatever is already stored for that
// date (upsert by key: a stock written again replaces its rows, other stocks stay), sorted by key
// and copied to a temp file that is renamed over the target. The same input therefore always
// gives the same rows in the same order, and a run killed mid-write leaves the old file intact.
// A date goes to `<table>/month=YYYY-MM/YYYY-MM-DD.parquet`; if compaction has already replaced that
// month's daily files by `YYYY-MM.parquet`, the date's rows are replaced inside that month file
// instead (one atomic rename), so no date is ever in two files.
import { existsSync, rmSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { DuckDBInstance, type DuckDBAppender, type DuckDBConnection } from "@duckdb/node-api";
import type { HoldingsPage, IsoDate, ParticipantHolding, ParticipantListPage, SouthboundPage, StockListPage } from "../hkex/types.ts";
import { produceFileAtomic } from "../lib/atomic.ts";
import { assertIsoDate } from "../lib/validate.ts";
import {
  holdingsPageProblem,
  InvalidPageError,
  participantListProblem,
  southboundPageProblem,
  stockListProblem,
} from "./invariants.ts";
import { rewriteDateInMonth, settleMonth } from "./compact.ts";
import { archiveSecuritiesFile, assertCurrentLayout, dayFile, monthFile, monthOf, participantsDimFile, TABLE_KEYS, TABLES, tableGlob, type TableName } from "../dataset/layout.ts";
import { columnList, TABLE_SCHEMAS } from "../dataset/schema.ts";
import { participantKeys } from "./participant-key.ts";
import { ensureSecurityIds, SCRAPED_SECURITY_PREFIX, scrapedSecurityIdSql } from "./security-id.ts";
import { sqlDate, sqlString } from "../lib/sql.ts";

/** Everything known about one settlement date. Absent parts leave their stored rows untouched. */
export interface DayInput {
  date: IsoDate;
  /** Holdings pages; each stock here replaces that stock's stored holdings and summary rows. */
  holdings: readonly HoldingsPage[];
  stockList?: StockListPage | null;
  participantList?: ParticipantListPage | null;
  southbound?: SouthboundPage | null;
}

export interface DayWriteStats {
  date: IsoDate;
  holdingsRows: number;
  stocks: number;
  files: string[];
  /** where the time went, ms: staging rows into DuckDB, then merging/sorting/compressing/renaming */
  stageMs: number;
  copyMs: number;
}

const COPY_OPTIONS = "(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)";

// Staging tables: the schema's columns less the date, a constant added at COPY time, so rows carry
// only what varies; participants also carry where each row came from (`src`, see mergeParticipants).
const STAGING_DDL = TABLES.map((t) => {
  const columns = TABLE_SCHEMAS[t].columns.filter((c) => c.name !== "date").map((c) => `${c.name} ${c.type}`);
  if (t === "participants") columns.push("src INTEGER");
  return `CREATE OR REPLACE TEMP TABLE new_${t} (${columns.join(", ")});`;
}).join("\n");

/** Output columns per table, in file order (the date first), from the one schema definition. */
const COLUMNS = Object.fromEntries(TABLES.map((t) => [t, columnList(TABLE_SCHEMAS[t])])) as Record<TableName, string>;

/** The staged rows of `table` with the date added, in file column order. */
function staged(table: TableName, dateLiteral: string): string {
  return `SELECT ${COLUMNS[table].replace(/^date\b/, `${dateLiteral} AS date`)} FROM new_${table}`;
}

export class DatasetWriter {
  private queue: Promise<unknown> = Promise.resolve();
  private securityIdsChecked = false;

  private constructor(
    readonly root: string,
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
    private readonly scratch: string,
  ) {}

  static async open(root: string, options: { threads?: number } = {}): Promise<DatasetWriter> {
    const instance = await DuckDBInstance.create(":memory:", {
      threads: String(options.threads ?? 2),
      // Byte-identical output for identical input: keep row order through every operator.
      preserve_insertion_order: "true",
    });
    const conn = await instance.connect();
    const scratch = await mkdtemp(path.join(tmpdir(), "ccass-writer-"));
    return new DatasetWriter(root, instance, conn, scratch);
  }

  /** Write one date. Calls are serialised: one writer, one DuckDB connection. */
  writeDay(input: DayInput): Promise<DayWriteStats> {
    const next = this.queue.then(() => this.writeDayNow(input));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Rebuild participants_dim.parquet from every stored participants partition. */
  rebuildParticipantsDim(): Promise<void> {
    const next = this.queue.then(() => this.rebuildDimNow());
    this.queue = next.catch(() => undefined);
    return next;
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
    rmSync(this.scratch, { recursive: true, force: true });
  }

  private async writeDayNow(input: DayInput): Promise<DayWriteStats> {
    const date = assertIsoDate(input.date);
    validateDay(input);
    assertCurrentLayout(this.root);
    // A compaction killed mid-swap may have moved the month aside: put it back before reading or writing it.
    for (const table of TABLES) await settleMonth(this.root, table, monthOf(date), this.conn);
    const t0 = performance.now();
    await this.conn.run(STAGING_DDL);
    const holdingsRows = await this.stage(input);
    // security_id: the archive's where it lists the code that day; a dataset from before the column
    // gets it first, once (src/ingest/security-id.ts).
    if (existsSync(archiveSecuritiesFile(this.root)))
      for (const t of ["new_summary", "new_stocks"])
        await this.conn.run(`UPDATE ${t} SET security_id = ${scrapedSecurityIdSql(this.root, `${t}.stock_code`, sqlDate(date))}`);
    if (!this.securityIdsChecked) await ensureSecurityIds(this.conn, this.root);
    this.securityIdsChecked = true;
    const t1 = performance.now();
    const files: string[] = [];
    const d = sqlDate(date);

    if (input.holdings.length > 0) {
      const replaced = `(date = ${d} AND stock_code IN (SELECT stock_code FROM new_summary))`;
      files.push(await this.merge("holdings", date, replaced, staged("holdings", d)));
      files.push(await this.merge("summary", date, replaced, staged("summary", d)));
    }
    if (input.stockList) {
      files.push(await this.merge("stocks", date, `(date = ${d})`, staged("stocks", d)));
    }
    if (input.southbound) {
      files.push(await this.merge("southbound", date, `(date = ${d})`, staged("southbound", d)));
    }
    if (input.holdings.length > 0 || input.participantList) files.push(await this.mergeParticipants(date));
    return { date, holdingsRows, stocks: input.holdings.length, files, stageMs: t1 - t0, copyMs: performance.now() - t1 };
  }

  /**
   * Stage the day's rows; returns the number of holdings rows. Holdings (a quarter of a million
   * rows on a full-market day) go through a CSV file that DuckDB parses natively: one value at a
   * time through the appender costs several times more. Every holdings value is already validated
   * (five-digit code, ID or "ip:" hex key, whole number), so the CSV needs no quoting.
   */
  private async stage(input: DayInput): Promise<number> {
    let rows = 0;
    const csv = new CsvBuffer(input.holdings.reduce((n, pg) => n + pg.participants.length, 0));
    const s = await this.conn.createAppender("new_summary");
    const p = await this.conn.createAppender("new_participants");
    // The same participant appears on many pages of a day: stage each distinct row once
    // (a Map by key is several times cheaper than hashing a joined string per row).
    const staged = new Map<string, ParticipantHolding[]>();
    try {
      for (const page of input.holdings) {
        const keys = participantKeys(page.participants);
        page.participants.forEach((row, i) => {
          const key = keys[i]!;
          csv.row(page.stockCode, key, row.shares);
          const variants = staged.get(key);
          if (!variants) staged.set(key, [row]);
          else if (!variants.some((v) => v.id === row.id && v.name === row.name && v.address === row.address)) variants.push(row);
          rows++;
        });
        const sm = page.summary;
        s.appendVarchar(page.stockCode);
        s.appendVarchar(page.stockName);
        s.appendBigInt(BigInt(page.issuedShares));
        for (const c of [sm.intermediaries, sm.consenting, sm.nonConsenting, sm.total]) {
          s.appendBigInt(BigInt(c.shares));
          s.appendInteger(c.participants);
        }
        s.appendVarchar(SCRAPED_SECURITY_PREFIX + page.stockCode); // the archive's id, when it has one, is set below
        s.endRow();
      }
      for (const [key, variants] of staged) for (const v of variants) appendParticipant(p, key, v.id, v.name, v.address, 0);
      for (const part of input.participantList?.participants ?? []) appendParticipant(p, part.id, part.id, part.name, null, 1);
      s.flushSync();
      p.flushSync();
    } finally {
      s.closeSync();
      p.closeSync();
    }
    if (rows > 0) {
      const file = path.join(this.scratch, `holdings-${process.pid}.csv`);
      await writeFile(file, csv.bytes());
      try {
        await this.conn.run(
          `INSERT INTO new_holdings SELECT * FROM read_csv(${sqlString(file)}, header = false, delim = ',', quote = '', escape = '',
             columns = {'stock_code': 'VARCHAR', 'participant_key': 'VARCHAR', 'shares': 'BIGINT'})`,
        );
      } finally {
        await rm(file, { force: true });
      }
    }
    if (input.stockList) {
      const a = await this.conn.createAppender("new_stocks");
      for (const st of input.stockList.stocks) {
        a.appendVarchar(st.code);
        a.appendVarchar(st.name);
        a.appendVarchar(SCRAPED_SECURITY_PREFIX + st.code);
        a.endRow();
      }
      a.closeSync();
    }
    if (input.southbound) {
      const a = await this.conn.createAppender("new_southbound");
      for (const sb of input.southbound.holdings) {
        a.appendVarchar(sb.stockCode);
        a.appendVarchar(sb.stockName);
        a.appendBigInt(BigInt(sb.shares));
        if (sb.reportedPercent === null || !Number.isFinite(sb.reportedPercent)) a.appendNull();
        else a.appendDouble(sb.reportedPercent);
        a.endRow();
      }
      a.closeSync();
    }
    return rows;
  }

  /** The file holding `date`'s rows of `table`: its month's compacted file if there is one, else its daily file. */
  private fileOf(table: TableName, date: string): { file: string; compacted: boolean } {
    const month = monthFile(this.root, table, monthOf(date));
    return existsSync(month) ? { file: month, compacted: true } : { file: dayFile(this.root, table, date), compacted: false };
  }

  /** The date's stored rows of `table`, or null when none are stored. */
  private storedRows(table: TableName, date: string): string | null {
    const { file } = this.fileOf(table, date);
    if (!existsSync(file)) return null;
    return `SELECT ${COLUMNS[table]} FROM read_parquet(${sqlString(file)}, hive_partitioning = false) WHERE date = ${sqlDate(date)}`;
  }

  /** Stored rows of the date minus `replaced`, plus `fresh`, sorted by key, written atomically. */
  private async merge(table: TableName, date: string, replaced: string, fresh: string): Promise<string> {
    const stored = this.storedRows(table, date);
    const kept = stored ? `SELECT * FROM (${stored}) WHERE NOT ${replaced} UNION ALL ` : "";
    return this.writeDate(table, date, `SELECT * FROM (${kept}${fresh}) ORDER BY ${TABLE_KEYS[table].join(", ")}`);
  }

  /** Write the date's complete rows: its own file, or in place of its rows in the compacted month file. */
  private async writeDate(table: TableName, date: string, rows: string): Promise<string> {
    const { file, compacted } = this.fileOf(table, date);
    if (compacted) return rewriteDateInMonth(this.conn, this.root, table, date, rows, TABLE_SCHEMAS[table].columns.map((c) => c.name));
    await this.copy(rows, file);
    return file;
  }

  /**
   * Participants of the date: stored and new rows together, one per key. A row from a holdings page
   * (it has an address) beats a participant-list row; among equals the new run wins, then the
   * smallest name, so the choice never depends on arrival order.
   */
  private async mergeParticipants(date: string): Promise<string> {
    const stored = this.storedRows("participants", date);
    const storedToday = stored
      ? `UNION ALL SELECT participant_key, participant_id, name, address, 2 AS src FROM (${stored})`
      : "";
    return this.writeDate(
      "participants",
      date,
      `SELECT DISTINCT ON (participant_key) ${sqlDate(date)} AS date, participant_key, participant_id, name, address
       FROM (SELECT * FROM new_participants ${storedToday})
       ORDER BY participant_key, address IS NULL, src, name, address`,
    );
  }

  private async copy(select: string, target: string): Promise<void> {
    await produceFileAtomic(target, async (tmp) => {
      await this.conn.run(`COPY (${select}) TO ${sqlString(tmp)} ${COPY_OPTIONS}`);
    });
  }

  private async rebuildDimNow(): Promise<void> {
    const glob = tableGlob(this.root, "participants");
    const target = participantsDimFile(this.root);
    const has = await this.conn.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM glob(${sqlString(glob)})`);
    if (Number(has.getRowsJS()[0]?.[0] ?? 0) === 0) return;
    // "As last seen": the values of the latest date; ties on a date cannot happen (key is unique per date).
    await this.copy(
      `SELECT participant_key,
              arg_max(participant_id, date) AS participant_id,
              arg_max(name, date) AS name,
              arg_max(address, date) AS address,
              min(date) AS first_seen,
              max(date) AS last_seen
       FROM read_parquet(${sqlString(glob)}, hive_partitioning = false)
       GROUP BY participant_key
       ORDER BY participant_key`,
      target,
    );
  }
}

/**
 * The holdings CSV built straight into one buffer: a string per row (and its garbage collection)
 * cost more than the rest of staging on a full-market day. Values are ASCII by validation.
 */
class CsvBuffer {
  private buf: Buffer;
  private at = 0;
  constructor(rows: number) {
    this.buf = Buffer.allocUnsafe(Math.max(64, rows * 48));
  }
  row(code: string, key: string, shares: number): void {
    // 5-digit code, key ("C00010" or "ip:" + 12 hex + "#n"), up to 16 digits, separators: < 48 bytes
    // unless a key carries a long "#n" suffix, hence the check.
    if (this.at + key.length + 32 > this.buf.length) {
      const bigger = Buffer.allocUnsafe(this.buf.length * 2);
      this.buf.copy(bigger, 0, 0, this.at);
      this.buf = bigger;
    }
    this.at += this.buf.write(code, this.at, "latin1");
    this.buf[this.at++] = 44; // ,
    this.at += this.buf.write(key, this.at, "latin1");
    this.buf[this.at++] = 44;
    this.at = writeDigits(this.buf, this.at, shares);
    this.buf[this.at++] = 10; // \n
  }
  bytes(): Buffer {
    return this.buf.subarray(0, this.at);
  }
}

/** A non-negative safe integer in decimal at `at`; returns the new end. */
function writeDigits(buf: Buffer, at: number, n: number): number {
  if (n === 0) {
    buf[at] = 48;
    return at + 1;
  }
  let len = 0;
  for (let m = n; m > 0; m = Math.floor(m / 10)) len++;
  for (let i = at + len - 1, m = n; m > 0; i--, m = Math.floor(m / 10)) buf[i] = 48 + (m % 10);
  return at + len;
}

function appendParticipant(a: DuckDBAppender, key: string, id: string | null, name: string, address: string | null, src: number): void {
  a.appendVarchar(key);
  if (id === null) a.appendNull();
  else a.appendVarchar(id);
  a.appendVarchar(name);
  if (address === null) a.appendNull();
  else a.appendVarchar(address);
  a.appendInteger(src);
  a.endRow();
}

/** Every page of the day is checked before anything is staged: a bad page means nothing is written. */
function validateDay(input: DayInput): void {
  const seen = new Set<string>();
  for (const page of input.holdings) {
    const problem = holdingsPageProblem(page, { date: input.date, stockCode: page.stockCode });
    if (problem) throw new InvalidPageError(`holdings ${page.stockCode} ${input.date}`, problem);
    if (seen.has(page.stockCode)) throw new InvalidPageError(`holdings ${page.stockCode} ${input.date}`, "stock given twice");
    seen.add(page.stockCode);
  }
  if (input.stockList) {
    const problem = stockListProblem(input.stockList);
    if (problem) throw new InvalidPageError(`stock list ${input.date}`, problem);
  }
  if (input.participantList) {
    const problem = participantListProblem(input.participantList);
    if (problem) throw new InvalidPageError(`participant list ${input.date}`, problem);
  }
  if (input.southbound) {
    const problem = southboundPageProblem(input.southbound, input.date);
    if (problem) throw new InvalidPageError(`southbound ${input.date}`, problem);
  }
}
