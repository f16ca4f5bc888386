// The steps of the analytics cache's build, in the order they run: each a SQL file of
// data-loaders/compute/sql/cache/ or a TypeScript step that the SQL cannot do (read a few dates' files,
// compute or reuse the month chunks). This list is the one place that says what runs, and when.
import { createHash } from "node:crypto";
import path from "node:path";
import { rows, type Db } from "./duck.ts";
import { CHUNK_TABLES, chunkRead, ensureChunks, monthFiles, type Chunk, type ChunkTable } from "./chunks.ts";
import { contentHash } from "./file-hashes.ts";
import { sqlFileStatements } from "./sql-files.ts";
import { SOURCE_TABLES, tableSqlOnDates, type DatasetFiles } from "./source.ts";

export const CACHE_SQL_DIR = path.join(import.meta.dirname, "sql", "cache");

/** What a step works with: the cache being built, the dataset, the cache folder, and what earlier steps made. */
export interface BuildContext {
  db: Db;
  ds: DatasetFiles;
  dir: string;
  /** The chunk key's code part (chunks.ts chunkCodeKey). */
  chunkCodeKey: string;
  /** Every month chunk, oldest first (set by the month-chunks step). */
  chunks: Chunk[];
  log?: (s: string) => void;
}

/** Times `work` and logs its seconds beside `what` and whatever suffix the work returns. */
export type Timer = (what: string, work: () => Promise<string | void>) => Promise<void>;

export interface BuildStep {
  /** The SQL file it runs, or what the TypeScript step makes. */
  name: string;
  /** Run the step; each line of `time` is logged with its seconds. */
  run(ctx: BuildContext, time: Timer): Promise<void>;
}

/** The statements of one SQL file of data-loaders/compute/sql/cache/, each timed. */
function sqlFile(file: string): BuildStep {
  return {
    name: file,
    async run(ctx, time) {
      for (const stmt of sqlFileStatements(CACHE_SQL_DIR, file)) await time(madeBy(stmt), async () => {
          await ctx.db.conn.run(stmt);
        });
    },
  };
}

/** The table or view a statement makes (for the log). */
function madeBy(stmt: string): string {
  return /CREATE (?:TEMP )?(?:TABLE|VIEW) (\w+)|^\s*(\w+ \w+)/m.exec(stmt.replace(/^--.*$/gm, "").trim())?.slice(1).find(Boolean) ?? "statement";
}

/**
 * The view `name` over the holdings of the stock-days `stockDaysQuery` returns (stock_code, date):
 * reading those dates' files only, instead of scanning the year, and keeping the wanted stocks'
 * rows of them. The stocks that left the market have their own last days, so on the 3-year
 * full-market dataset the latest days were 572 dates for 11,200 stock-days: 112 million rows read
 * and joined for 0.87 million wanted (27 s of a 3-year nightly's cache build against 1 s at one
 * year; docs/DATASETS.md "Over the years").
 */
function holdingsOnStockDays(name: string, stockDaysQuery: string): BuildStep {
  return {
    name,
    async run(ctx, time) {
      await time(`view ${name}`, async () => {
        const found = await rows<{ d: string }>(ctx.db.conn, `SELECT DISTINCT strftime(date, '%Y-%m-%d') AS d FROM (${stockDaysQuery}) t WHERE date IS NOT NULL`);
        const dates = found.map((r) => r.d);
        await ctx.db.conn.run(
          `CREATE TEMP VIEW ${name} AS SELECT h.* FROM (${tableSqlOnDates(ctx.ds.tables.holdings, "holdings", dates)}) h
           SEMI JOIN (${stockDaysQuery}) w ON w.stock_code = h.stock_code AND w.date = h.date`,
        );
        return ` (${dates.length} dates)`;
      });
    },
  };
}

async function chunkViews(db: Db, prefix: string, chunks: readonly Chunk[], tables: readonly ChunkTable[]) {
  for (const t of tables) await db.conn.run(`CREATE OR REPLACE VIEW ${prefix}${t} AS ${chunkRead(chunks, t)}`);
}

/**
 * Compute or reuse every month chunk (chunks.ts: the passes over every holding), the `chunk_*`
 * views over all of them, and `month_keys`: per month, its chunk's key and a hash of every file of
 * the month (all tables), what a per-year file of the export depends on, so the export can keep a
 * closed year's files when its months' keys are unchanged (data-loaders/publish/year-parts.ts).
 */
const monthChunks: BuildStep = {
  name: "month chunks",
  async run(ctx, time) {
    await time("month chunks", async () => {
      const { db, ds, dir } = ctx;
      ctx.chunks = await ensureChunks(db, ds, dir, ctx.chunkCodeKey, ctx.log);
      await chunkViews(db, "chunk_", ctx.chunks, Object.keys(CHUNK_TABLES) as ChunkTable[]);
      await db.conn.run("CREATE TABLE month_keys (month VARCHAR, chunk_key VARCHAR, files_key VARCHAR)");
      for (const c of ctx.chunks) {
        const h = createHash("sha256");
        for (const f of monthFiles(ds, c.month, SOURCE_TABLES)) h.update(`${path.relative(ds.root, f)}\t${await contentHash(dir, f)}\n`);
        await db.conn.run(`INSERT INTO month_keys VALUES ('${c.month}', '${c.key}', '${h.digest("hex")}')`);
      }
      return ` (${ctx.chunks.length})`;
    });
  },
};

/** The `window_chunk_*` views: the chunks of the months that some stock's window reaches. */
const windowChunks: BuildStep = {
  name: "window chunks",
  async run(ctx, time) {
    await time("window chunks", async () => {
      const months = new Set((await rows<{ m: string }>(ctx.db.conn, "SELECT DISTINCT strftime(date, '%Y-%m') AS m FROM stock_days_window")).map((r) => r.m));
      const chunks = ctx.chunks.filter((c) => months.has(c.month));
      await chunkViews(ctx.db, "window_chunk_", chunks, ["change_points", "top_holdings", "pairs"]);
      return ` (${chunks.length})`;
    });
  },
};

/** The build, in order. Input views (made by cache.ts over the Parquet files): src_holdings, src_summary, src_stocks, src_participants, src_southbound, src_dim. */
export const CACHE_STEPS: readonly BuildStep[] = [
  sqlFile("05-stock-days.sql"),
  monthChunks,
  sqlFile("10-summary.sql"),
  windowChunks,
  // each stock's first day in the window: its holdings are the trend series' starting points
  holdingsOnStockDays("src_holdings_window_start", "SELECT stock_code, date FROM stock_days_window WHERE seq = 0 AND NOT first_day"),
  sqlFile("20-positions.sql"),
  sqlFile("30-movers.sql"),
  sqlFile("40-attention.sql"),
  // each stock's last stored day and the days 1, 5 and 20 stored days before (the latest holdings' changes)
  holdingsOnStockDays(
    "src_holdings_latest_days",
    `SELECT s.stock_code, s.date FROM stock_days_window s JOIN stock_last l USING (stock_code)
     WHERE s.seq IN (l.last_seq, l.last_seq - 1, l.last_seq - 5, l.last_seq - 20)`,
  ),
  sqlFile("50-latest-and-series.sql"),
  sqlFile("60-southbound.sql"),
  sqlFile("70-participants-and-names.sql"),
  sqlFile("80-coverage.sql"),
  sqlFile("90-full-history.sql"),
];
