// Stage 1 of the archive import (docs/ARCHIVE.md): every dump file read once, streaming, and the
// rows of the tables the import needs written as Parquet under `_state/archive/stage/`. The holdings
// changes (hundreds of millions of rows in the real archive) go through CSV chunks of a few
// million rows that DuckDB turns into Parquet partitioned by month (`changes/m=YYYY-MM/`), so
// stage 2 reads one month at a time and memory never depends on the dump's size.
// The stage is built in a sibling folder and renamed into place with a manifest naming the dump
// files (name, size, modification time): a run killed here starts the stage again; a finished
// stage is reused by the next run when the dumps are unchanged.
import { closeSync, existsSync, openSync, readdirSync, statSync, writeSync } from "node:fs";
import { mkdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { replaceDirectory, writeFileAtomic } from "../lib/atomic.ts";
import { archiveWorkDir } from "../dataset/layout.ts";
import { sqlString } from "../lib/sql.ts";
import { readDump, type DumpStats, type DumpValue, type RowSink } from "./mysqldump.ts";

/** The tables read, the columns kept (by name, in this order) and the DuckDB type of each. */
export const STAGED_TABLES: Readonly<Record<string, readonly (readonly [string, string])[]>> = {
  holdings: [["issueID", "INTEGER"], ["partID", "INTEGER"], ["holding", "BIGINT"], ["atDate", "DATE"]],
  dailylog: [["atDate", "DATE"], ["issueID", "INTEGER"], ["intermedHldg", "BIGINT"], ["intermedCnt", "INTEGER"], ["NCIPhldg", "BIGINT"], ["NCIPcnt", "INTEGER"], ["CIPhldg", "BIGINT"], ["CIPcnt", "INTEGER"]],
  participants: [["partID", "INTEGER"], ["CCASSID", "VARCHAR"], ["partName", "VARCHAR"]],
  oldnames: [["partID", "INTEGER"], ["oldName", "VARCHAR"], ["dateChanged", "DATE"]],
  calendar: [["settleDate", "DATE"]],
  issue: [["ID1", "INTEGER"], ["issuer", "INTEGER"], ["typeID", "INTEGER"]],
  organisations: [["PersonID", "INTEGER"], ["Name1", "VARCHAR"]],
  sectypes: [["typeID", "INTEGER"], ["typeShort", "VARCHAR"]],
  stocklistings: [["IssueID", "INTEGER"], ["StockCode", "VARCHAR"], ["FirstTradeDate", "DATE"], ["FinalTradeDate", "DATE"], ["DelistDate", "DATE"]],
  issuedshares: [["issueID", "INTEGER"], ["atDate", "DATE"], ["outstanding", "DOUBLE"]],
};

/** Tables the import cannot do without. */
const REQUIRED = ["holdings", "dailylog", "participants", "stocklistings", "issue", "organisations", "issuedshares"];

export class ArchiveInputError extends Error {
  override readonly name = "ArchiveInputError";
}

export interface StageManifest {
  dumps: { name: string; bytes: number; mtimeMs: number }[];
  tables: Record<string, number>;
  /** tables found in the dumps and not read (parthold, quotes…) */
  skipped: string[];
  months: string[];
  textBytes: number;
  latin1Strings: number;
}

/** The dump files of a folder (or the one file given): *.sql, *.sql.gz, *.gz, in name order. */
export function dumpFiles(dumpPath: string): string[] {
  if (!existsSync(dumpPath)) throw new ArchiveInputError(`no dump at ${dumpPath}`);
  if (statSync(dumpPath).isFile()) return [dumpPath];
  const files = readdirSync(dumpPath)
    .filter((f) => /\.(sql|sql\.gz|gz)$/i.test(f) && !f.startsWith("."))
    .sort()
    .map((f) => path.join(dumpPath, f));
  if (files.length === 0) throw new ArchiveInputError(`no .sql or .sql.gz file in ${dumpPath}`);
  return files;
}

export const stageDir = (out: string) => path.join(archiveWorkDir(out), "stage");
const manifestFile = (dir: string) => path.join(dir, "manifest.json");

function fingerprint(files: string[]): StageManifest["dumps"] {
  return files.map((f) => {
    const st = statSync(f);
    return { name: path.basename(f), bytes: st.size, mtimeMs: Math.floor(st.mtimeMs) };
  });
}

/** The finished stage for these dumps, or null. */
export async function existingStage(out: string, files: string[]): Promise<StageManifest | null> {
  const file = manifestFile(stageDir(out));
  if (!existsSync(file)) return null;
  const manifest = JSON.parse(await readFile(file, "utf8")) as StageManifest;
  return JSON.stringify(manifest.dumps) === JSON.stringify(fingerprint(files)) ? manifest : null;
}

/** A CSV file written from row values, in large blocks; strings quoted, NULL an empty field. */
class CsvSink {
  private buf: Buffer = Buffer.allocUnsafe(8 << 20);
  private at = 0;
  private fd: number;
  rows = 0;
  constructor(readonly file: string) {
    this.fd = openSync(file, "w");
  }
  /** the sink for one table: `pick[i]` is the dump column of output column i */
  sink(pick: readonly number[]): RowSink {
    return (row: DumpValue[]) => {
      let line = "";
      for (let i = 0; i < pick.length; i++) {
        const v = row[pick[i]!]!;
        if (i > 0) line += ",";
        if (v === null) continue;
        if (typeof v === "number") line += v;
        else line += `"${v.replaceAll('"', '""')}"`;
      }
      this.write(line + "\n");
      this.rows++;
    };
  }
  /** a holdings row, the one big table: digits and a date, no quoting needed */
  holding(row: DumpValue[], pick: readonly number[]): void {
    const date = row[pick[3]!];
    this.write(`${row[pick[0]!]},${row[pick[1]!]},${row[pick[2]!]},${typeof date === "string" ? date : ""}\n`);
    this.rows++;
  }
  private write(s: string): void {
    if (this.at + s.length * 3 > this.buf.length) this.flush();
    if (s.length * 3 > this.buf.length) this.buf = Buffer.allocUnsafe(s.length * 3);
    this.at += this.buf.write(s, this.at, "utf8");
  }
  get bytes(): number {
    return this.at;
  }
  flush(): void {
    if (this.at > 0) writeSync(this.fd, this.buf, 0, this.at);
    this.at = 0;
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

const CHANGE_CHUNK_ROWS = 4_000_000;

/** Read every dump file into the stage; returns its manifest. */
export async function buildStage(c: DuckDBConnection, out: string, files: string[], log: (line: string) => void): Promise<StageManifest> {
  const target = stageDir(out);
  const partial = `${target}.partial`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(path.join(partial, "csv"), { recursive: true });
  const csv = new Map<string, CsvSink>();
  const skipped = new Set<string>();
  let changes: CsvSink | null = null;
  let chunk = 0;
  const flushChanges = async () => {
    if (!changes) return;
    changes.close();
    const file = changes.file;
    changes = null;
    await c.run(
      `COPY (SELECT issueID, partID, holding, atDate, strftime(atDate, '%Y-%m') AS m
             FROM read_csv(${sqlString(file)}, header = false, delim = ',', quote = '', escape = '', nullstr = '',
                           columns = {'issueID': 'INTEGER', 'partID': 'INTEGER', 'holding': 'BIGINT', 'atDate': 'DATE'}))
       TO ${sqlString(path.join(partial, "changes"))} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (m), OVERWRITE_OR_IGNORE true, FILENAME_PATTERN 'chunk${String(chunk).padStart(6, "0")}_{i}')`,
    );
    await rm(file);
    chunk++;
  };
  let holdingsPick: number[] | null = null;
  let textBytes = 0;
  let latin1Strings = 0;
  for (const file of files) {
    const stats: DumpStats = await readDump(file, {
      onTable(table, columns) {
        const wanted = STAGED_TABLES[table];
        if (!wanted) {
          skipped.add(table);
          return null;
        }
        const pick = wanted.map(([name]) => {
          const i = columns.findIndex((col) => col.toLowerCase() === name.toLowerCase());
          if (i < 0) throw new ArchiveInputError(`${path.basename(file)}: table \`${table}\` has no column \`${name}\``);
          return i;
        });
        if (table === "holdings") {
          holdingsPick = pick;
          return (row) => {
            changes ??= new CsvSink(path.join(partial, "csv", `changes-${chunk}.csv`));
            changes.holding(row, pick);
          };
        }
        let sink = csv.get(table);
        if (!sink) {
          sink = new CsvSink(path.join(partial, "csv", `${table}.csv`));
          csv.set(table, sink);
        }
        return sink.sink(pick);
      },
      afterChunk: async () => {
        if (changes && changes.rows >= CHANGE_CHUNK_ROWS) await flushChanges();
      },
    });
    textBytes += stats.bytes;
    latin1Strings += stats.latin1Strings;
    log(`read ${path.basename(file)}: ${stats.bytes} bytes of text, ${stats.rows} rows kept, ${stats.skippedRows} skipped (${stats.tables.join(", ")})`);
  }
  await flushChanges();
  const tables: Record<string, number> = {};
  for (const [table, sink] of csv) {
    sink.close();
    tables[table] = sink.rows;
    const cols = STAGED_TABLES[table]!;
    const columns = `{${cols.map(([n, t]) => `'${n}': '${t}'`).join(", ")}}`;
    const order = table === "dailylog" ? " ORDER BY atDate, issueID" : "";
    // An empty table has an empty CSV, which DuckDB's sniffer refuses: an empty typed SELECT instead.
    const source = sink.rows === 0
      ? `SELECT ${cols.map(([n, t]) => `NULL::${t} AS ${n}`).join(", ")} WHERE false`
      : `SELECT * FROM read_csv(${sqlString(sink.file)}, header = false, delim = ',', quote = '"', escape = '"', nullstr = '', columns = ${columns})`;
    await c.run(
      `COPY (${source}${order})
       TO ${sqlString(path.join(partial, `${table}.parquet`))} (FORMAT parquet, COMPRESSION zstd)`,
    );
    await rm(sink.file);
  }
  const missing = REQUIRED.filter((t) => t !== "holdings" && !csv.has(t));
  if (chunk === 0 && holdingsPick === null) missing.unshift("holdings");
  if (missing.length > 0) throw new ArchiveInputError(`the dumps lack table${missing.length > 1 ? "s" : ""} ${missing.map((t) => `\`${t}\``).join(", ")} (found ${[...csv.keys(), ...skipped].join(", ") || "none"})`);
  const months = existsSync(path.join(partial, "changes"))
    ? readdirSync(path.join(partial, "changes")).filter((d) => /^m=\d{4}-\d{2}$/.test(d)).map((d) => d.slice(2)).sort()
    : [];
  const manifest: StageManifest = { dumps: fingerprint(files), tables: { holdings: 0, ...tables }, skipped: [...skipped].sort(), months, textBytes, latin1Strings };
  if (months.length > 0)
    manifest.tables.holdings = Number(
      (await (await c.runAndReadAll(`SELECT count(*) FROM read_parquet(${sqlString(path.join(partial, "changes", "*", "*.parquet"))})`)).getRowsJS())[0]?.[0] ?? 0,
    );
  await rm(path.join(partial, "csv"), { recursive: true, force: true });
  await writeFileAtomic(manifestFile(partial), JSON.stringify(manifest, null, 1) + "\n");
  await replaceDirectory(partial, target);
  return manifest;
}
