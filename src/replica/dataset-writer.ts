// A whole dataset straight from the replica's synthetic market, without HTTP: the same writer a
// scrape uses, fed with the market's own HoldingsPage values. Analytics and site benchmarks run on
// it, and the ground truth (planted transfers, corporate actions) goes to `_truth/` beside it.
// It lives with the replica, not in src/ingest: production code never imports src/replica
// (tests/module-boundaries.test.ts).
import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { HoldingsPage } from "../hkex/types.ts";
import { writeFileAtomic } from "../lib/atomic.ts";
import { truthDir } from "../dataset/layout.ts";
import { DatasetWriter, type DayInput } from "../ingest/writer.ts";
import { createMarket, type Market, type MarketOptions } from "./market.ts";
import { writeWebbsiteDump } from "./webbsite-dump.ts";

/** The market's own options, and where and how to write it. */
export interface SyntheticOptions extends MarketOptions {
  out: string;
  /** also write the market as a Webb-site archive dump into this folder (src/replica/webbsite-dump.ts) */
  webbsiteDump?: string;
  /** called after each date is written */
  onDate?: (info: { date: string; index: number; total: number; holdingsRows: number }) => void;
}

export interface SyntheticSummary {
  dates: number;
  stocks: number;
  holdingsRows: number;
  seconds: number;
}

/** The day's input from the market: every listed stock's page, the lists and the southbound table. */
export function marketDay(market: Market, date: string): DayInput {
  const stockList = market.stockList(date);
  const holdings: HoldingsPage[] = [];
  for (const s of stockList.stocks) {
    const page = market.holdings(date, s.code);
    if (page) holdings.push(page);
  }
  return { date, holdings, stockList, participantList: market.participantList(date), southbound: market.southbound(date) };
}

/** Write every date of `market` to `out` (through the writer), then participants_dim. */
export async function writeMarketDataset(
  market: Market,
  out: string,
  onDate?: SyntheticOptions["onDate"],
): Promise<Omit<SyntheticSummary, "seconds">> {
  const writer = await DatasetWriter.open(out);
  let holdingsRows = 0;
  try {
    // Build day N+1 in JS while DuckDB still compresses day N on its own threads.
    let pending: Promise<unknown> = Promise.resolve();
    for (const [index, date] of market.dates.entries()) {
      const day = marketDay(market, date);
      await pending;
      pending = writer.writeDay(day).then((stats) => {
        holdingsRows += stats.holdingsRows;
        onDate?.({ date, index, total: market.dates.length, holdingsRows: stats.holdingsRows });
      });
    }
    await pending;
    await writer.rebuildParticipantsDim();
  } finally {
    writer.close();
  }
  return { dates: market.dates.length, stocks: market.stocks.length, holdingsRows };
}

export async function writeSyntheticDataset(opts: SyntheticOptions): Promise<SyntheticSummary> {
  const started = performance.now();
  const marketOptions: MarketOptions = {
    seed: opts.seed,
    stocks: opts.stocks,
    days: opts.days,
    end: opts.end,
    hostileNames: opts.hostileNames ?? false,
    ...(opts.noise ? { noise: true } : {}),
  };
  const market = createMarket(marketOptions);
  // Its own market: the dump walks every stock to its end, the dataset writer goes date by date.
  if (opts.webbsiteDump) writeWebbsiteDump(createMarket(marketOptions), { dir: opts.webbsiteDump });
  await mkdir(opts.out, { recursive: true });
  const summary = await writeMarketDataset(market, opts.out, opts.onDate);
  const truth = truthDir(opts.out);
  await writeFileAtomic(path.join(truth, "transfers.json"), JSON.stringify(market.truthTransfers(), null, 1) + "\n");
  await writeFileAtomic(path.join(truth, "corporate-actions.json"), JSON.stringify(market.truthCorporateActions(), null, 1) + "\n");
  await writeFileAtomic(path.join(truth, "options.json"), JSON.stringify({ ...marketOptions, dates: market.dates }, null, 1) + "\n");
  // Long markets only (a short one has no lives, and its _truth/ stays as it was).
  const lifecycle = market.truthLifecycle();
  if (lifecycle) await writeFileAtomic(path.join(truth, "lifecycle.json"), JSON.stringify(lifecycle, null, 1) + "\n");
  return { ...summary, seconds: (performance.now() - started) / 1000 };
}
