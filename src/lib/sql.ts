// Tiny helpers for building DuckDB SQL from values that have already been validated.
// Paths come from the command line (--out), so they are quoted, never pasted raw.
import { assertIsoDate } from "./validate.ts";

/** A SQL string literal: single quotes doubled. */
export function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** A DATE literal from a validated ISO date. */
export function sqlDate(date: string): string {
  return `DATE '${assertIsoDate(date)}'`;
}

/** A DuckDB list of string literals (file paths for read_parquet). */
export function sqlList(items: readonly string[]): string {
  return `[${items.map(sqlString).join(", ")}]`;
}
