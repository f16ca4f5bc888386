// Where the archive and the scraper both have a date (docs/ARCHIVE.md "Overlap"): the archive's rows
// of those dates are compared with the stored (scraped) ones, table by table and date by date, and
// never written: the scraped rows stay. Counts and a few examples per table go to the month's
// record and to `_archive/reconciliation.json`.
import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { monthDir, type TableName } from "../dataset/layout.ts";
import { TABLE_SCHEMAS } from "../dataset/schema.ts";
import { sqlDate, sqlString } from "../lib/sql.ts";

export interface DateCounts {
  agreeing: number;
  differing: number;
  archiveOnly: number;
  scrapedOnly: number;
}

export interface MonthReconciliation extends DateCounts {
  month: string;
  /** table → date → counts */
  tables: Record<string, Record<string, DateCounts>>;
  /** table → up to five rows that do not agree (differing first): key, archive's values, scraped values */
  examples: Record<string, { key: unknown[]; archive: unknown[] | null; scraped: unknown[] | null }[]>;
}

const COMPARED: readonly TableName[] = ["holdings", "summary", "stocks", "participants"];

/** Compare the archive's rows (selects: one SELECT per table) with the stored rows on the scraped dates. */
export async function compareMonth(c: DuckDBConnection, out: string, month: string, scraped: string[], selects: Record<string, string>): Promise<MonthReconciliation> {
  const result: MonthReconciliation = { month, agreeing: 0, differing: 0, archiveOnly: 0, scrapedOnly: 0, tables: {}, examples: {} };
  const inDates = `date IN (${scraped.map((d) => sqlDate(d)).join(", ")})`;
  for (const table of COMPARED) {
    const def = TABLE_SCHEMAS[table];
    const key = def.key;
    // participants: the archive has no address, so only the ID and the name are compared
    // (and security_id is this project's own id, derived, not a figure of either source)
    const values = def.columns.map((col) => col.name).filter((n) => !key.includes(n) && n !== "address" && n !== "security_id");
    const glob = path.join(monthDir(out, table, month), "*.parquet");
    const cols = [...key, ...values].join(", ");
    await c.run(`CREATE OR REPLACE TEMP TABLE rc_a AS SELECT ${cols} FROM (${selects[table]}) WHERE ${inDates}`);
    await c.run(`CREATE OR REPLACE TEMP TABLE rc_s AS SELECT ${cols} FROM read_parquet(${sqlString(glob)}, hive_partitioning = false) WHERE ${inDates}`);
    const on = key.map((k) => `a.${k} = s.${k}`).join(" AND ");
    const same = values.length === 0 ? "true" : values.map((v) => `a.${v} IS NOT DISTINCT FROM s.${v}`).join(" AND ");
    await c.run(
      `CREATE OR REPLACE TEMP TABLE rc AS
       SELECT coalesce(a.date, s.date) AS date,
              CASE WHEN s.date IS NULL THEN 'archiveOnly' WHEN a.date IS NULL THEN 'scrapedOnly' WHEN ${same} THEN 'agreeing' ELSE 'differing' END AS verdict,
              [${key.map((k) => `coalesce(a.${k}, s.${k})::VARCHAR`).join(", ")}] AS k,
              CASE WHEN a.date IS NULL THEN NULL ELSE [${values.map((v) => `a.${v}::VARCHAR`).join(", ") || "NULL"}] END AS av,
              CASE WHEN s.date IS NULL THEN NULL ELSE [${values.map((v) => `s.${v}::VARCHAR`).join(", ") || "NULL"}] END AS sv
       FROM rc_a a FULL OUTER JOIN rc_s s ON ${on}`,
    );
    const perDate: Record<string, DateCounts> = {};
    for (const [d, verdict, n] of (await c.runAndReadAll(`SELECT strftime(date, '%Y-%m-%d'), verdict, count(*) FROM rc GROUP BY ALL ORDER BY ALL`)).getRowsJS() as [string, keyof DateCounts, bigint][]) {
      perDate[d] ??= { agreeing: 0, differing: 0, archiveOnly: 0, scrapedOnly: 0 };
      perDate[d][verdict] += Number(n);
      result[verdict] += Number(n);
    }
    result.tables[table] = perDate;
    const examples = (await c.runAndReadAll(`SELECT k, av, sv FROM rc WHERE verdict <> 'agreeing' ORDER BY verdict <> 'differing', verdict, k LIMIT 5`)).getRowsJS() as [unknown[], unknown[] | null, unknown[] | null][];
    if (examples.length > 0) result.examples[table] = examples.map(([k, av, sv]) => ({ key: k, archive: av, scraped: sv }));
  }
  return result;
}
