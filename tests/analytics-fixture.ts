// A small hand-made dataset for the analytics tests, written through the real Parquet writer
// (src/ingest/writer.ts), so the loaders read exactly what the scraper stores.
// Three stocks over eight settlement days:
//   00001  a 1→2 split on day 4 (issued and every holding double), no trades otherwise except a
//          small drift of B00002; used to check split continuity.
//   00002  a planted 1 % transfer C00001 → B00002 on day 3, a one-to-many transfer C00002 →
//          B00003 + B00004 on day 5, a placing (issued +10 %, new shares to C00001) on day 6.
//   00003  an investor participant, a clearing agency (A00003) and a holder who sells out on day 7.
//   00004  delisted after day 3 (no rows later), with more holders than any stock on the last day.
//   00005  in the southbound table on the last day only, with no CCASS summary at all.
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { HoldingsPage, ParticipantHolding } from "../src/hkex/types.ts";
import { DatasetWriter } from "../src/ingest/writer.ts";
import { settlementDaysBetween } from "../src/lib/calendar.ts";

export const DAYS = settlementDaysBetween("2026-11-09", "2026-11-18"); // 8 settlement days
export const NAMES: Record<string, string> = {
  C00001: "ALPHA CUSTODY",
  C00002: "BETA TRUST",
  B00002: "GAMMA SECURITIES",
  B00003: "DELTA BROKERS",
  B00004: "EPSILON BROKERS",
  A00003: "CHINA CLEARING (SH)",
};

export type Holdings = Record<string, number>; // participant ID (or "ip:NAME") → shares

export interface StockDay {
  issued: number;
  holdings: Holdings;
  nonConsenting: number;
}

/** The hand-made truth: per stock, per day index, the holdings. Tests recompute from this. */
export function fixtureData(): Record<string, { name: string; days: StockDay[] }> {
  const s1: StockDay[] = [];
  const s2: StockDay[] = [];
  const s3: StockDay[] = [];
  const s4: StockDay[] = [];
  for (let d = 0; d < DAYS.length; d++) {
    // 00001: split 1→2 on day 4
    const f = d >= 4 ? 2 : 1;
    s1.push({
      issued: 1_000_000 * f,
      holdings: { C00001: 400_000 * f, C00002: 250_000 * f, B00002: (100_000 + d * 1_000) * f, B00003: 50_000 * f },
      nonConsenting: 10_000 * f,
    });
    // 00002
    const issued2 = d >= 6 ? 110_000_000 : 100_000_000;
    const h2: Holdings = { C00001: 30_000_000, C00002: 20_000_000, B00002: 5_000_000, B00003: 1_000_000, B00004: 2_000_000 };
    if (d >= 3) {
      h2.C00001! -= 1_000_000; // 1 % of issued to B00002
      h2.B00002! += 1_000_000;
    }
    if (d >= 5) {
      h2.C00002! -= 900_000; // 0.9 % split 600k / 300k
      h2.B00003! += 600_000;
      h2.B00004! += 300_000;
    }
    if (d >= 6) h2.C00001! += 10_000_000; // placing: new shares, no seller
    s2.push({ issued: issued2, holdings: h2, nonConsenting: 500_000 });
    // 00003
    // the second investor's name is a spreadsheet formula: CSV downloads must neutralise it
    const h3: Holdings = { C00001: 3_000_000, A00003: 1_500_000, "ip:CHAN TAI MAN": 20_000, "ip:=HYPERLINK(\"http://x\")": 10_000 };
    if (d < 7) h3.B00004 = 400_000;
    else h3.C00001! += 400_000;
    s3.push({ issued: 10_000_000, holdings: h3, nonConsenting: 0 });
    // 00004: eight brokers, static holdings, gone after day 3
    if (d <= 3) s4.push({ issued: 100_000_000, holdings: Object.fromEntries([...Array(8).keys()].map((i) => [`B000${10 + i}`, 1_000_000 - i * 10_000])), nonConsenting: 0 });
  }
  return {
    "00001": { name: "SYNTHETIC ONE", days: s1 },
    "00002": { name: "SYNTHETIC TWO", days: s2 },
    "00003": { name: "SYNTHETIC THREE", days: s3 },
    "00004": { name: "SYNTHETIC FOUR", days: s4 },
  };
}

function page(date: string, code: string, name: string, day: StockDay): HoldingsPage {
  const rows: ParticipantHolding[] = Object.entries(day.holdings)
    .map(([k, shares]) =>
      k.startsWith("ip:")
        ? { id: null, name: k.slice(3), address: null, shares }
        : { id: k, name: NAMES[k] ?? k, address: "HONG KONG", shares },
    )
    .sort((a, b) => b.shares - a.shares);
  const inter = rows.filter((r) => r.id !== null);
  const cons = rows.filter((r) => r.id === null);
  const sum = (xs: ParticipantHolding[]) => xs.reduce((a, r) => a + r.shares, 0);
  const nc = { shares: day.nonConsenting, participants: day.nonConsenting > 0 ? 3 : 0 };
  return {
    kind: "holdings",
    date,
    stockCode: code,
    stockName: name,
    issuedShares: day.issued,
    summary: {
      intermediaries: { shares: sum(inter), participants: inter.length },
      consenting: { shares: sum(cons), participants: cons.length },
      nonConsenting: nc,
      total: { shares: sum(rows) + nc.shares, participants: rows.length + nc.participants },
    },
    participants: rows,
  };
}

/** Write the fixture (or another hand-made dataset over DAYS) into a fresh temp folder; returns the dataset root. */
export async function writeFixture(data = fixtureData()): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), "ccass-analytics-"));
  const w = await DatasetWriter.open(root, { threads: 1 });
  try {
    for (let d = 0; d < DAYS.length; d++) {
      const date = DAYS[d]!;
      const listed = Object.entries(data).filter(([, s]) => s.days[d]); // 00004 is delisted after day 3
      const last = d === DAYS.length - 1;
      await w.writeDay({
        date,
        holdings: listed.map(([code, s]) => page(date, code, s.name, s.days[d]!)),
        stockList: { kind: "stocklist", stocks: listed.map(([code, s]) => ({ code, name: s.name })) },
        southbound: {
          kind: "southbound",
          date,
          holdings: [
            { stockCode: "00003", stockName: "SYNTHETIC THREE", shares: 1_500_000 + d * 10_000, reportedPercent: 15 },
            ...(last ? [{ stockCode: "00005", stockName: "SYNTHETIC FIVE", shares: 2_000_000, reportedPercent: 5 }] : []),
          ],
        },
      });
    }
    await w.rebuildParticipantsDim();
  } finally {
    w.close();
  }
  return root;
}
