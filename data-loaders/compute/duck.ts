// Thin helpers over @duckdb/node-api: read a query as plain JSON-ready values (BIGINT → number,
// DATE → "YYYY-MM-DD"), as rows or as columns.
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";

export type Plain = string | number | boolean | null | Plain[] | { [k: string]: Plain };

/** Every figure here (shares, counts) is far below 2^53, so a bigint converts exactly. */
export function plain(v: unknown): Plain {
  if (v === null || v === undefined) return null;
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "number") return Number.isFinite(v) ? v : null;
  if (typeof v === "string" || typeof v === "boolean") return v;
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return String(v);
}

export async function rows<T = Record<string, Plain>>(conn: DuckDBConnection, sql: string): Promise<T[]> {
  const reader = await conn.runAndReadAll(sql);
  return reader.getRowObjectsJS().map((r) => plain(r) as T);
}

/** A query as an object of equal-length arrays (the columnar shape of docs/DATASETS.md). */
export async function columns(conn: DuckDBConnection, sql: string): Promise<Record<string, Plain[]>> {
  const reader = await conn.runAndReadAll(sql);
  const out: Record<string, Plain[]> = {};
  const names = reader.columnNames();
  const cols = reader.getColumnsJS();
  names.forEach((name, i) => {
    out[name] = (cols[i] ?? []).map(plain);
  });
  return out;
}

export async function scalar<T = Plain>(conn: DuckDBConnection, sql: string): Promise<T> {
  const r = await rows<Record<string, Plain>>(conn, sql);
  const first = r[0];
  return (first ? Object.values(first)[0] : null) as T;
}

export interface Db {
  instance: DuckDBInstance;
  conn: DuckDBConnection;
  close(): void;
}

export async function openDb(file: string, options: Record<string, string> = {}): Promise<Db> {
  const instance = await DuckDBInstance.create(file, { threads: "2", ...options });
  const conn = await instance.connect();
  return {
    instance,
    conn,
    close() {
      conn.closeSync();
      instance.closeSync();
    },
  };
}
