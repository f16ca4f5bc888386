// Prints one stock's trends as JSON (docs/DATASETS.md "trends"), the series the static API carries
// per stock, for an analyst or a test. No page loads it, so it is a script, not a Framework loader.
//   CCASS_DATA=DIR npx tsx scripts/trends.ts [--stock CODE] > trends.json
import { runLoader } from "../data-loaders/publish/run-loader.ts";
import { trends } from "../data-loaders/publish/trends.ts";
import { cliProgram, runCli } from "../src/lib/cli-options.ts";
import { assertStockCode } from "../src/lib/validate.ts";

const opts = cliProgram("trends")
  .description("Print one stock's trends (participant series) as JSON from the dataset ($CCASS_DATA or data/parquet)")
  .option("--stock <code>", "stock code (default: $CCASS_STOCK, else the stock with the most holders on the last day)")
  .parse()
  .opts<{ stock?: string }>();

// a bad code is a usage error (one line, exit 1), before the dataset is opened
await runCli("trends", () => opts.stock === undefined || assertStockCode(opts.stock));
await runLoader((a) => trends(a, opts.stock ?? process.env.CCASS_STOCK ?? null));
