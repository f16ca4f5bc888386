// The dataset card (data/README.md) and data/datapackage.json: generated from the schema module the
// writer uses, committed current, and true of real files (column names, types, NULLs, keys), daily
// and compacted; the card's pandas, Polars and DuckDB examples run on a replica dataset.
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { spawnSync } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compact } from "../src/ingest/compact.ts";
import { checkPython } from "../src/dataset/check.ts";
import { dataPackageJson, datasetCardMarkdown, FRICTIONLESS_TYPES } from "../src/dataset/card.ts";
import { participantsDimFile, tableGlob } from "../src/dataset/layout.ts";
import { PARTICIPANTS_DIM, TABLE_SCHEMAS, TABLES, type ColumnType, type TableDef } from "../src/dataset/schema.ts";
import { sqlString } from "../src/lib/sql.ts";
import { writeSyntheticDataset } from "../src/replica/dataset-writer.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
let work: string;
let daily: string;
let compacted: string;
let db: DuckDBInstance;
let c: DuckDBConnection;

interface Field {
  name: string;
  type: string;
  constraints: { required: boolean };
}
interface Resource {
  name: string;
  path: string;
  schema: { fields: Field[]; primaryKey: string[] };
}

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "dataset-card-"));
  daily = path.join(work, "daily");
  await writeSyntheticDataset({ out: daily, seed: 3, stocks: 8, days: 25, end: "2026-11-20" });
  compacted = path.join(work, "compacted");
  await cp(daily, compacted, { recursive: true });
  await compact(compacted, { before: "2026-11" });
  db = await DuckDBInstance.create(":memory:");
  c = await db.connect();
}, 120_000);

afterAll(async () => {
  c?.closeSync();
  db?.closeSync();
  if (work) await rm(work, { recursive: true, force: true });
});

async function rows(sql: string): Promise<unknown[][]> {
  return (await c.runAndReadAll(sql)).getRowsJS();
}

async function value(sql: string): Promise<unknown> {
  return (await rows(sql))[0]?.[0];
}

describe("dataset card", () => {
  it("data/README.md and data/datapackage.json are the generator's current output (npm run dataset-card)", async () => {
    expect(await readFile(path.join(ROOT, "data", "README.md"), "utf8")).toBe(datasetCardMarkdown());
    expect(await readFile(path.join(ROOT, "data", "datapackage.json"), "utf8")).toBe(dataPackageJson());
  });

  it("the card documents every table and column of the schema", () => {
    const card = datasetCardMarkdown();
    for (const t of [...TABLES.map((n) => TABLE_SCHEMAS[n]), PARTICIPANTS_DIM]) {
      expect(card).toContain(`### \`${t.name}\``);
      for (const col of t.columns) expect(card, `${t.name}.${col.name}`).toContain(`| \`${col.name}\` | ${col.type} |`);
    }
    for (const part of ["terms of use", "How to cite", "**pandas**", "**Polars**", "**DuckDB**", "**R (arrow)**", "shares / summary.issued_shares"]) expect(card).toContain(part);
  });

  for (const layout of ["daily", "compacted"] as const) {
    it(`datapackage.json matches the real Parquet schema of every table (${layout} files)`, async () => {
      const root = layout === "daily" ? daily : compacted;
      const pkg = JSON.parse(await readFile(path.join(ROOT, "data", "datapackage.json"), "utf8")) as { resources: Resource[] };
      const checkTable = async (def: TableDef, source: string) => {
        const res = pkg.resources.find((r) => r.name === def.name)!;
        expect(res, def.name).toBeDefined();
        // Names and types as DuckDB reads them from the files, against both descriptions.
        const described = (await rows(`DESCRIBE SELECT * FROM ${source}`)).map(([n, t]) => [String(n), String(t)]);
        expect(described, def.name).toEqual(def.columns.map((col) => [col.name, col.type]));
        expect(res.schema.fields.map((f) => [f.name, f.type]), def.name).toEqual(described.map(([n, t]) => [n, FRICTIONLESS_TYPES[t as ColumnType]]));
        // required: no NULL in the files; primaryKey: unique in the files.
        for (const f of res.schema.fields.filter((x) => x.constraints.required)) {
          expect(Number(await value(`SELECT count(*) FROM ${source} WHERE "${f.name}" IS NULL`)), `${def.name}.${f.name}`).toBe(0);
        }
        const key = res.schema.primaryKey.map((k) => `"${k}"`).join(", ");
        expect(Number(await value(`SELECT count(*) FROM (SELECT ${key} FROM ${source} GROUP BY ALL HAVING count(*) > 1)`)), def.name).toBe(0);
        expect(Number(await value(`SELECT count(*) FROM ${source}`)), def.name).toBeGreaterThan(0);
      };
      for (const t of TABLES) await checkTable(TABLE_SCHEMAS[t], `read_parquet(${sqlString(tableGlob(root, t))}, hive_partitioning = false)`);
      await checkTable(PARTICIPANTS_DIM, `read_parquet(${sqlString(participantsDimFile(root))})`);
    });
  }

  it("the card's pandas, Polars and DuckDB examples run and name the same largest holder", async () => {
    const python = checkPython();
    const card = datasetCardMarkdown();
    const block = (lang: string, after: string) => {
      const from = card.indexOf(after);
      const start = card.indexOf("```" + lang + "\n", from) + lang.length + 4;
      return card.slice(start, card.indexOf("```", start));
    };
    // The card asks for 00700; this replica market has other codes: ask for its largest stock.
    const code = await value(`SELECT stock_code FROM read_parquet(${sqlString(tableGlob(compacted, "summary"))}) ORDER BY issued_shares DESC, stock_code LIMIT 1`);
    const top = await value(
      `SELECT participant_key FROM read_parquet(${sqlString(tableGlob(compacted, "holdings"))}) h
       WHERE stock_code = '${code}' AND date = (SELECT max(date) FROM read_parquet(${sqlString(tableGlob(compacted, "summary"))}))
       ORDER BY shares DESC, participant_key LIMIT 1`,
    );
    const cwd = path.join(work, "examples");
    await mkdir(cwd);
    await symlink(compacted, path.join(cwd, "parquet"));
    for (const lang of ["**pandas**", "**Polars**"]) {
      const code00700 = block("python", lang).replaceAll("00700", String(code));
      const run = spawnSync(python, ["-c", code00700], { cwd, encoding: "utf8", env: { ...process.env, POLARS_FMT_MAX_COLS: "20", POLARS_FMT_STR_LEN: "80" } });
      expect(run.stderr, lang).toBe("");
      expect(run.status, lang).toBe(0);
      expect(run.stdout, lang).toContain(String(top));
    }
    const sql = block("sql", "**DuckDB**").replaceAll("00700", String(code)).replaceAll("'parquet/", `'${cwd}/parquet/`);
    const result = await rows(sql);
    expect(result.length).toBeGreaterThan(0);
    expect(result[0]![1]).toBe(top);
  }, 120_000);
});
