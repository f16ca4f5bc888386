// Compaction (src/ingest/compact.ts): same query results before and after over every table,
// idempotent, repaired after an interruption at any point, late dates folded in, bad input refused.
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { spawn } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, rename, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  compact,
  compactMonth,
  CompactionError,
  CompactionLockedError,
  dailyFilePath,
  lockPath,
  monthFilePath,
  monthPartitionFor,
} from "../src/ingest/compact.ts";
import { migrateLayout } from "../src/ingest/migrate-layout.ts";
import { sqlString } from "../src/lib/sql.ts";
import { storedDates } from "../src/dataset/stored-dates.ts";
import { legacyPartitions, LegacyLayoutError, TABLE_KEYS } from "../src/dataset/layout.ts";
import { DatasetWriter } from "../src/ingest/writer.ts";
import { settlementDaysBetween } from "../src/lib/calendar.ts";

const TABLES = Object.keys(TABLE_KEYS);
// Two complete months and part of a third: January and February compact, March stays daily.
const DATES = settlementDaysBetween("2026-01-02", "2026-03-06");
const BEFORE = "2026-03";

let db: DuckDBInstance;
let c: DuckDBConnection;
let work: string;

/** One day of every table, in the dataset's schema (ARCHITECTURE.md), values derived from the date. */
function dailySql(table: string, date: string, salt = ""): string {
  const d = `DATE ${sqlString(date)}`;
  const h = (expr: string) => `(hash(${sqlString(date + salt)} || ${expr}) % 1000000)::BIGINT`;
  switch (table) {
    case "holdings":
      return `SELECT ${d} AS date, lpad(s::VARCHAR, 5, '0') AS stock_code, 'C' || lpad(p::VARCHAR, 5, '0') AS participant_key,
                ${h("s::VARCHAR || '/' || p::VARCHAR")} AS shares
              FROM range(1, 7) t(s), range(1, 9) u(p)`;
    case "summary":
      return `SELECT ${d} AS date, lpad(s::VARCHAR, 5, '0') AS stock_code, 'STOCK ' || s AS stock_name,
                ${h("'i' || s")} * 10 AS issued_shares, ${h("'a' || s")} AS intermediaries_shares, (s % 7)::INTEGER AS intermediaries_count,
                ${h("'b' || s")} AS consenting_shares, 2::INTEGER AS consenting_count, NULL::BIGINT AS nonconsenting_shares,
                0::INTEGER AS nonconsenting_count, ${h("'t' || s")} AS total_shares, (s % 7 + 2)::INTEGER AS total_count,
                'hk:' || lpad(s::VARCHAR, 5, '0') AS security_id
              FROM range(1, 7) t(s)`;
    case "stocks":
      return `SELECT ${d} AS date, lpad(s::VARCHAR, 5, '0') AS stock_code, 'STOCK ' || s || ${sqlString(salt)} AS stock_name, 'hk:' || lpad(s::VARCHAR, 5, '0') AS security_id FROM range(1, 7) t(s)`;
    case "participants":
      return `SELECT ${d} AS date, 'C' || lpad(p::VARCHAR, 5, '0') AS participant_key,
                CASE WHEN p % 4 = 0 THEN NULL ELSE 'C' || lpad(p::VARCHAR, 5, '0') END AS participant_id,
                'PARTICIPANT ' || p AS name, CASE WHEN p % 3 = 0 THEN NULL ELSE 'ADDRESS ' || p END AS address
              FROM range(1, 9) u(p)`;
    case "southbound":
      return `SELECT ${d} AS date, lpad(s::VARCHAR, 5, '0') AS stock_code, 'STOCK ' || s AS stock_name, ${h("'sb' || s")} AS shares,
                CASE WHEN s % 2 = 0 THEN NULL ELSE (s / 100.0)::DOUBLE END AS reported_pct
              FROM range(1, 5) t(s)`;
    default:
      throw new Error(table);
  }
}

