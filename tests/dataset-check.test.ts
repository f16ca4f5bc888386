// Issue #13: every analyst's tool reads the dataset with its default call and gets DuckDB's rows,
// daily and compacted; the old layout fails, naming the table and the tool. Needs the Python tools:
// .venv-check/ (made by `npm test` itself: tests/setup/check-python.ts) or CCASS_CHECK_PYTHON.
import { spawnSync } from "node:child_process";
import { DuckDBInstance } from "@duckdb/node-api";
import { cp, mkdir, mkdtemp, readdir, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compact } from "../src/ingest/compact.ts";
import { checkDataset, checkPython, DatasetCheckError, failures, type CheckReport } from "../src/dataset/check.ts";
import { dataFileKind, TABLES } from "../src/dataset/layout.ts";
import { writeSyntheticDataset } from "../src/replica/dataset-writer.ts";

const TOOLS = ["duckdb (reference)", "duckdb", "pandas", "pyarrow", "pyarrow.dataset", "polars", "polars.scan"];
const CLI = path.resolve(import.meta.dirname, "..", "scripts", "check-dataset.ts");

let work: string;
let daily: string;
let dailyReport: CheckReport;

beforeAll(async () => {
  checkPython(); // fails with how to create the venv when it is missing
  work = await mkdtemp(path.join(tmpdir(), "dataset-check-"));
  daily = path.join(work, "daily");
  // Two months (October complete), hostile names: quotes, tags, formula prefixes in the text columns.
  await writeSyntheticDataset({ out: daily, seed: 3, stocks: 8, days: 30, end: "2026-11-20", hostileNames: true });
  dailyReport = await checkDataset(daily);
}, 120_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** The dataset laid out as before issue #13: `date=D/part-0.parquet`, compacted `month=M/part-0.parquet`. */
async function toOldLayout(from: string, to: string): Promise<void> {
  for (const t of TABLES) {
    for (const folder of await readdir(path.join(from, t))) {
      for (const name of await readdir(path.join(from, t, folder))) {
        const kind = dataFileKind(name);
        if (!kind) continue;
        const dir = path.join(to, t, "date" in kind ? `date=${kind.date}` : `month=${kind.month}`);
        await mkdir(dir, { recursive: true });
        await cp(path.join(from, t, folder, name), path.join(dir, "part-0.parquet"));
      }
    }
  }
}

describe("check-dataset", () => {
  it("daily files: every tool's default call gives DuckDB's row count and checksum for every table", () => {
    expect(failures(dailyReport)).toEqual([]);
    expect(dailyReport.ok).toBe(true);
    for (const t of TABLES) {
      const results = dailyReport.results.filter((r) => r.table === t);
      expect(results.map((r) => r.tool).sort(), t).toEqual([...TOOLS].sort());
      expect(new Set(results.map((r) => `${r.rows} ${r.checksum}`)).size, t).toBe(1);
      expect(dailyReport.reference[t]!.rows, t).toBeGreaterThan(0);
    }
  });

  it("after compaction: the same, with the same counts and checksums as the daily files", async () => {
    const compacted = path.join(work, "compacted");
    await cp(daily, compacted, { recursive: true });
    const r = await compact(compacted, { before: "2026-11" });
    expect(r.months.length).toBe(TABLES.length);
    const report = await checkDataset(compacted);
    expect(failures(report)).toEqual([]);
    expect(report.reference).toEqual(dailyReport.reference);
  }, 120_000);

  it("the checksum sees one changed value, and a date stored in two files fails the reference", async () => {
    const changed = path.join(work, "changed");
    await cp(daily, changed, { recursive: true });
    // One stock name of one date rewritten, same row count.
    const db = await DuckDBInstance.create(":memory:");
    const c = await db.connect();
    const month = (await readdir(path.join(changed, "stocks")))[0]!;
    const file = path.join(changed, "stocks", month, (await readdir(path.join(changed, "stocks", month)))[0]!);
    await c.run(`COPY (SELECT * REPLACE (CASE WHEN stock_code = (SELECT min(stock_code) FROM '${file}') THEN stock_name || 'x' ELSE stock_name END AS stock_name) FROM '${file}') TO '${file}.new' (FORMAT parquet)`);
    await rename(`${file}.new`, file);
    const report = await checkDataset(changed);
    expect(report.reference.stocks!.rows).toBe(dailyReport.reference.stocks!.rows);
    expect(report.reference.stocks!.checksum).not.toBe(dailyReport.reference.stocks!.checksum);
    expect(report.reference.holdings).toEqual(dailyReport.reference.holdings);

    // A compacted month with one daily file beside it: a date in two files.
    const twice = path.join(work, "twice");
    await cp(daily, twice, { recursive: true });
    const oct = path.join(twice, "summary", "month=2026-10");
    const first = (await readdir(oct)).sort()[0]!;
    await cp(path.join(oct, first), path.join(work, first));
    await compact(twice, { before: "2026-11", tables: ["summary"] });
    await cp(path.join(work, first), path.join(oct, first));
    const dup = await checkDataset(twice);
    expect(failures(dup).find((l) => l.startsWith("table summary: duckdb (reference)"))).toMatch(/stored more than once/);
    c.closeSync();
    db.closeSync();
  }, 120_000);

  it("fails on a dataset in the old layout, naming the table and the tool (npm run check-dataset)", async () => {
    const compacted = path.join(work, "for-old");
    await cp(daily, compacted, { recursive: true });
    await compact(compacted, { before: "2026-11" });
    const old = path.join(work, "old");
    await toOldLayout(compacted, old);
    const run = spawnSync(process.execPath, ["--import", "tsx", CLI, old], { encoding: "utf8" });
    expect(run.status).toBe(1);
    for (const t of TABLES) {
      expect(run.stderr).toMatch(new RegExp(`table ${t}: pandas \`pd\\.read_parquet\\(".*/${t}"\\)\`: ArrowTypeError`));
      expect(run.stderr).toMatch(new RegExp(`table ${t}: pyarrow \`pq\\.read_table`));
      expect(run.stderr).toMatch(new RegExp(`table ${t}: polars \`pl\\.read_parquet`));
    }
  }, 120_000);

  it("says how to create the Python environment when it is missing", () => {
    expect(() => checkPython({ CCASS_CHECK_PYTHON: path.join(tmpdir(), "no-such-python") })).toThrow(DatasetCheckError);
    expect(() => checkPython({ CCASS_CHECK_PYTHON: path.join(tmpdir(), "no-such-python") })).toThrow(/python3 -m venv \.venv-check/);
  });
});
