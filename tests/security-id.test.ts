// security_id on scraped days (src/ingest/security-id.ts): `hk:<code>` unless the archive lists the
// code in force that day; a dataset written before the column is migrated in place, repeatably;
// an archive imported later relinks the scraped ids of the securities it knows.
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, describe, expect, it } from "vitest";
import { migrateLayout } from "../src/ingest/migrate-layout.ts";
import { archiveSecuritiesFile, dayFile } from "../src/dataset/layout.ts";
import { migrateSecurityIds } from "../src/ingest/security-id.ts";
import { DatasetWriter } from "../src/ingest/writer.ts";
import { page, query, row } from "./ingest-helpers.ts";

const work = mkdtempSync(path.join(tmpdir(), "security-id-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function writeDays(out: string, dates: string[]): Promise<void> {
  const w = await DatasetWriter.open(out);
  try {
    for (const d of dates)
      await w.writeDay({
        date: d,
        holdings: [page(d, "00001", [row("C00001", "A", 100)]), page(d, "00002", [row("C00002", "B", 200)])],
        stockList: { kind: "stocklist", stocks: [{ code: "00001", name: "ONE" }, { code: "00002", name: "TWO" }] },
      });
  } finally {
    w.close();
  }
}
const ids = (out: string, table: string) =>
  query(`SELECT strftime(date, '%Y-%m-%d') AS date, stock_code, security_id FROM read_parquet('${path.join(out, table, "month=*", "*.parquet")}', hive_partitioning = false) ORDER BY ALL`);

describe("security_id", () => {
  it("scraped days without an archive: hk:<code> in summary and stocks", async () => {
    const out = path.join(work, "plain");
    await writeDays(out, ["2026-03-02"]);
    for (const t of ["summary", "stocks"])
      expect(await ids(out, t)).toEqual([
        { date: "2026-03-02", stock_code: "00001", security_id: "hk:00001" },
        { date: "2026-03-02", stock_code: "00002", security_id: "hk:00002" },
      ]);
  });

  it("a dataset from before the column is migrated in place, and a second migration changes nothing", async () => {
    const out = path.join(work, "old");
    await writeDays(out, ["2026-03-02", "2026-03-03"]);
    // make it old: drop the column from every summary/stocks file
    const db = await DuckDBInstance.create(":memory:");
    const c = await db.connect();
    for (const t of ["summary", "stocks"] as const)
      for (const d of ["2026-03-02", "2026-03-03"]) {
        const f = dayFile(out, t, d);
        await c.run(`COPY (SELECT * EXCLUDE (security_id) FROM read_parquet('${f}')) TO '${f}.old' (FORMAT parquet)`);
        rmSync(f);
        await c.run(`COPY (SELECT * FROM read_parquet('${f}.old')) TO '${f}' (FORMAT parquet)`);
        rmSync(`${f}.old`);
      }
    const first = await migrateLayout(out);
    expect(first.securityIdFiles).toBe(4);
    expect((await ids(out, "summary")).map((r) => r.security_id)).toEqual(["hk:00001", "hk:00002", "hk:00001", "hk:00002"]);
    expect((await migrateLayout(out)).securityIdFiles).toBe(0);
    // the writer migrates a dataset from before the column once, when it first writes to it
    rmSync(path.join(out, "_state", "security-id-migrated"));
    const f = dayFile(out, "stocks", "2026-03-02");
    await c.run(`COPY (SELECT * EXCLUDE (security_id) FROM read_parquet('${f}')) TO '${f}.old' (FORMAT parquet)`);
    rmSync(f);
    await c.run(`COPY (SELECT * FROM read_parquet('${f}.old')) TO '${f}' (FORMAT parquet)`);
    rmSync(`${f}.old`);
    await writeDays(out, ["2026-03-04"]);
    expect((await ids(out, "stocks")).every((r) => r.security_id === `hk:${r.stock_code}`)).toBe(true);

    // an archive that knows 00001 as two securities (a recycled code): scraped ids follow its listings
    mkdirSync(path.dirname(archiveSecuritiesFile(out)), { recursive: true });
    await c.run(
      `COPY (SELECT * FROM (VALUES ('wb:11', 11, '00001', DATE '2001-01-02', DATE '2026-03-03', 'OLD ONE'), ('wb:12', 12, '00001', DATE '2026-03-03', NULL::DATE, 'NEW ONE'))
             t(security_id, issue_id, stock_code, first_trade_date, delist_date, name)) TO '${archiveSecuritiesFile(out)}' (FORMAT parquet)`,
    );
    expect((await migrateSecurityIds(c, out)).length).toBeGreaterThan(0);
    expect(await ids(out, "summary")).toEqual([
      { date: "2026-03-02", stock_code: "00001", security_id: "wb:11" },
      { date: "2026-03-02", stock_code: "00002", security_id: "hk:00002" },
      { date: "2026-03-03", stock_code: "00001", security_id: "wb:12" },
      { date: "2026-03-03", stock_code: "00002", security_id: "hk:00002" },
      { date: "2026-03-04", stock_code: "00001", security_id: "wb:12" },
      { date: "2026-03-04", stock_code: "00002", security_id: "hk:00002" },
    ]);
    expect(await migrateSecurityIds(c, out)).toEqual([]);
    // a day scraped after the import takes the archive's id directly
    await writeDays(out, ["2026-03-05"]);
    expect((await ids(out, "stocks")).filter((r) => r.date === "2026-03-05").map((r) => r.security_id)).toEqual(["wb:12", "hk:00002"]);
    expect(readdirSync(path.join(out, "summary", "month=2026-03")).filter((n) => n.startsWith("."))).toEqual([]);
    c.closeSync();
    db.closeSync();
  }, 120_000);
});
