// The Parquet writer: rows as given, upsert by key, byte-identical reruns, nothing written from a
// bad page, merging into compacted months, and participants_dim first/last seen.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { compact } from "../src/ingest/compact.ts";
import { InvalidPageError } from "../src/ingest/invariants.ts";
import { DatasetWriter } from "../src/ingest/writer.ts";
import { replaceDirectory, writeFileAtomic } from "../src/lib/atomic.ts";
import { page, query, row } from "./ingest-helpers.ts";

let out: string;
let writer: DatasetWriter;
beforeEach(async () => {
  out = mkdtempSync(path.join(tmpdir(), "ingest-writer-"));
  writer = await DatasetWriter.open(out);
});
afterEach(() => {
  writer.close();
  rmSync(out, { recursive: true, force: true });
});

const D1 = "2026-11-19";
const D2 = "2026-11-20";
const holdingsOf = (date: string) =>
  query(
    `SELECT stock_code, participant_key, shares::DOUBLE AS shares FROM read_parquet('${out}/holdings/month=${date.slice(0, 7)}/${date}.parquet') ORDER BY ALL`,
  );
const sha = (f: string) => createHash("sha1").update(readFileSync(f)).digest("hex");

describe("DatasetWriter", () => {
  it("writes every table for a date, sorted by key, with the date column", async () => {
    await writer.writeDay({
      date: D1,
      holdings: [
        page(D1, "00700", [row("C00019", "BANK B", 300), row("C00010", "BANK A", 500), row(null, "MR CHAN", 7)], {
          shares: 11,
          participants: 4,
        }),
        page(D1, "00005", [row("C00010", "BANK A", 42)]),
      ],
      stockList: { kind: "stocklist", stocks: [{ code: "00700", name: "TENCENT" }, { code: "00005", name: "HSBC" }] },
      participantList: { kind: "partlist", participants: [{ id: "C00010", name: "BANK A" }, { id: "B01234", name: "BROKER Z" }] },
      southbound: { kind: "southbound", date: D1, holdings: [{ stockCode: "00700", stockName: "TENCENT", shares: 99, reportedPercent: 1.5 }] },
    });
    const h = await query(
      `SELECT strftime(date, '%Y-%m-%d') AS d, stock_code, participant_key, shares::DOUBLE AS shares FROM read_parquet('${out}/holdings/month=${D1.slice(0, 7)}/${D1}.parquet')`,
    );
    // File order is the key order: 00005 before 00700, C00010 before C00019 before ip:…
    expect(h.map((r) => [r.d, r.stock_code, String(r.participant_key).slice(0, 3), r.shares])).toEqual([
      [D1, "00005", "C00", 42],
      [D1, "00700", "C00", 500],
      [D1, "00700", "C00", 300],
      [D1, "00700", "ip:", 7],
    ]);
    const s = await query(`SELECT stock_code, total_shares::DOUBLE t, total_count c, nonconsenting_count n FROM read_parquet('${out}/summary/month=*/*.parquet') ORDER BY 1`);
    expect(s).toEqual([
      { stock_code: "00005", t: 42, c: 1, n: 0 },
      { stock_code: "00700", t: 818, c: 7, n: 4 },
    ]);
    const p = await query(`SELECT participant_key k, participant_id i, name, address FROM read_parquet('${out}/participants/month=*/*.parquet') ORDER BY 1`);
    // BANK A from a page keeps its address (beats the participant list); BROKER Z only from the list.
    expect(p.filter((r) => !String(r.k).startsWith("ip:"))).toEqual([
      { k: "B01234", i: "B01234", name: "BROKER Z", address: null },
      { k: "C00010", i: "C00010", name: "BANK A", address: "BANK A ADDRESS" },
      { k: "C00019", i: "C00019", name: "BANK B", address: "BANK B ADDRESS" },
    ]);
    expect(p.filter((r) => String(r.k).startsWith("ip:")).map((r) => [r.i, r.name])).toEqual([[null, "MR CHAN"]]);
    expect(await query(`SELECT stock_code, stock_name FROM read_parquet('${out}/stocks/month=*/*.parquet') ORDER BY 1`)).toEqual([
      { stock_code: "00005", stock_name: "HSBC" },
      { stock_code: "00700", stock_name: "TENCENT" },
    ]);
    expect(await query(`SELECT stock_code, shares::DOUBLE s, reported_pct FROM read_parquet('${out}/southbound/month=*/*.parquet')`)).toEqual([
      { stock_code: "00700", s: 99, reported_pct: 1.5 },
    ]);
  });

  it("upserts by stock: a rewritten stock replaces its rows, other stocks stay, no duplicates", async () => {
    await writer.writeDay({ date: D1, holdings: [page(D1, "00001", [row("C00010", "A", 1)]), page(D1, "00002", [row("C00010", "A", 2), row("C00011", "B", 3)])] });
    await writer.writeDay({ date: D1, holdings: [page(D1, "00002", [row("C00012", "C", 9)])] });
    expect(await holdingsOf(D1)).toEqual([
      { stock_code: "00001", participant_key: "C00010", shares: 1 },
      { stock_code: "00002", participant_key: "C00012", shares: 9 },
    ]);
    const summary = await query(`SELECT stock_code, count(*)::INTEGER n FROM read_parquet('${out}/summary/month=*/*.parquet') GROUP BY 1 ORDER BY 1`);
    expect(summary).toEqual([
      { stock_code: "00001", n: 1 },
      { stock_code: "00002", n: 1 },
    ]);
  });

  it("gives byte-identical files when the same date is written again, in any page order", async () => {
    const pages = [page(D1, "00001", [row("C00010", "A", 1), row(null, "X", 5)]), page(D1, "00002", [row("C00011", "B", 3)])];
    await writer.writeDay({ date: D1, holdings: pages });
    const first = Object.fromEntries(["holdings", "summary", "participants"].map((t) => [t, sha(`${out}/${t}/month=${D1.slice(0, 7)}/${D1}.parquet`)]));
    await writer.writeDay({ date: D1, holdings: [...pages].reverse() });
    const second = Object.fromEntries(["holdings", "summary", "participants"].map((t) => [t, sha(`${out}/${t}/month=${D1.slice(0, 7)}/${D1}.parquet`)]));
    expect(second).toEqual(first);
  });

  it("writes nothing when one page of the batch breaks an invariant", async () => {
    const bad = page(D1, "00002", [row("C00011", "B", 3)]);
    bad.summary.intermediaries.shares = 4; // rows no longer add up to the summary
    await expect(writer.writeDay({ date: D1, holdings: [page(D1, "00001", [row("C00010", "A", 1)]), bad] })).rejects.toBeInstanceOf(InvalidPageError);
    const wrongDate = page(D2, "00001", [row("C00010", "A", 1)]);
    await expect(writer.writeDay({ date: D1, holdings: [wrongDate] })).rejects.toThrow(/requested 2026-11-19/);
    expect(readdirSync(out)).toEqual([]);
  });

  it("merges a late date into a compacted month instead of duplicating it", async () => {
    await writer.writeDay({ date: "2026-10-01", holdings: [page("2026-10-01", "00001", [row("C00010", "A", 1)])] });
    await writer.writeDay({ date: "2026-10-02", holdings: [page("2026-10-02", "00001", [row("C00010", "A", 2)])] });
    await compact(out, { before: "2026-11" });
    expect(existsSync(`${out}/holdings/month=2026-10/2026-10.parquet`)).toBe(true);
    // Rewrite 10-02 with a second stock: 00001 is kept from the month file, 00002 added.
    await writer.writeDay({ date: "2026-10-02", holdings: [page("2026-10-02", "00002", [row("C00011", "B", 7)])] });
    const rows = await query(
      `SELECT strftime(date, '%Y-%m-%d') d, stock_code, shares::DOUBLE s FROM read_parquet('${out}/holdings/month=*/*.parquet', hive_partitioning = false) ORDER BY ALL`,
    );
    expect(rows).toEqual([
      { d: "2026-10-01", stock_code: "00001", s: 1 },
      { d: "2026-10-02", stock_code: "00001", s: 2 },
      { d: "2026-10-02", stock_code: "00002", s: 7 },
    ]);
    expect(readdirSync(`${out}/holdings`)).toEqual(["month=2026-10"]);
    expect(readdirSync(`${out}/holdings/month=2026-10`)).toEqual(["2026-10.parquet"]);
    // A date the month file did not hold goes into it too, for every table the day writes.
    await writer.writeDay({ date: "2026-10-05", holdings: [page("2026-10-05", "00001", [row("C00010", "A", 9)])] });
    for (const t of ["holdings", "summary", "participants"]) expect(readdirSync(`${out}/${t}/month=2026-10`), t).toEqual(["2026-10.parquet"]);
    expect(await query(`SELECT count(*)::INTEGER n FROM read_parquet('${out}/summary/month=*/*.parquet') WHERE date = DATE '2026-10-05'`)).toEqual([{ n: 1 }]);
    expect(await query(`SELECT count(*)::INTEGER n FROM read_parquet('${out}/holdings/month=*/*.parquet')`)).toEqual([{ n: 4 }]);
  });

  it("rebuilds participants_dim with first and last seen and the latest name", async () => {
    await writer.writeDay({ date: D1, holdings: [page(D1, "00001", [row("C00010", "OLD NAME", 1), row("C00011", "B", 1)])] });
    await writer.writeDay({ date: D2, holdings: [page(D2, "00001", [row("C00010", "NEW NAME", 1)])] });
    await writer.rebuildParticipantsDim();
    const dim = await query(
      `SELECT participant_key k, name, strftime(first_seen, '%Y-%m-%d') f, strftime(last_seen, '%Y-%m-%d') l FROM read_parquet('${out}/participants_dim.parquet') ORDER BY 1`,
    );
    expect(dim).toEqual([
      { k: "C00010", name: "NEW NAME", f: D1, l: D2 },
      { k: "C00011", name: "B", f: D1, l: D1 },
    ]);
  });
});

