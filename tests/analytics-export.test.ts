// Loaders as Framework runs them (separate processes), with no data, and the static API export:
// index completeness, URL-safe participant files, formula-safe CSV, atomic replacement, the cache.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openAnalytics } from "../data-loaders/compute/cache.ts";
import { exportApi, ExportTargetError } from "../data-loaders/publish/export.ts";
import { attention } from "../data-loaders/publish/page-data/attention.ts";
import { SCHEMA_VERSION } from "../data-loaders/publish/common.ts";
import { readRuns } from "../data-loaders/publish/page-data/health.ts";
import { readGzipJson } from "../data-loaders/publish/gzip-json.ts";
import { openDb, rows } from "../data-loaders/compute/duck.ts";
import { sqlString } from "../src/lib/sql.ts";
import { DAYS, writeFixture } from "./analytics-fixture.ts";

const REPO = path.resolve(import.meta.dirname, "..");
const LOADERS = ["meta", "stocks", "participants", "attention", "transfers", "concentration", "southbound", "health", "trends"];

let root: string;
let scratch: string;

beforeAll(async () => {
  root = await writeFixture();
  scratch = await mkdtemp(path.join(tmpdir(), "ccass-export-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(scratch, { recursive: true, force: true });
});

function runLoader(name: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", name === "trends" ? path.join(REPO, "scripts", "trends.ts") : path.join(REPO, "src", "pages", "data", `${name}.json.ts`)], {
      env: { ...process.env, ...env },
      cwd: REPO,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

async function walk(dir: string, rel = ""): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await walk(dir, r)));
    else out.push(r);
  }
  return out.sort();
}

describe("loaders with no data", () => {
  it("every loader, run alone as a process, succeeds on a missing folder with an empty, flagged result", async () => {
    const env = { CCASS_DATA: path.join(scratch, "does-not-exist"), CCASS_CACHE: path.join(scratch, "cache-empty") };
    // two at a time: as Framework does, several loaders share one cache build under its lock
    for (let i = 0; i < LOADERS.length; i += 2) {
      const batch = LOADERS.slice(i, i + 2);
      const results = await Promise.all(batch.map((n) => runLoader(n, env)));
      results.forEach((r, k) => {
        expect(r.code, `${batch[k]}: ${r.stderr}`).toBe(0);
        const j = JSON.parse(r.stdout) as { schema_version: number; has_data: boolean };
        expect(j.schema_version).toBe(SCHEMA_VERSION);
        expect(j.has_data).toBe(false);
      });
    }
    // one cache file for the empty dataset, no lock left behind
    const files = await readdir(env.CCASS_CACHE);
    expect(files.filter((f) => f.endsWith(".duckdb"))).toHaveLength(1);
    expect(files.filter((f) => f.endsWith(".lock"))).toHaveLength(0);
  });

  it("an empty data folder exports a well-formed tree with a grey badge", async () => {
    const empty = path.join(scratch, "empty-data");
    await (await import("node:fs/promises")).mkdir(empty, { recursive: true });
    const a = await openAnalytics(empty, { cache: path.join(scratch, "cache-empty2") });
    try {
      const out = path.join(scratch, "api-empty");
      await exportApi(a, out);
      const badge = JSON.parse(await readFile(path.join(out, "badge.json"), "utf8"));
      expect(badge).toEqual({ schemaVersion: 1, label: "data", message: "no data", color: "lightgrey" });
      const index = JSON.parse(await readFile(path.join(out, "index.json"), "utf8"));
      expect(index.has_data).toBe(false);
      expect(await readdir(path.join(out, "stocks"))).toEqual([]);
    } finally {
      a.db.close();
    }
  });

  it("a bad stock code for the trends loader is a clear error with a non-zero exit and no output", async () => {
    const r = await runLoader("trends", { CCASS_DATA: root, CCASS_CACHE: path.join(scratch, "cache-fx"), CCASS_STOCK: "../etc" });
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("InvalidValueError");
  });
});