async function writeDaily(out: string, table: string, date: string, salt = ""): Promise<void> {
  const file = dailyFilePath(out, table, date);
  await mkdir(path.dirname(file), { recursive: true });
  const keys = TABLE_KEYS[table as keyof typeof TABLE_KEYS].join(", ");
  await c.run(`COPY (${dailySql(table, date, salt)} ORDER BY ${keys}) TO ${sqlString(file)} (FORMAT parquet, COMPRESSION zstd)`);
}

/** A pristine dataset, written once and copied for each test. */
async function makeDataset(out: string): Promise<void> {
  for (const table of TABLES) for (const date of DATES) await writeDaily(out, table, date);
  // Beside the dataset: must be left alone.
  await mkdir(path.join(out, "_rejects", "date=2026-01-05"), { recursive: true });
  await writeFile(path.join(out, "_rejects", "date=2026-01-05", "00001.json"), "{}");
}

const readTable = (out: string, table: string) => `read_parquet(${sqlString(path.join(out, table, "month=*", "*.parquet"))}, hive_partitioning = false)`;

async function count(sql: string): Promise<number> {
  return Number((await c.runAndReadAll(sql)).getRows()[0]![0]);
}

/** Rows in a but not b, and in b but not a, multiset semantics: both 0 means identical results. */
async function differences(a: string, b: string): Promise<[number, number]> {
  return [
    await count(`SELECT count(*) FROM (SELECT * FROM ${a} EXCEPT ALL SELECT * FROM ${b})`),
    await count(`SELECT count(*) FROM (SELECT * FROM ${b} EXCEPT ALL SELECT * FROM ${a})`),
  ];
}

/** Snapshot every table of `out` into a DuckDB table `snap_<table>` to compare with later. */
async function snapshot(out: string, prefix: string): Promise<void> {
  for (const t of TABLES) await c.run(`CREATE OR REPLACE TABLE ${prefix}_${t} AS SELECT * FROM ${readTable(out, t)}`);
}

async function expectSameAsSnapshot(out: string, prefix: string): Promise<void> {
  for (const t of TABLES) {
    expect(await differences(`${prefix}_${t}`, readTable(out, t)), t).toEqual([0, 0]);
    expect(await count(`SELECT count(*) FROM ${readTable(out, t)}`), t).toBe(await count(`SELECT count(*) FROM ${prefix}_${t}`));
  }
}

let pristine: string;
async function freshCopy(name: string): Promise<string> {
  const out = path.join(work, name);
  await cp(pristine, out, { recursive: true });
  return out;
}

beforeAll(async () => {
  db = await DuckDBInstance.create(":memory:");
  c = await db.connect();
  work = await mkdtemp(path.join(tmpdir(), "compact-test-"));
  pristine = path.join(work, "pristine");
  await makeDataset(pristine);
  await snapshot(pristine, "orig");
});

