// The archive import meets bad rows and scraped data: rows it cannot place are counted and kept as
// evidence, an unknown table is skipped and named, and where the dataset already holds scraped
// dates the archive's rows are compared (agreeing/differing, with examples) and never written over them.
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importArchive } from "../src/archive/import.ts";
import { dayFile } from "../src/dataset/layout.ts";
import { createMarket } from "../src/replica/market.ts";
import { writeMarketDataset } from "../src/replica/dataset-writer.ts";
import { ISSUE_BASE, writeWebbsiteDump } from "../src/replica/webbsite-dump.ts";

const MARKET = { seed: 5, stocks: 8, days: 6, end: "2026-06-30" };
let work: string;
let dump: string;
let synthetic: string;
let dates: string[];
let instance: DuckDBInstance;
let c: DuckDBConnection;
const q = async (sql: string) => (await c.runAndReadAll(sql)).getRowsJS() as unknown[][];

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "archive-bad-"));
  dump = path.join(work, "dump");
  synthetic = path.join(work, "synthetic");
  const market = createMarket(MARKET);
  dates = market.dates;
  writeWebbsiteDump(market, { dir: dump, maxStatementBytes: 2048 });
  await writeMarketDataset(createMarket(MARKET), synthetic);
  instance = await DuckDBInstance.create(":memory:");
  c = await instance.connect();
}, 120_000);
afterAll(() => {
  c?.closeSync();
  instance?.closeSync();
  rmSync(work, { recursive: true, force: true });
});

describe("rows the import cannot place", () => {
  it("unknown security, unknown participant, a date outside the calendar: counted, evidence kept, the rest imported; an unknown table skipped", async () => {
    const bad = path.join(work, "bad-dump");
    cpSync(dump, bad, { recursive: true });
    const sunday = "2026-06-28";
    writeFileSync(
      path.join(bad, "zz-extra.sql"),
      [
        "CREATE TABLE `holdings` (\n  `partID` smallint unsigned NOT NULL,\n  `issueID` mediumint unsigned NOT NULL,\n  `holding` bigint NOT NULL,\n  `atDate` date NOT NULL,\n  PRIMARY KEY (`issueID`,`partID`,`atDate`)\n);",
        `INSERT INTO \`holdings\` VALUES (1,777777,500,'${dates[1]}'),(30000,${ISSUE_BASE},900,'${dates[2]}');`,
        "CREATE TABLE `dailylog` (\n  `atDate` date NOT NULL,\n  `issueID` mediumint unsigned NOT NULL,\n  `intermedHldg` bigint,\n  `intermedCnt` int,\n  `NCIPhldg` bigint,\n  `NCIPcnt` int,\n  `CIPhldg` bigint,\n  `CIPcnt` int,\n  `c5` bigint,\n  `c10` bigint,\n  `CustHldg` bigint,\n  `BrokHldg` bigint\n);",
        `INSERT INTO \`dailylog\` VALUES ('${sunday}',${ISSUE_BASE},1,1,0,0,0,0,NULL,NULL,NULL,NULL);`,
        "CREATE TABLE `mystery` (\n  `a` int\n);",
        "INSERT INTO `mystery` VALUES (1),(2);",
        "",
      ].join("\n"),
    );
    const out = path.join(work, "bad-out");
    const summary = await importArchive({ dump: bad, out });
    expect(summary.rejects).toEqual({ "changes:unknown_participant": 1, "changes:unknown_security": 1, "security_days:date_outside_calendar": 1 });
    expect(summary.stage.skipped).toContain("mystery");
    const month = dates[0]!.slice(0, 7);
    const changes = readFileSync(path.join(out, "_rejects", "archive", `${month}-changes.csv`), "utf8");
    expect(changes).toContain(",777777,");
    expect(changes).toContain("unknown_participant");
    expect(readFileSync(path.join(out, "_rejects", "archive", `${month}-security_days.csv`), "utf8")).toContain(sunday);
    // the rest is exactly the market
    const glob = (root: string, t: string) => `read_parquet('${path.join(root, t, "month=*", "*.parquet")}', hive_partitioning = false)`;
    for (const [t, cols] of [["holdings", "*"], ["summary", "* EXCLUDE (security_id)"]]) {
      const a = `SELECT ${cols} FROM ${glob(out, t!)} WHERE stock_code NOT LIKE '39%'`;
      const b = `SELECT ${cols} FROM ${glob(synthetic, t!)}`;
      expect(await q(`SELECT count(*) FROM ((${a}) EXCEPT ALL (${b})) UNION ALL SELECT count(*) FROM ((${b}) EXCEPT ALL (${a}))`)).toEqual([[0n], [0n]]);
    }
  }, 120_000);
});

describe("overlap with scraped dates", () => {
  it("compares the scraped dates (agreeing, differing with an example), leaves them as they were, and adds the archive's other dates", async () => {
    const out = path.join(work, "overlap");
    cpSync(synthetic, out, { recursive: true });
    const last = dates.at(-1)!;
    const changed = dates[1]!;
    // "scraped" up to the day before the last; on one date a holding differs from the archive
    for (const t of ["holdings", "summary", "stocks", "participants", "southbound"] as const) rmSync(dayFile(out, t, last), { force: true });
    const file = dayFile(out, "holdings", changed);
    await c.run(`COPY (SELECT date, stock_code, participant_key, CASE WHEN row_number() OVER () = 1 THEN shares + 1 ELSE shares END AS shares FROM read_parquet('${file}') ORDER BY date, stock_code, participant_key) TO '${file}.new' (FORMAT parquet)`);
    rmSync(file);
    cpSync(`${file}.new`, file);
    rmSync(`${file}.new`);
    const before = readFileSync(file);

    const summary = await importArchive({ dump, out });
    expect(summary.reconciliation.differing).toBe(1);
    expect(summary.reconciliation.agreeing).toBeGreaterThan(1000);
    expect(readFileSync(file).equals(before)).toBe(true); // the scraped file is untouched
    const report = JSON.parse(readFileSync(path.join(out, "_archive", "reconciliation.json"), "utf8"));
    const month = report.months[0];
    expect(month.tables.holdings[changed].differing).toBe(1);
    expect(month.examples.holdings[0].archive[0]).not.toBe(month.examples.holdings[0].scraped[0]);
    expect(report.rule).toMatch(/never written/);
    // the date the scraper never had comes from the archive, equal to the market's
    expect(existsSync(dayFile(out, "holdings", last))).toBe(true);
    const a = `SELECT * FROM read_parquet('${dayFile(out, "holdings", last)}') WHERE stock_code NOT LIKE '39%'`;
    const b = `SELECT * FROM read_parquet('${dayFile(synthetic, "holdings", last)}')`;
    expect(await q(`SELECT count(*) FROM ((${a}) EXCEPT ALL (${b})) UNION ALL SELECT count(*) FROM ((${b}) EXCEPT ALL (${a}))`)).toEqual([[0n], [0n]]);
    // the scraped summary files now carry the archive's security_id (the one column the import may change in them)
    const sid = await q(`SELECT count(*) FILTER (WHERE security_id LIKE 'hk:%'), count(*) FROM read_parquet('${path.join(out, "summary", "month=*", "*.parquet")}', hive_partitioning = false)`);
    expect(sid[0]![0]).toBe(0n);
  }, 120_000);
});
