// The ingest side's DuckDB helper: a connection for one piece of work (the caller's, or an
// in-memory one opened and closed around it), and the two reads compaction and the checks need.
// (The loaders have their own, data-loaders/compute/duck.ts: src/ never imports the loaders.)
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { sqlList } from "./sql.ts";

/** Run `fn` on `conn`, or on a fresh in-memory database closed afterwards. */
export async function withConnection<T>(conn: DuckDBConnection | undefined, fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
  if (conn) return fn(conn);
  const instance = await DuckDBInstance.create(":memory:");
  const c = await instance.connect();
  try {
    return await fn(c);
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

/** The first value of the first row. */
export async function scalar(c: DuckDBConnection, sql: string): Promise<unknown> {
  const r = await c.runAndReadAll(sql);
  return r.getRows()[0]?.[0];
}

/** The column names of some Parquet files (as one read sees them). */
export async function columnsOf(c: DuckDBConnection, files: readonly string[]): Promise<string[]> {
  const r = await c.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${sqlList(files)}, hive_partitioning = false)`);
  return r.getRows().map((row) => String(row[0]));
}