describe("static API export", () => {
  let out: string;
  beforeAll(async () => {
    out = path.join(scratch, "api");
    const a = await openAnalytics(root, { cache: path.join(scratch, "cache-fx") });
    try {
      await exportApi(a, out);
    } finally {
      a.db.close();
    }
  });

  it("index.json lists every other file of the tree with its size", async () => {
    const index = JSON.parse(await readFile(path.join(out, "index.json"), "utf8")) as { schema_version: number; files: { path: string; bytes: number }[] };
    expect(index.schema_version).toBe(SCHEMA_VERSION);
    const files = (await walk(out)).filter((f) => f !== "index.json");
    expect(index.files.map((f) => f.path)).toEqual(files);
    for (const f of index.files) expect(f.bytes).toBe((await stat(path.join(out, f.path))).size);
    for (const want of ["stocks/00001.json.gz", "participants/C00001.json.gz", "downloads/transfers/year=2026/transfers-2026.parquet", "downloads/southbound/year=2026/southbound-2026.parquet", "downloads/holdings-latest.parquet", "health.json", "badge.json"])
      expect(files).toContain(want);
  });

  it("investor participants get URL-safe file names that the participant index names", async () => {
    const files = await readdir(path.join(out, "participants"));
    for (const f of files) expect(f).toMatch(/^(?:[A-Z]\d{5}|ip-[0-9a-f]{12}(?:-\d+)?)\.json\.gz$/);
    expect(files.filter((f) => f.startsWith("ip-"))).toHaveLength(2);
    const csv = await readFile(path.join(out, "downloads", "participants.csv"), "utf8");
    for (const f of files) expect(csv).toContain(f.replace(/\.gz$/, ""));
    const page = await readGzipJson<{ key: string; kind: string }>(path.join(out, "participants", files.find((f) => f.startsWith("ip-"))!));
    expect(page.key).toMatch(/^ip:[0-9a-f]{12}$/);
    expect(page.kind).toBe("investor");
    // a participant page lists its counterparties by key; their names are in the index (schema 2)
    const c1 = await readGzipJson<{ transfers: { counterparty: string[]; side: string[] } }>(path.join(out, "participants", "C00001.json.gz"));
    expect(c1.transfers.counterparty).toEqual(["B00004", "B00002"]);
    expect(c1.transfers.side).toEqual(["buy", "sell"]);
    expect(c1).not.toHaveProperty("names");
    for (const [key, name] of [["B00002", "GAMMA SECURITIES"], ["B00004", "EPSILON BROKERS"]]) expect(csv).toContain(`${key},${key},${name}`);
  });

  it("stock pages align every series with their dates; trends carry change points", async () => {
    const j = await readGzipJson<any>(path.join(out, "stocks", "00002.json.gz"));
    const n = j.dates.length;
    expect(n).toBe(8);
    for (const arr of [...Object.values(j.summary), ...Object.values(j.concentration), j.attention.attention_pct])
      expect((arr as unknown[]).length).toBe(n);
    // 00002 is neither in the southbound table nor held by a clearing agency: no arrays of nulls (schema 4)
    expect(j.southbound).toBeNull();
    // 00003 is held by the clearing agency A00003: its southbound arrays are there, aligned with its dates
    const j3 = await readGzipJson<any>(path.join(out, "stocks", "00003.json.gz"));
    for (const arr of Object.values(j3.southbound)) expect((arr as unknown[]).length).toBe(j3.dates.length);
    expect(j3.southbound.clearing_shares.at(-1)).toBe(1_500_000);
    // trend series are change points: ascending indexes into `dates`, one holding each
    for (const s of j.trends.series) {
      expect(s.seq.length).toBe(s.shares.length);
      expect(s.seq).toEqual([...s.seq].sort((x: number, y: number) => x - y));
      expect(Math.max(-1, ...s.seq)).toBeLessThan(n);
    }
    // the fixture: C00001 held 30 M, sold 1 M on day 3, took 10 M of the placing on day 6
    const c1 = j.trends.series.find((s: { key: string }) => s.key === "C00001");
    expect(c1).toEqual({ key: "C00001", seq: [0, 3, 6], shares: [30_000_000, 29_000_000, 39_000_000] }); // its name is in `names` (schema 4)
    expect(j.trends.default_keys[0]).toBe("C00001");
    expect(j.corporate_actions).toEqual([{ date: j.dates[6], kind: "placing", ratio: 1.1, issued_before: 100_000_000, issued_after: 110_000_000 }]);
    expect(j.holdings.key[0]).toBe("C00001");
    expect(Object.keys(j.holdings)).not.toContain("name");
    // every key of the page has its name once, in `names`
    for (const k of [...j.holdings.key, ...j.trends.series.map((x: { key: string }) => x.key), ...j.transfers.seller_id, ...j.transfers.buyer_id])
      expect(typeof j.names[k], k).toBe("string");
    expect(j.names.C00001).toBe("ALPHA CUSTODY");
  });

  it("the first stored date, with no day before it, is left out of the attention chart and null in attention.parquet", async () => {
    const a = await openAnalytics(root, { cache: path.join(scratch, "cache-fx") });
    let daily: Record<string, unknown[]>;
    try {
      daily = (await attention(a)).daily as Record<string, unknown[]>;
    } finally {
      a.db.close();
    }
    expect(daily.date).toEqual(DAYS.slice(1));
    for (const k of ["positions_changed", "stocks_moved", "attention_sum"]) for (const v of daily[k]!) expect(typeof v, k).toBe("number");
    // day 1 already has changes: 00001's B00002 drifts by 1,000 shares a day
    expect(daily.positions_changed![0]).toBeGreaterThan(0);
    const db = await openDb(":memory:");
    try {
      const got = await rows(
        db.conn,
        `SELECT strftime(date, '%Y-%m-%d') AS date, count(*)::INTEGER AS stocks, count(positions_changed)::INTEGER AS with_changes,
           count(attention_pct)::INTEGER AS with_attention
         FROM read_parquet(${sqlString(path.join(out, "downloads", "attention.parquet"))}) WHERE date <= ${sqlString(DAYS[1]!)}::DATE GROUP BY ALL ORDER BY 1`,
      );
      expect(got).toEqual([
        { date: DAYS[0], stocks: 4, with_changes: 0, with_attention: 0 },
        { date: DAYS[1], stocks: 4, with_changes: 4, with_attention: 4 },
      ]);
    } finally {
      db.close();
    }
  });

  it("trends-top10.parquet holds each top holder's change points, split-adjusted", async () => {
    const db = await openDb(":memory:");
    try {
      const got = await rows(
        db.conn,
        `SELECT strftime(date, '%Y-%m-%d') AS date, shares_adj, change_adj FROM read_parquet(${sqlString(path.join(out, "downloads", "trends-top10.parquet"))})
         WHERE stock_code = '00002' AND participant_key = 'C00001' ORDER BY date`,
      );
      // the fixture: 30 M held, 1 M sold on day 3, 10 M placed with it on day 6
      expect(got).toEqual([
        { date: DAYS[0], shares_adj: 30_000_000, change_adj: null },
        { date: DAYS[3], shares_adj: 29_000_000, change_adj: -1_000_000 },
        { date: DAYS[6], shares_adj: 39_000_000, change_adj: 10_000_000 },
      ]);
      // 00001 split 1→2 on day 4: its largest holder has one point, already on the new basis
      const split = await rows(db.conn, `SELECT shares_adj FROM read_parquet(${sqlString(path.join(out, "downloads", "trends-top10.parquet"))})
         WHERE stock_code = '00001' AND participant_key = 'C00001'`);
      expect(split).toEqual([{ shares_adj: 800_000 }]);
    } finally {
      db.close();
    }
  });

  it("the documented query recomputes concentration and attention of any date from a stock's history part", async () => {
    // docs/DATASETS.md "downloads/": the recent-window files are recomputable from the history parts.
    // The fixture is one calendar year (2026): each stock's 2026 part is the export's own.
    const docs = await readFile(path.join(REPO, "docs", "DATASETS.md"), "utf8");
    const block = /```sql\n(-- concentration and attention of 00700[\s\S]*?)```/.exec(docs)?.[1];
    expect(block, "the query in docs/DATASETS.md").toBeDefined();
    const [setSite, query] = [block!.slice(0, block!.indexOf(";\n") + 1), block!.slice(block!.indexOf(";\n") + 2)];
    expect(DAYS.every((d) => d.startsWith("2026"))).toBe(true);
    const db = await openDb(":memory:");
    try {
      for (const code of ["00001", "00002", "00003"]) {
        const dir = path.join(out, "history", code);
        await db.conn.run(setSite.replace(/'https:[^']*'/, sqlString(`${dir}/`)));
        for (const day of DAYS) {
          const [got] = await rows(db.conn, query.replace("DATE '2026-03-16'", `DATE '${day}'`));
          const [want] = await rows(
            db.conn,
            `SELECT c.top1_pct, c.top5_pct, c.top10_pct, a.attention_pct, a.positions_changed
             FROM read_parquet(${sqlString(path.join(out, "downloads", "concentration.parquet"))}) c
             JOIN read_parquet(${sqlString(path.join(out, "downloads", "attention.parquet"))}) a USING (date, stock_code)
             WHERE c.stock_code = '${code}' AND c.date = DATE '${day}'`,
          );
          const { date: _date, ...figures } = got as Record<string, unknown>;
          expect(figures, `${code} ${day}`).toEqual(want);
        }
      }
    } finally {
      db.close();
    }
  });

  it("CSV cells that a spreadsheet would run as formulas are neutralised", async () => {
    const csv = await readFile(path.join(out, "downloads", "participants.csv"), "utf8");
    expect(csv).toContain(`"'=HYPERLINK(""http://x"")"`);
    expect(csv).not.toMatch(/(^|,)=HYPERLINK/m);
  });

  it("an export that fails midway leaves the previous tree untouched and no temp folder", async () => {
    const before = await readFile(path.join(out, "index.json"), "utf8");
    const a = await openAnalytics(root, { cache: path.join(scratch, "cache-fx") });
    // the connection dies under the export: its first query fails after the temp tree is started
    a.db.close();
    await expect(exportApi(a, out)).rejects.toThrow();
    expect(await readFile(path.join(out, "index.json"), "utf8")).toBe(before);
    expect((await readdir(scratch)).filter((f) => f.includes(".tmp"))).toEqual([]);
  });

  it("refuses to replace an --out folder that is not an earlier export, and leaves it as it was", async () => {
    const other = path.join(scratch, "not-an-api");
    await mkdir(other, { recursive: true });
    await writeFile(path.join(other, "notes.txt"), "keep me");
    const a = await openAnalytics(root, { cache: path.join(scratch, "cache-fx") });
    try {
      await expect(exportApi(a, other)).rejects.toThrow(ExportTargetError);
    } finally {
      a.db.close();
    }
    expect(await readdir(other)).toEqual(["notes.txt"]);
    expect((await readdir(scratch)).filter((f) => f.includes(".tmp"))).toEqual([]);
  });

  it("a corrupt Parquet file fails the cache build cleanly: an error naming the file, no cache, no lock", async () => {
    const broken = path.join(scratch, "broken");
    await cp(root, broken, { recursive: true });
    const month = (await readdir(path.join(broken, "holdings")))[0]!;
    const day = (await readdir(path.join(broken, "holdings", month)))[0]!;
    await writeFile(path.join(broken, "holdings", month, day), "not parquet at all");
    const before = await readFile(path.join(out, "index.json"), "utf8");
    await expect(openAnalytics(broken, { cache: path.join(scratch, "cache-broken") })).rejects.toThrow(new RegExp(day.replaceAll(".", "\\.")));
    expect(await readFile(path.join(out, "index.json"), "utf8")).toBe(before);
    const cacheFiles = existsSync(path.join(scratch, "cache-broken")) ? await readdir(path.join(scratch, "cache-broken")) : [];
    expect(cacheFiles.filter((f) => f.endsWith(".duckdb") || f.endsWith(".tmp") || f.endsWith(".lock"))).toEqual([]);
    expect((await readdir(scratch)).filter((f) => f.includes(".tmp"))).toEqual([]);
  });
});

describe("run reports in health.json", () => {
  it("take id and file from the file name, never from the report's own fields", async () => {
    const data = path.join(scratch, "runs-data");
    await mkdir(path.join(data, "_runs"), { recursive: true });
    await writeFile(path.join(data, "_runs", "20261120T000000Z-abc.json"), JSON.stringify({ id: "spoofed", file: "../../etc/passwd", startedAt: "2026-11-20T00:00:00Z", complete: true }));
    const [r] = await readRuns(data);
    expect(r).toMatchObject({ id: "20261120T000000Z-abc", file: "_runs/20261120T000000Z-abc.json", complete: true });
  });
});

describe("the shared cache", () => {
  it("is reused while the files are unchanged and rebuilt when one is touched", async () => {
    const cache = path.join(scratch, "cache-reuse");
    const copy = path.join(scratch, "reuse-data");
    await cp(root, copy, { recursive: true });
    const first = await openAnalytics(copy, { cache });
    first.db.close();
    const second = await openAnalytics(copy, { cache });
    second.db.close();
    expect(second.file).toBe(first.file);
    expect(second.buildSeconds).toBe(0);
    const month = (await readdir(path.join(copy, "summary")))[0]!;
    const day = (await readdir(path.join(copy, "summary", month)))[0]!;
    const later = new Date(Date.now() + 60_000);
    await utimes(path.join(copy, "summary", month, day), later, later);
    const third = await openAnalytics(copy, { cache });
    third.db.close();
    expect(third.file).not.toBe(first.file);
    // the old cache of the same data folder is pruned
    expect(existsSync(first.file)).toBe(false);
  });
});
