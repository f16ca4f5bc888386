// The packed position key of the window over every holding (cache SQL 20, chunk SQL 20).
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
 * The "-- @position-key" directive: `query` says whether every id fits the INTEGER packing; define
 * the macros for the answer. Returns that answer.
 */
export async function definePositionKey(conn: DuckDBConnection, query: string): Promise<boolean> {
  const fits = Boolean(await scalar(conn, query));
  for (const macro of positionKeyMacros(fits)) await conn.run(macro);
  return fits;
}
