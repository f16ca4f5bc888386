// The archive import proved against a synthetic Webb-site dump of a replica market
// (src/replica/webbsite-dump.ts): importing the dump gives, row for row, the holdings, summary and
// stocks the synthetic dataset writer gives for the same market, the same names in participants,
// the dump-only securities by their own rules (a code change, a recycled code), rejects with their
// evidence, and after kill -9 a resumed import equal byte for byte to an uninterrupted one.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importArchive, rebuildDim } from "../src/archive/import.ts";
import { DUMP_ONLY, writeWebbsiteDump } from "../src/replica/webbsite-dump.ts";
import { createMarket } from "../src/replica/market.ts";
import { writeMarketDataset } from "../src/replica/dataset-writer.ts";
import { investorKey } from "../src/ingest/participant-key.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const MARKET = { seed: 3, stocks: 25, days: 30, end: "2026-06-30" };
let work: string;
let dump: string;
let synthetic: string;
let imported: string;
let instance: DuckDBInstance;
let c: DuckDBConnection;
let dates: string[];

async function q(sql: string): Promise<unknown[][]> {
  return (await c.runAndReadAll(sql)).getRowsJS() as unknown[][];
}
const t = (root: string, table: string) => `read_parquet('${path.join(root, table, "month=*", "*.parquet")}', hive_partitioning = false)`;
/** The market's own codes: the dump-only securities use 3xxxx codes the replica never allocates. */
const MARKET_ONLY = "stock_code NOT LIKE '39%'";

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "archive-import-"));
  dump = path.join(work, "dump");
  synthetic = path.join(work, "synthetic");
  imported = path.join(work, "imported");
  const market = createMarket(MARKET);
  dates = market.dates;
  writeWebbsiteDump(market, { dir: dump, maxStatementBytes: 4096 });
  await writeMarketDataset(createMarket(MARKET), synthetic);
  await importArchive({ dump, out: imported });
  await rebuildDim(imported);
  instance = await DuckDBInstance.create(":memory:");
  c = await instance.connect();
}, 240_000);
afterAll(() => {
  c?.closeSync();
  instance?.closeSync();
  rmSync(work, { recursive: true, force: true });
});

