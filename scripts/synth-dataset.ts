#!/usr/bin/env -S npx tsx
// Write a synthetic dataset straight from the replica's market (no HTTP), with its ground truth:
//   npx tsx scripts/synth-dataset.ts --out DIR --seed N --stocks N --days N --end YYYY-MM-DD [--hostile-names] [--noise] [--webbsite-dump DIR]
import { writeSyntheticDataset } from "../src/replica/dataset-writer.ts";
import { cliProgram, integerOption, isoDateOption, runCli } from "../src/lib/cli-options.ts";
import { LONG_MARKET_DAYS, MAX_MARKET_DAYS } from "../src/replica/lifecycle.ts";

const program = cliProgram("synth-dataset")
  .description("Write the whole Parquet dataset from the replica's synthetic market, plus _truth/")
  .requiredOption("--out <dir>", "dataset folder")
  .option("--seed <n>", "market seed", integerOption("seed", 1), 1)
  .option("--stocks <n>", "securities in the market", integerOption("stocks", 1), 2800)
  .option("--days <n>", `settlement days (1–${MAX_MARKET_DAYS}; above ${LONG_MARKET_DAYS}, listings, delistings and participants come and go)`, integerOption("days", 1, MAX_MARKET_DAYS), 250)
  .requiredOption("--end <date>", "last settlement day (YYYY-MM-DD)", isoDateOption)
  .option("--hostile-names", "names carrying HTML/script and spreadsheet-formula payloads", false)
  .option("--noise", "the noisy market: parties' own trading on transfer days, busy days, sell-outs, newcomers (docs/REPLICA.md)", false)
  .option("--webbsite-dump <dir>", "also write the market as a Webb-site archive dump (mysqldump files) into DIR, for npm run import-archive")
  .option("--quiet", "no per-date progress lines", false)
  .action(async (o: { out: string; seed: number; stocks: number; days: number; end: string; hostileNames: boolean; noise: boolean; quiet: boolean; webbsiteDump?: string }) => {
    const summary = await writeSyntheticDataset({
      out: o.out,
      seed: o.seed,
      stocks: o.stocks,
      days: o.days,
      end: o.end,
      hostileNames: o.hostileNames,
      noise: o.noise,
      ...(o.webbsiteDump ? { webbsiteDump: o.webbsiteDump } : {}),
      onDate: o.quiet
        ? undefined
        : ({ date, index, total, holdingsRows }) => process.stderr.write(`${index + 1}/${total} ${date} ${holdingsRows} holdings rows\n`),
    });
    console.log(JSON.stringify({ out: o.out, ...summary }));
  });

await runCli("synth-dataset", () => program.parseAsync(process.argv));
