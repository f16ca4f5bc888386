// The incremental nightly (docs/ARCHITECTURE.md "Incremental builds"): a build that finds the
// previous night's state (month chunks in the cache folder, the previous export tree) and a dataset
// that only gained dates must do the new month's work only, and publish exactly the bytes a cold
// build of the same data publishes: here with a split on the appended day, and with the appended
// day opening a new year (the old year's parts are then closed and rewritten once).
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { link, mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openAnalytics } from "../data-loaders/compute/cache.ts";
import { rows } from "../data-loaders/compute/duck.ts";
import { exportApi } from "../data-loaders/publish/export.ts";
import { writeSyntheticDataset } from "../src/replica/dataset-writer.ts";

let scratch: string;
let full: string;
let dates: string[];
let splitDay: string;

/** A copy of `src` (hard links) holding only the stored dates up to `last`. */
async function datasetUpTo(src: string, dst: string, last: string): Promise<string> {
  for (const table of readdirSync(src)) {
    const dir = path.join(src, table);
    if (table === "participants_dim.parquet") {
      await link(dir, path.join(dst, table));
      continue;
    }
    if (table.startsWith("_") || !statSync(dir).isDirectory()) continue;
    for (const month of readdirSync(dir)) {
      for (const f of readdirSync(path.join(dir, month))) {
        if (f.slice(0, 10) > last) continue;
        await mkdir(path.join(dst, table, month), { recursive: true });
        await link(path.join(dir, month, f), path.join(dst, table, month, f));
      }
    }
  }
  return dst;
}

/** Every file of a tree, path → bytes. */
function treeFiles(root: string, rel = ""): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const e of readdirSync(path.join(root, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) for (const [k, v] of treeFiles(root, r)) out.set(k, v);
    else out.set(r, readFileSync(path.join(root, r)));
  }
  return out;
}

/** Export `data` with the state in `cache` into `out`; returns the build log. */
async function build(data: string, cache: string, out: string): Promise<string[]> {
  const log: string[] = [];
  const a = await openAnalytics(data, { cache, log: (s) => log.push(s) });
  try {
    await exportApi(a, out);
  } finally {
    a.db.close();
  }
  return log;
}

function expectSameTree(cold: string, incremental: string) {
  const a = treeFiles(cold);
  const b = treeFiles(incremental);
  expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
  const differing = [...a].filter(([k, v]) => !v.equals(b.get(k)!)).map(([k]) => k);
  expect(differing).toEqual([]);
}

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), "ccass-incremental-"));
  full = path.join(scratch, "full");
  // 2025-11 to 2026-01: three months, two calendar years
  await writeSyntheticDataset({ out: full, seed: 11, stocks: 60, days: 55, end: "2026-01-23" });
  const probe = await openAnalytics(full, { cache: path.join(scratch, "probe-cache") });
  try {
    dates = (await rows<{ d: string }>(probe.db.conn, "SELECT strftime(date, '%Y-%m-%d') AS d FROM dates ORDER BY 1")).map((r) => r.d);
    const splits = await rows<{ d: string }>(
      probe.db.conn,
      "SELECT strftime(date, '%Y-%m-%d') AS d FROM stock_days_history WHERE ca_kind IN ('split', 'consolidation') ORDER BY date",
    );
    // a split after the first month, so that the appended day has earlier months to keep
    splitDay = splits.map((r) => r.d).find((d) => d.slice(0, 7) > dates[0]!.slice(0, 7))!;
  } finally {
    probe.db.close();
  }
}, 300_000);

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe("incremental nightly", () => {
  it("the market has a split late enough to append it", () => {
    expect(splitDay).toBeTruthy();
  });

  it("appending a split day: only its month is recomputed, and every published byte equals a cold build", async () => {
    const before = dates[dates.indexOf(splitDay) - 1]!;
    const state = path.join(scratch, "state-split");
    const tree = path.join(scratch, "tree-split", "v1");
    const night1 = await datasetUpTo(full, path.join(scratch, "split-n"), before);
    await build(night1, state, tree);
    const night2 = await datasetUpTo(full, path.join(scratch, "split-n1"), splitDay);
    const log = await build(night2, state, tree);
    const chunkLine = log.find((l) => l.startsWith("chunks:"))!;
    // the appended day's month is recomputed; earlier months are kept
    expect(chunkLine).toMatch(/^chunks: 1 computed, [1-9]\d* kept$/);

    const coldTree = path.join(scratch, "cold-split", "v1");
    const coldLog = await build(night2, path.join(scratch, "cold-split-cache"), coldTree);
    expect(coldLog.find((l) => l.startsWith("chunks:"))).toMatch(/^chunks: \d+ computed, 0 kept$/);
    expectSameTree(coldTree, tree);
  }, 300_000);

  it("appending the first day of a new year closes the old year's parts with the same bytes as a cold build", async () => {
    const firstOfYear = dates.find((d) => d.startsWith("2026"))!;
    const before = dates[dates.indexOf(firstOfYear) - 1]!;
    const state = path.join(scratch, "state-year");
    const tree = path.join(scratch, "tree-year", "v1");
    await build(await datasetUpTo(full, path.join(scratch, "year-n"), before), state, tree);
    const night2 = await datasetUpTo(full, path.join(scratch, "year-n1"), firstOfYear);
    await build(night2, state, tree);
    const coldTree = path.join(scratch, "cold-year", "v1");
    await build(night2, path.join(scratch, "cold-year-cache"), coldTree);
    expectSameTree(coldTree, tree);
  }, 300_000);

  it("a changed old month (a reparse) is detected: that month and every later one are recomputed", async () => {
    const state = path.join(scratch, "state-reparse");
    const data = await datasetUpTo(full, path.join(scratch, "reparse"), dates[dates.length - 1]!);
    await build(data, state, path.join(scratch, "tree-reparse", "v1"));
    // rewrite one November holdings file with one holding changed (a reparse after a fix)
    const month = path.join(data, "holdings", "month=2025-11");
    const victim = path.join(month, (await readdir(month)).sort()[3]!);
    const { DuckDBInstance } = await import("@duckdb/node-api");
    const db = await DuckDBInstance.create(":memory:");
    const conn = await db.connect();
    const tmp = `${victim}.new`;
    await conn.run(`COPY (SELECT * REPLACE (CASE WHEN row_number() OVER () = 1 THEN shares + 1 ELSE shares END AS shares)
      FROM read_parquet('${victim}')) TO '${tmp}' (FORMAT parquet)`);
    conn.closeSync();
    db.closeSync();
    await rm(victim);
    await link(tmp, victim);
    await rm(tmp);
    const log = await build(data, state, path.join(scratch, "tree-reparse", "v1"));
    const months = [...new Set(dates.map((d) => d.slice(0, 7)))];
    const kept = months.filter((m) => m < "2025-11").length;
    expect(log.find((l) => l.startsWith("chunks:"))).toBe(`chunks: ${months.length - kept} computed, ${kept} kept`);
    expect(existsSync(path.join(scratch, "tree-reparse", "v1", "index.json"))).toBe(true);
  }, 300_000);
});
