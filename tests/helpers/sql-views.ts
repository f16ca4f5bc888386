// The SQL console's history views (src/pages/components/sql-views.js, browser code) loaded in Node and
// installed on a DuckDB connection, so tests can hold them against the Parquet.
import type { DuckDBConnection } from "@duckdb/node-api";
import path from "node:path";
import { pathToFileURL } from "node:url";

export interface SqlViews {
  HISTORY_TABLES_SQL: string[];
  STOCK_HISTORY_MACRO: string;
  historyPartsSql: (code: string, year: number) => string[];
}

/** Creates the console's history tables and its `stock_history` macro on `conn`; returns the module. */
export async function installSqlViews(conn: DuckDBConnection): Promise<SqlViews> {
  const file = path.join(import.meta.dirname, "..", "..", "src", "pages", "components", "sql-views.js");
  const views = (await import(pathToFileURL(file).href)) as SqlViews;
  for (const stmt of views.HISTORY_TABLES_SQL) await conn.run(stmt);
  await conn.run(views.STOCK_HISTORY_MACRO);
  return views;
}