afterAll(async () => {
  c?.closeSync();
  db?.closeSync();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("compact", () => {
  it("gives identical results for every table and leaves only the open month daily", async () => {
    const out = await freshCopy("basic");
    const datesBefore = await storedDates(out, "holdings");
    const report = await compact(out, { before: BEFORE });
    expect(report.months.map((m) => `${m.table} ${m.month}`).sort()).toEqual(TABLES.flatMap((t) => [`${t} 2026-01`, `${t} 2026-02`]).sort());
    await expectSameAsSnapshot(out, "orig");
    for (const t of TABLES) {
      expect((await readdir(path.join(out, t))).sort()).toEqual(["month=2026-01", "month=2026-02", "month=2026-03"]);
      // a compacted month holds its month file alone; every March date is still daily
      expect(await readdir(path.join(out, t, "month=2026-01"))).toEqual(["2026-01.parquet"]);
      expect(await readdir(path.join(out, t, "month=2026-02"))).toEqual(["2026-02.parquet"]);
      expect((await readdir(path.join(out, t, "month=2026-03"))).sort()).toEqual(DATES.filter((d) => d >= "2026-03").map((d) => `${d}.parquet`));
    }
    expect(existsSync(path.join(out, "_state", "compact", "holdings", "month=2026-01.new"))).toBe(false);
    expect(await storedDates(out, "holdings")).toEqual(datesBefore);
    expect(existsSync(path.join(out, "_rejects", "date=2026-01-05", "00001.json"))).toBe(true);
    expect(existsSync(lockPath(out))).toBe(false);
  });

  it("writes month files sorted by the key columns with date last, types unchanged", async () => {
    const out = await freshCopy("sorted");
    await compact(out, { before: BEFORE });
    for (const t of TABLES) {
      const file = sqlString(monthFilePath(out, t, "2026-01"));
      // key columns, date moved last (written out here, not taken from compact.ts)
      const keys = { holdings: "stock_code, participant_key, date", summary: "stock_code, date", stocks: "stock_code, date", participants: "participant_key, date", southbound: "stock_code, date" }[t]!;
      const unsorted = await count(
        `SELECT count(*) FROM (SELECT file_row_number + 1 AS pos, row_number() OVER (ORDER BY ${keys}) AS want
           FROM read_parquet(${file}, hive_partitioning = false, file_row_number = true)) WHERE pos <> want`,
      );
      expect(unsorted, t).toBe(0);
      const types = (await c.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${file}, hive_partitioning = false)`)).getRows().map((r) => `${r[0]} ${r[1]}`);
      const want = (await c.runAndReadAll(`DESCRIBE SELECT * FROM orig_${t}`)).getRows().map((r) => `${r[0]} ${r[1]}`);
      expect(types, t).toEqual(want);
    }
  });

  it("is idempotent: a second run folds nothing and changes nothing", async () => {
    const out = await freshCopy("idem");
    await compact(out, { before: BEFORE });
    const second = await compact(out, { before: BEFORE });
    expect(second.months).toEqual([]);
    await expectSameAsSnapshot(out, "orig");
  });

  it("repairs a month folder holding its month file and daily files (copied in from elsewhere)", async () => {
    const out = await freshCopy("crash-after-rename");
    await compact(out, { before: BEFORE });
    // Put every daily file back beside the month files.
    for (const t of TABLES) for (const d of DATES.filter((x) => x < BEFORE)) await cp(dailyFilePath(pristine, t, d), dailyFilePath(out, t, d));
    // Readers would see two copies of each compacted day now; the next run must leave one.
    expect(await count(`SELECT count(*) FROM ${readTable(out, "holdings")}`)).toBeGreaterThan(await count("SELECT count(*) FROM orig_holdings"));
    await compact(out, { before: BEFORE });
    await expectSameAsSnapshot(out, "orig");
  });

  it("finishes a swap killed between its two renames (old month aside, new month built), and undoes an unfinished build", async () => {
    const out = await freshCopy("crash-mid-swap");
    const built = await freshCopy("crash-mid-swap-built");
    await compactMonth(built, "holdings", "2026-01");
    const staging = path.join(out, "_state", "compact", "holdings");
    await mkdir(staging, { recursive: true });
    // holdings 2026-01: the daily folder moved aside, the compacted one ready, nothing in place.
    await cp(path.join(built, "holdings", "month=2026-01"), path.join(staging, "month=2026-01.new"), { recursive: true });
    await rename(path.join(out, "holdings", "month=2026-01"), path.join(staging, "month=2026-01.old"));
    // holdings 2026-02: a half-built folder only (killed while writing it).
    await mkdir(path.join(staging, "month=2026-02.new"));
    await writeFile(path.join(staging, "month=2026-02.new", "2026-02.parquet"), "PAR1 half a file");
    await compact(out, { before: BEFORE });
    await expectSameAsSnapshot(out, "orig");
    expect(await readdir(staging)).toEqual([]);
    expect(await readdir(path.join(out, "holdings", "month=2026-01"))).toEqual(["2026-01.parquet"]);
  });

  it("ignores and cleans a temp file left by a run killed while writing", async () => {
    const out = await freshCopy("crash-mid-write");
    const monthDir = path.dirname(monthFilePath(out, "summary", "2026-02"));
    await mkdir(monthDir, { recursive: true });
    const stale = path.join(monthDir, ".2026-02.parquet.999999.deadbeef.tmp");
    await writeFile(stale, "PAR1 half a file");
    await expectSameAsSnapshot(out, "orig"); // a reader never picks up the temp file
    await compact(out, { before: BEFORE });
    expect(existsSync(stale)).toBe(false);
    await expectSameAsSnapshot(out, "orig");
  });

  it("ends complete after the compaction process is killed (SIGKILL) mid-run, three times, and rerun", async () => {
    const out = await freshCopy("sigkill");
    const cli = path.resolve(import.meta.dirname, "..", "scripts", "compact.ts");
    const monthFiles = () => TABLES.flatMap((t) => ["2026-01", "2026-02"].map((m) => monthFilePath(out, t, m))).filter((f) => existsSync(f)).length;
    // Kill once the run has produced its 1st, 4th and 7th month file: mid-table, between rename and removals.
    for (const target of [1, 4, 7]) {
      const child = spawn(process.execPath, ["--import", "tsx", cli, "--out", out, "--before", BEFORE], { stdio: "ignore" });
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
      const poll = setInterval(() => {
        if (monthFiles() >= target) child.kill("SIGKILL");
      }, 2);
      const signal = await exited;
      clearInterval(poll);
      expect(signal, `run killed at month file ${target}`).toBe("SIGKILL");
    }
    expect(monthFiles()).toBeLessThan(TABLES.length * 2);
    await compact(out, { before: BEFORE });
    await expectSameAsSnapshot(out, "orig");
    for (const m of ["2026-01", "2026-02"]) expect(await readdir(path.join(out, "holdings", `month=${m}`))).toEqual([`${m}.parquet`]);
  }, 60_000);

  it("folds a late date into a compacted month, and a re-scraped date replaces its old rows", async () => {
    const out = await freshCopy("late");
    // Leave out one February date, as if it had failed on its night.
    const missing = DATES.filter((d) => d.startsWith("2026-02"))[3]!;
    for (const t of TABLES) await rm(dailyFilePath(out, t, missing));
    expect(monthPartitionFor(out, "holdings", missing)).toBeNull();
    await compact(out, { before: BEFORE });
    expect(await storedDates(out, "holdings")).not.toContain(missing);

    // A shard's path (src/ops/merge.ts): a daily file lands beside the month file, then the fold.
    const monthFile = monthPartitionFor(out, "holdings", missing);
    expect(monthFile).toBe(monthFilePath(out, "holdings", "2026-02"));
    for (const t of TABLES) {
      await writeDaily(out, t, missing);
      await compactMonth(out, t, "2026-02");
    }
    await expectSameAsSnapshot(out, "orig");

    // A re-scrape of a compacted date (different figures) overrides that date's rows.
    const redone = DATES.filter((d) => d.startsWith("2026-01"))[2]!;
    await writeDaily(out, "stocks", redone, " (renamed)");
    await compactMonth(out, "stocks", "2026-01");
    const stocks = readTable(out, "stocks");
    expect(await count(`SELECT count(*) FROM ${stocks} WHERE date = DATE '${redone}'`)).toBe(await count(`SELECT count(*) FROM orig_stocks WHERE date = DATE '${redone}'`));
    expect(await count(`SELECT count(*) FROM ${stocks} WHERE date = DATE '${redone}' AND stock_name NOT LIKE '%(renamed)'`)).toBe(0);
    expect(await differences(`(SELECT * FROM orig_stocks WHERE date <> DATE '${redone}')`, `(SELECT * FROM ${stocks} WHERE date <> DATE '${redone}')`)).toEqual([0, 0]);
  });

  it("refuses a daily file holding rows of another date, and writes nothing", async () => {
    const out = await freshCopy("bad");
    const jan = DATES.filter((d) => d.startsWith("2026-01"));
    // A file for jan[1] that actually holds jan[2]'s rows: something upstream went wrong.
    const wrong = dailyFilePath(out, "southbound", jan[1]!);
    await c.run(`COPY (${dailySql("southbound", jan[2]!)}) TO ${sqlString(wrong)} (FORMAT parquet)`);
    await expect(compact(out, { before: BEFORE })).rejects.toThrow(/southbound 2026-01: \d+ rows of daily files are dated outside their file's date/);
    expect(existsSync(monthFilePath(out, "southbound", "2026-01"))).toBe(false);
    expect(existsSync(wrong)).toBe(true);
    expect((await readdir(path.join(out, "southbound", "month=2026-01"))).filter((e) => e.startsWith("."))).toEqual([]);
    expect(existsSync(lockPath(out))).toBe(false);
  });

  it("refuses a daily file with a NULL date (the next fold's NOT IN would drop it), and writes nothing", async () => {
    const out = await freshCopy("null-date");
    const jan = DATES.filter((d) => d.startsWith("2026-01"));
    const file = dailyFilePath(out, "stocks", jan[0]!);
    await c.run(`COPY (${dailySql("stocks", jan[0]!)} UNION ALL SELECT NULL::DATE, '99999', 'NO DATE', 'hk:99999') TO ${sqlString(file)} (FORMAT parquet)`);
    await expect(compact(out, { before: BEFORE })).rejects.toThrow(/stocks 2026-01: 1 rows of daily files are dated outside their file's date/);
    expect(existsSync(monthFilePath(out, "stocks", "2026-01"))).toBe(false);
    expect(existsSync(file)).toBe(true);
  });

  it("refuses bad arguments with a typed error", async () => {
    await expect(compact(path.join(work, "does-not-exist"))).rejects.toBeInstanceOf(CompactionError);
    await expect(compact(pristine, { before: "2026-13" })).rejects.toThrow(/invalid month/);
    await expect(compactMonth(pristine, "../etc", "2026-01")).rejects.toThrow(/invalid table name/);
    expect(() => monthPartitionFor(pristine, "holdings", "2026-02-30")).toThrow(/invalid date/);
  });

  it("refuses to run beside a live compaction, and takes over a lock left by a dead one", async () => {
    const out = await freshCopy("lock");
    await mkdir(path.dirname(lockPath(out)), { recursive: true });
    const { hostname } = await import("node:os");
    await writeFile(lockPath(out), JSON.stringify({ pid: process.pid, host: hostname() }));
    await expect(compact(out, { before: BEFORE })).rejects.toBeInstanceOf(CompactionLockedError);
    // A pid that cannot be running (beyond Linux's pid_max).
    await writeFile(lockPath(out), JSON.stringify({ pid: 4_194_305, host: hostname() }));
    const report = await compact(out, { before: BEFORE });
    expect(report.months.length).toBe(TABLES.length * 2);
    await expectSameAsSnapshot(out, "orig");
  });
});

describe("compact --migrate (the layout before issue #13)", () => {
  /** `out` in the old layout: January compacted as month=2026-01/part-0.parquet without one date, that date as a late date= folder beside it; every other date in date=D/part-0.parquet. */
  async function oldLayout(name: string): Promise<{ out: string; late: string }> {
    const out = path.join(work, name);
    const jan = DATES.filter((d) => d.startsWith("2026-01"));
    const late = jan[3]!;
    for (const t of TABLES) {
      for (const d of DATES) {
        if (d.startsWith("2026-01") && d !== late) continue;
        const file = path.join(out, t, `date=${d}`, "part-0.parquet");
        await mkdir(path.dirname(file), { recursive: true });
        await cp(dailyFilePath(pristine, t, d), file);
      }
      const monthFile = path.join(out, t, "month=2026-01", "part-0.parquet");
      await mkdir(path.dirname(monthFile), { recursive: true });
      const files = jan.filter((d) => d !== late).map((d) => sqlString(dailyFilePath(pristine, t, d)));
      await c.run(`COPY (SELECT * FROM read_parquet([${files.join(", ")}], hive_partitioning = false)) TO ${sqlString(monthFile)} (FORMAT parquet)`);
    }
    return { out, late };
  }
  const oldRead = (out: string, t: string) => `read_parquet(${sqlString(path.join(out, t, "*", "*.parquet"))}, hive_partitioning = false)`;

  it("converts every old folder, keeps every row, and a second run changes nothing", async () => {
    const { out } = await oldLayout("migrate");
    for (const t of TABLES) expect(await differences(`orig_${t}`, oldRead(out, t)), t).toEqual([0, 0]);
    expect(legacyPartitions(out).length).toBe(TABLES.length * (DATES.length - DATES.filter((d) => d.startsWith("2026-01")).length + 2));
    await expect(compact(out, { before: BEFORE })).rejects.toThrow(/old date=\/part-0.parquet layout.*--migrate/);
    await expect(writeOneDay(out)).rejects.toBeInstanceOf(LegacyLayoutError);

    const report = await migrateLayout(out);
    expect(report.renamedMonths).toBe(TABLES.length);
    expect(report.foldedDates).toBe(TABLES.length);
    expect(report.movedDates).toBe(TABLES.length * (DATES.filter((d) => !d.startsWith("2026-01")).length + 1));
    expect(legacyPartitions(out)).toEqual([]);
    await expectSameAsSnapshot(out, "orig");
    for (const t of TABLES) {
      expect((await readdir(path.join(out, t))).sort()).toEqual(["month=2026-01", "month=2026-02", "month=2026-03"]);
      expect(await readdir(path.join(out, t, "month=2026-01"))).toEqual(["2026-01.parquet"]);
    }
    expect(await migrateLayout(out)).toEqual({ out, movedDates: 0, renamedMonths: 0, foldedDates: 0, securityIdFiles: 0 });
    await expectSameAsSnapshot(out, "orig");
    // and compaction works on the result
    await compact(out, { before: BEFORE });
    await expectSameAsSnapshot(out, "orig");
  });

  it("resumes a migration interrupted halfway (some files moved, an empty old folder left)", async () => {
    const { out } = await oldLayout("migrate-resume");
    const feb = DATES.filter((d) => d.startsWith("2026-02"));
    // What a run killed after a few renames leaves: February's first dates moved, one old folder emptied but not removed.
    for (const d of feb.slice(0, 3)) {
      await mkdir(path.dirname(dailyFilePath(out, "holdings", d)), { recursive: true });
      await rename(path.join(out, "holdings", `date=${d}`, "part-0.parquet"), dailyFilePath(out, "holdings", d));
      if (d !== feb[0]) await rm(path.join(out, "holdings", `date=${d}`), { recursive: true });
    }
    await rename(path.join(out, "summary", "month=2026-01", "part-0.parquet"), path.join(out, "summary", "month=2026-01", "2026-01.parquet"));
    await migrateLayout(out);
    expect(legacyPartitions(out)).toEqual([]);
    await expectSameAsSnapshot(out, "orig");
  });

  it("refuses an old folder holding something unexpected, and moves nothing of it", async () => {
    const { out } = await oldLayout("migrate-bad");
    await writeFile(path.join(out, "stocks", "date=2026-02-02", "notes.txt"), "?");
    await expect(migrateLayout(out)).rejects.toThrow(/stocks\/date=2026-02-02: holds files other than part-0.parquet/);
    expect(existsSync(path.join(out, "stocks", "date=2026-02-02", "part-0.parquet"))).toBe(true);
    expect(existsSync(lockPath(out))).toBe(false);
  });
});

/** Write one date's stock list through the writer (which must refuse an old-layout dataset). */
async function writeOneDay(out: string): Promise<void> {
  const writer = await DatasetWriter.open(out);
  try {
    await writer.writeDay({ date: "2026-03-02", holdings: [], stockList: { kind: "stocklist", stocks: [{ code: "00001", name: "A" }] } });
  } finally {
    writer.close();
  }
}
