// The packed position key of the window over every holding (chunk SQL 20).
import type { DuckDBConnection } from "@duckdb/node-api";
import { scalar } from "./duck.ts";

/**
 * position_key(sid, pid) packs a position into one sortable number, position_sid/position_pid
 * unpack it: an INTEGER when the ids fit (a 4-byte sort key instead of 8 makes the window over every
 * holding about a fifth faster), else a BIGINT.
 */
export function positionKeyMacros(fitsInteger: boolean): string[] {
  return fitsInteger
    ? [
        "CREATE OR REPLACE TEMP MACRO position_key(sid, pid) AS ((sid::INTEGER << 16) | pid)::INTEGER",
        "CREATE OR REPLACE TEMP MACRO position_sid(k) AS (k >> 16)::INTEGER",
        "CREATE OR REPLACE TEMP MACRO position_pid(k) AS (k & 65535)::INTEGER",
      ]
    : [
        "CREATE OR REPLACE TEMP MACRO position_key(sid, pid) AS (sid::BIGINT << 32) | pid",
        "CREATE OR REPLACE TEMP MACRO position_sid(k) AS (k >> 32)::INTEGER",
        "CREATE OR REPLACE TEMP MACRO position_pid(k) AS (k & 4294967295)::INTEGER",
      ];
}

/**
 * Define the macros for the ids' range: the INTEGER packing when every stock id of `sids.sid` fits in
 * 15 bits and every participant id of `pids.pid` in 16. Returns whether it did.
 */
export async function definePositionKey(conn: DuckDBConnection, tables: { sids: string; pids: string }): Promise<boolean> {
  const fits = Boolean(
    await scalar(conn, `SELECT (SELECT coalesce(max(sid), 0) FROM ${tables.sids}) < 32768 AND (SELECT coalesce(max(pid), 0) FROM ${tables.pids}) < 65536`),
  );
  for (const macro of positionKeyMacros(fits)) await conn.run(macro);
  return fits;
}
