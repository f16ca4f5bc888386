// The dataset as the loaders read it (data-loaders/compute/source.ts): a table limited to some dates
// reads only those dates, a daily file still wins over its date in a month file, and the whole
// analytics (the split check and the latest holdings read date-limited views) give the same
// pages over a compacted copy as over the daily files.
import { cp, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openAnalytics } from "../data-loaders/compute/cache.ts";
import { stockPages } from "../data-loaders/publish/stock-pages.ts";
import { openDb, rows, type Db } from "../data-loaders/compute/duck.ts";
import { listDataset, tableSqlOnDates } from "../data-loaders/compute/source.ts";
import { compact } from "../src/ingest/compact.ts";
import { sqlString } from "../src/lib/sql.ts";
import { writeFixture } from "./analytics-fixture.ts";

let work: string;
let db: Db;

/** One holdings file of `date` with one row whose shares say where it came from. */
async function holdingsFile(file: string, dates: string[], shares: number) {
  await mkdir(path.dirname(file), { recursive: true });
  const values = dates.map((d) => `(DATE '${d}', '00001', 'C00001', ${shares}::BIGINT)`).join(", ");
  await db.conn.run(
    `COPY (SELECT * FROM (VALUES ${values}) t(date, stock_code, participant_key, shares)) TO ${sqlString(file)} (FORMAT parquet)`,
  );
}

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "ccass-source-"));
  db = await openDb(":memory:");
  // a month file for three dates, and a daily file that replaces the second of them
  // (both in one folder: what a copied-in shard file leaves until compaction's repair)
  await holdingsFile(path.join(work, "holdings", "month=2026-01", "2026-01.parquet"), ["2026-01-05", "2026-01-06", "2026-01-07"], 1);
  await holdingsFile(path.join(work, "holdings", "month=2026-01", "2026-01-06.parquet"), ["2026-01-06"], 2);
  await holdingsFile(path.join(work, "holdings", "month=2026-02", "2026-02-02.parquet"), ["2026-02-02"], 3);
});
afterAll(async () => {
  db?.close();
  await rm(work, { recursive: true, force: true });
});

describe("a holdings table limited to some dates", () => {
  const read = async (dates: string[]) => {
    const ds = await listDataset(work);
    return rows(db.conn, `SELECT strftime(date, '%Y-%m-%d') AS date, shares FROM (${tableSqlOnDates(ds.tables.holdings, "holdings", dates)}) ORDER BY date`);
  };

  it("holds those dates only, the daily file winning over the month file", async () => {
    expect(await read(["2026-01-06", "2026-01-07"])).toEqual([
      { date: "2026-01-06", shares: 2 },
      { date: "2026-01-07", shares: 1 },
    ]);
    expect(await read(["2026-02-02"])).toEqual([{ date: "2026-02-02", shares: 3 }]);
  });

  it("is empty for no dates or dates not stored, and refuses a value that is not a date", async () => {
    expect(await read([])).toEqual([]);
    expect(await read(["2026-03-02"])).toEqual([]);
    const ds = await listDataset(work);
    expect(() => tableSqlOnDates(ds.tables.holdings, "holdings", ["2026-01-06' OR true --"])).toThrow(/not an ISO date/);
  });
});

describe("analytics over a compacted dataset", () => {
  it("gives the same stock pages as over the daily files (split day and latest holdings included)", async () => {
    const daily = await writeFixture();
    const compacted = `${daily}-compacted`;
    const caches = await mkdtemp(path.join(tmpdir(), "ccass-source-cache-"));
    try {
      await cp(daily, compacted, { recursive: true });
      const report = await compact(compacted, { before: "2026-12" });
      expect(report.months.length).toBeGreaterThan(0);
      const pages = async (data: string, cache: string) => {
        const a = await openAnalytics(data, { cache });
        try {
          const out = new Map<string, string>();
          for await (const p of stockPages(a, false)) out.set(p.code, p.text);
          return out;
        } finally {
          a.db.close();
        }
      };
      const before = await pages(daily, path.join(caches, "daily"));
      const after = await pages(compacted, path.join(caches, "compacted"));
      expect(before.size).toBeGreaterThanOrEqual(4);
      expect(after).toEqual(before);
      // the split of 00001 was detected in both (the split check reads a date-limited view)
      expect(JSON.parse(before.get("00001")!).corporate_actions[0]).toMatchObject({ kind: "split", ratio: 2 });
    } finally {
      await rm(daily, { recursive: true, force: true });
      await rm(compacted, { recursive: true, force: true });
      await rm(caches, { recursive: true, force: true });
    }
  });
});