describe("import of a synthetic Webb-site dump", () => {
  it.each([
    ["holdings", "date, stock_code, participant_key, shares"],
    ["summary", "* EXCLUDE (security_id)"],
    ["stocks", "* EXCLUDE (security_id)"],
  ])("%s: the same rows, row for row, as the synthetic dataset writer (security_id aside)", async (table, cols) => {
    const a = `SELECT ${cols} FROM ${t(imported, table)} WHERE ${MARKET_ONLY}`;
    const b = `SELECT ${cols} FROM ${t(synthetic, table)}`;
    const [[n]] = (await q(`SELECT count(*) FROM (${b})`)) as [[bigint]];
    expect(Number(n)).toBeGreaterThan(0);
    expect(await q(`SELECT count(*) FROM (${a})`)).toEqual([[n]]);
    expect(await q(`SELECT count(*) FROM ((${a}) EXCEPT ALL (${b}))`)).toEqual([[0n]]);
    expect(await q(`SELECT count(*) FROM ((${b}) EXCEPT ALL (${a}))`)).toEqual([[0n]]);
  });

  it("participants: every holder of the day, with the ID and name the scraped pages show (the archive has no address)", async () => {
    const a = `SELECT date, participant_key, participant_id, name FROM ${t(imported, "participants")} WHERE participant_key NOT IN ('${DUMP_ONLY.broker.id}', '${investorKey(DUMP_ONLY.investorName)}')`;
    const b = `SELECT date, participant_key, participant_id, name FROM ${t(synthetic, "participants")}`;
    expect(await q(`SELECT count(*) FROM ((${a}) EXCEPT (${b}))`)).toEqual([[0n]]);
    const holders = `SELECT DISTINCT date, participant_key FROM ${t(synthetic, "holdings")}`;
    expect(await q(`SELECT count(*) FROM ((SELECT date, participant_key FROM (${a})) EXCEPT (${holders}))`)).toEqual([[0n]]);
    expect(await q(`SELECT count(*) FROM ((${holders}) EXCEPT (SELECT date, participant_key FROM (${a})))`)).toEqual([[0n]]);
    expect(await q(`SELECT count(*) FROM ${t(imported, "participants")} WHERE address IS NOT NULL`)).toEqual([[0n]]);
    expect(existsSync(path.join(imported, "participants_dim.parquet"))).toBe(true);
  });

  it("security_id: the archive's issue, one per market security, the same in summary and stocks", async () => {
    for (const table of ["summary", "stocks"]) {
      const pairs = await q(`SELECT count(DISTINCT stock_code), count(DISTINCT security_id), count(DISTINCT (stock_code, security_id)), bool_and(security_id LIKE 'wb:%') FROM ${t(imported, table)} WHERE ${MARKET_ONLY}`);
      expect(pairs).toEqual([[25n, 25n, 25n, true]]);
    }
    const a = `SELECT date, stock_code, security_id FROM ${t(imported, "summary")}`;
    const b = `SELECT date, stock_code, security_id FROM ${t(imported, "stocks")}`;
    expect(await q(`SELECT count(*) FROM ((${a}) EXCEPT (${b})) UNION ALL SELECT count(*) FROM ((${b}) EXCEPT (${a}))`)).toEqual([[0n], [0n]]);
  });

  it("a security that changed code keeps one security, shown under each code on its own dates", async () => {
    const half = dates[Math.floor(dates.length / 2)]!;
    const rows = await q(`SELECT stock_code, min(date)::VARCHAR, max(date)::VARCHAR, count(*) FROM ${t(imported, "summary")} WHERE stock_code IN ('39001', '39002') GROUP BY 1 ORDER BY 1`);
    expect(rows.map((r) => r[0])).toEqual(["39001", "39002"]);
    expect(rows[0]![2]! < half && rows[1]![1] === half).toBe(true);
    expect(await q(`SELECT DISTINCT security_id FROM ${t(imported, "summary")} WHERE stock_code IN ('39001', '39002')`)).toEqual([[`wb:${DUMP_ONLY.movedIssue}`]]);
    expect(await q(`SELECT date < '${half}', string_agg(DISTINCT security_id, ',') FROM ${t(imported, "summary")} WHERE stock_code = '39003' GROUP BY 1 ORDER BY 1`)).toEqual([
      [false, `wb:${DUMP_ONLY.recycledIssues[1]}`],
      [true, `wb:${DUMP_ONLY.recycledIssues[0]}`],
    ]);
    const ids = await q(`SELECT stock_code, security_id FROM read_parquet('${path.join(imported, "_archive", "securities.parquet")}') WHERE stock_code LIKE '3900%' ORDER BY stock_code, first_trade_date`);
    expect(ids).toEqual([["39001", `wb:${DUMP_ONLY.movedIssue}`], ["39002", `wb:${DUMP_ONLY.movedIssue}`], ["39003", `wb:${DUMP_ONLY.recycledIssues[0]}`], ["39003", `wb:${DUMP_ONLY.recycledIssues[1]}`]]);
  });

  it("a recycled code shows each security on its own dates, with its own name, never both on one day", async () => {
    const names = await q(`SELECT date < '${dates[Math.floor(dates.length / 2)]}' AS early, string_agg(DISTINCT stock_name, '|') FROM ${t(imported, "stocks")} WHERE stock_code = '39003' GROUP BY 1 ORDER BY 1`);
    expect(names).toEqual([[false, DUMP_ONLY.names[2]], [true, DUMP_ONLY.names[1]]]);
    expect(await q(`SELECT count(*) FROM ${t(imported, "summary")} WHERE stock_code = '39003'`)).toEqual([[BigInt(dates.length)]]);
  });

  it("names with quotes, backslashes, non-ASCII letters and Latin-1 bytes come through; a renamed participant has each name on its dates", async () => {
    expect(await q(`SELECT DISTINCT stock_name FROM ${t(imported, "stocks")} WHERE stock_code = '39001'`)).toEqual([[DUMP_ONLY.names[0]]]);
    const investor = await q(`SELECT DISTINCT name FROM ${t(imported, "participants")} WHERE participant_key = '${investorKey(DUMP_ONLY.investorName)}'`);
    expect(investor).toEqual([[DUMP_ONLY.investorName]]);
    const half = dates[Math.floor(dates.length / 2)]!;
    const broker = await q(`SELECT date >= '${half}' AS renamed, string_agg(DISTINCT name, '|') FROM ${t(imported, "participants")} WHERE participant_key = '${DUMP_ONLY.broker.id}' GROUP BY 1 ORDER BY 1`);
    expect(broker).toEqual([[false, DUMP_ONLY.broker.oldName], [true, DUMP_ONLY.broker.name]]);
  });

  it("records provenance and credit, and the month markers name the dates written", () => {
    const prov = JSON.parse(readFileSync(path.join(imported, "_archive", "provenance.json"), "utf8"));
    expect(prov.credit).toBe("Webb-site (David M. Webb), CC-BY 4.0");
    expect(prov.dumps.map((d: { name: string }) => d.name)).toEqual(["ccass.sql.gz", "enigma.sql"]);
    const months = readdirSync(path.join(imported, "_archive", "months")).sort();
    const written = months.flatMap((m) => JSON.parse(readFileSync(path.join(imported, "_archive", "months", m), "utf8")).dates as string[]);
    expect(written).toEqual(dates);
  });
});

function runImport(args: string[]): { child: ReturnType<typeof spawn>; done: Promise<{ code: number | null; stderr: string }> } {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts", "import-archive.ts"), "--quiet", ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on("exit", (code) => resolve({ code, stderr })));
  return { child, done };
}

function treeHashes(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith(".parquet") && !p.includes(`${path.sep}_archive${path.sep}`) && !p.includes(`${path.sep}_state${path.sep}`)) out[path.relative(root, p)] = createHash("sha256").update(readFileSync(p)).digest("hex");
    }
  };
  walk(root);
  return out;
}

describe("import-archive, killed and resumed", () => {
  it("kill -9 after the first month, then a second run: the same dataset, byte for byte, as the uninterrupted import", async () => {
    const out = path.join(work, "killed");
    const first = runImport(["--dump", dump, "--out", out]);
    const marker = path.join(out, "_archive", "months", `${dates[0]!.slice(0, 7)}.json`);
    const deadline = Date.now() + 120_000;
    while (!existsSync(marker) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(marker)).toBe(true);
    first.child.kill("SIGKILL");
    await first.done;
    const again = await runImport(["--dump", dump, "--out", out]).done;
    expect(again.code, again.stderr).toBe(0);
    expect(treeHashes(out)).toEqual(treeHashes(imported));
    const resumed = JSON.parse(readFileSync(path.join(out, "_archive", "months", marker.split(path.sep).at(-1)!), "utf8"));
    expect(resumed.dates.length).toBeGreaterThan(0);
  }, 240_000);
});
