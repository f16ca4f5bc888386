// Small hand-made pages for the ingest tests: every figure here is chosen by hand, so the tests
// can state the rows they expect without asking the code under test.
import { DuckDBInstance } from "@duckdb/node-api";
import type { HoldingsPage, ParticipantHolding } from "../src/hkex/types.ts";

/** A consistent holdings page: summary figures are derived from the rows given. */
export function page(date: string, stockCode: string, rows: ParticipantHolding[], nonConsenting = { shares: 0, participants: 0 }): HoldingsPage {
  const inter = rows.filter((r) => r.id !== null);
  const cons = rows.filter((r) => r.id === null);
  const sum = (rs: ParticipantHolding[]) => rs.reduce((a, r) => a + r.shares, 0);
  const intermediaries = { shares: sum(inter), participants: inter.length };
  const consenting = { shares: sum(cons), participants: cons.length };
  return {
    kind: "holdings",
    date,
    stockCode,
    stockName: `STOCK ${stockCode}`,
    issuedShares: 1_000_000_000,
    summary: {
      intermediaries,
      consenting,
      nonConsenting,
      total: {
        shares: intermediaries.shares + consenting.shares + nonConsenting.shares,
        participants: intermediaries.participants + consenting.participants + nonConsenting.participants,
      },
    },
    participants: rows,
  };
}

export const row = (id: string | null, name: string, shares: number, address: string | null = `${name} ADDRESS`): ParticipantHolding => ({
  id,
  name,
  address,
  shares,
});

/** Run one query with a throwaway DuckDB and return plain JS rows. */
export async function query(sql: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(":memory:");
  const c = await db.connect();
  try {
    const r = await c.runAndReadAll(sql);
    return r.getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    c.closeSync();
    db.closeSync();
  }
}