describe("writeFileAtomic", () => {
  it("leaves no temp file behind when the final rename fails", async () => {
    const target = path.join(out, "a-dir");
    mkdirSync(path.join(target, "inside"), { recursive: true }); // renaming a file over a non-empty directory fails
    await expect(writeFileAtomic(target, "x")).rejects.toThrow();
    expect(readdirSync(out).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });
});

describe("replaceDirectory", () => {
  const tree = (dir: string, file: string, text: string) => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, file), text);
  };

  it("puts a new tree in place of the old one, or where there was none, and leaves nothing beside it", async () => {
    const target = path.join(out, "site");
    tree(path.join(out, "new1"), "a.txt", "one");
    await replaceDirectory(path.join(out, "new1"), target);
    tree(path.join(out, "new2"), "b.txt", "two");
    await replaceDirectory(path.join(out, "new2"), target);
    expect(readdirSync(target)).toEqual(["b.txt"]);
    expect(readdirSync(out).sort()).toEqual(["site"]);
  });

  it("keeps the old tree when the new one cannot be moved in", async () => {
    const target = path.join(out, "site");
    tree(target, "old.txt", "old");
    await expect(replaceDirectory(path.join(out, "missing"), target)).rejects.toThrow();
    expect(readFileSync(path.join(target, "old.txt"), "utf8")).toBe("old");
    expect(readdirSync(out)).toEqual(["site"]);
  });
});
