// trends: one stock's participant series (split-adjusted shares, day-over-day change, % of
// issued). The static API carries it for every stock (stocks/<code>.json "trends"); run alone,
// the loader prints it for CCASS_STOCK (default: the stock with the most holders on the last day).
import { assertStockCode } from "../../src/lib/validate.ts";
import type { Analytics } from "../compute/cache.ts";
import { scalar } from "../compute/duck.ts";
import { hasData, isSynthetic, SCHEMA_VERSION } from "./common.ts";
import { stockPages } from "./stock-pages.ts";

/** A series as the stock page carries it: change points (index into `dates`, holding from then on). */
interface SeriesPoints {
  key: string;
  id: string | null;
  name: string | null;
  seq: number[];
  shares: number[];
}

/** Change points → one holding per date (0 before the first point): the step function they describe. */
export function denseShares(s: Pick<SeriesPoints, "seq" | "shares">, days: number): number[] {
  const dense = new Array<number>(days).fill(0);
  s.seq.forEach((from, i) => dense.fill(s.shares[i]!, from, s.seq[i + 1] ?? days));
  return dense;
}

export async function trends(a: Analytics, code: string | null = process.env.CCASS_STOCK ?? null) {
  const stock =
    code !== null
      ? assertStockCode(code)
      : await scalar<string | null>(
          a.db.conn,
          // only stocks present on the last day: a delisted stock's own last day is not "the last day"
          `SELECT l.stock_code FROM stock_last l JOIN stock_days_window s ON s.stock_code = l.stock_code AND s.seq = l.last_seq
           WHERE l.last_date = (SELECT max(date) FROM dates) ORDER BY s.listed_count DESC, l.stock_code LIMIT 1`,
        );
  const empty = { schema_version: SCHEMA_VERSION, has_data: false, stock_code: stock, dates: [], issued_adj: [], default_keys: [], series: [] };
  if (!stock || !(await hasData(a))) return empty;
  for await (const page of stockPages(a, await isSynthetic(a), { only: [stock] })) {
    const j = JSON.parse(page.text) as { dates: string[]; summary: { issued_adj: number[] }; trends: { default_keys: string[]; series: SeriesPoints[] } };
    const issued = j.summary.issued_adj;
    const n = j.dates.length;
    return {
      schema_version: SCHEMA_VERSION,
      has_data: true,
      stock_code: stock,
      dates: j.dates,
      issued_adj: issued,
      default_keys: j.trends.default_keys,
      series: j.trends.series.map((p) => {
        const shares = denseShares(p, n);
        return {
          key: p.key,
          id: p.id,
          name: p.name,
          shares,
          change: shares.map((v, i) => (i === 0 ? null : v - shares[i - 1]!)),
          pct: shares.map((v, i) => Math.round(((v * 100) / issued[i]!) * 10000) / 10000),
        };
      }),
    };
  }
  return empty;
}
