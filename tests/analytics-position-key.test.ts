// The packed position key of the analytics cache (data-loaders/compute/cache.ts positionKeyMacros):
// it must round-trip every (stock id, participant id) it is used for and sort by stock, then
// participant, in both its INTEGER and its BIGINT form.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { positionKeyMacros } from "../data-loaders/compute/cache.ts";
import { openDb, rows, type Db } from "../data-loaders/compute/duck.ts";

let db: Db;
beforeAll(async () => {
  db = await openDb(":memory:");
});
afterAll(() => db?.close());

async function roundTrip(fits: boolean, pairs: [number, number][]) {
  const conn = await db.instance.connect();
  try {
    for (const m of positionKeyMacros(fits)) await conn.run(m);
    const values = pairs.map(([s, p]) => `(${s}, ${p})`).join(", ");
    return await rows<{ sid: number; pid: number; type: string }>(
      conn,
      `SELECT position_sid(position_key(sid, pid)) AS sid, position_pid(position_key(sid, pid)) AS pid,
         typeof(position_key(sid, pid)) AS type
       FROM (VALUES ${values}) t(sid, pid) ORDER BY position_key(sid, pid)`,
    );
  } finally {
    conn.closeSync();
  }
}

describe("position key", () => {
  it("as an INTEGER, round-trips ids up to 15 and 16 bits and sorts by stock, then participant", async () => {
    const got = await roundTrip(true, [[32767, 65535], [1, 2], [2, 1], [1, 65535], [32767, 1]]);
    expect(got.map((r) => [r.sid, r.pid])).toEqual([[1, 2], [1, 65535], [2, 1], [32767, 1], [32767, 65535]]);
    expect(new Set(got.map((r) => r.type))).toEqual(new Set(["INTEGER"]));
  });

  it("as a BIGINT, round-trips ids beyond those (a market the INTEGER form cannot hold)", async () => {
    const got = await roundTrip(false, [[40000, 70000], [1, 2], [40000, 1]]);
    expect(got.map((r) => [r.sid, r.pid])).toEqual([[1, 2], [40000, 1], [40000, 70000]]);
    expect(new Set(got.map((r) => r.type))).toEqual(new Set(["BIGINT"]));
  });
});
