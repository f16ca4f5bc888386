#!/usr/bin/env -S npx tsx
// Steps of the GitHub workflows that need more than a shell line (docs/OPERATIONS.md):
//   nightly-plan   the newest published date and the start of the catch-up window
//   backfill-plan  month-aligned shards and the per-shard rate (= ceiling ÷ shards)
//   merge-shards   copy shard outputs into the dataset, rebuild participants_dim.parquet
//   summary        Markdown for the job summary: run report and rejected pages
//   scrape-missing scrape the dates the committed dataset lacks, within a time budget
//   drift-verdict  exit 1, loudly, when pages were rejected (always on markup drift)
// Outputs meant for $GITHUB_OUTPUT are printed as key=value lines.
import { DatasetWriter } from "../src/ingest/writer.ts";
import { CompactionError } from "../src/ingest/compact.ts";
import { cliProgram, integerOption, numberOption, runCli } from "../src/lib/cli-options.ts";
import { terminalText } from "../src/lib/terminal.ts";
import { InvalidValueError } from "../src/lib/validate.ts";
import { MergeError, mergeShards } from "../src/ops/merge.ts";
import { missingDates, nightlyRanges, scrapeRunArgs, scrapeWithinBudget } from "../src/ops/missing.ts";
import { backfillPlan, nightlyPlan, PlanError } from "../src/ops/plan.ts";
import { driftVerdict, runSummaryMarkdown } from "../src/ops/report.ts";

const program = cliProgram("ops").description("Steps of the nightly, backfill and drift-check workflows");

program
  .command("nightly-plan")
  .description("print latest=<newest published settlement date> and window_from=<start of the catch-up window>")
  .option("--window-days <n>", "calendar days before the latest date in which missing dates are filled in", integerOption("window days", 0), 30)
  .option("--now <iso>", "pretend the time is this (tests)")
  .action((o: { windowDays: number; now?: string }) => {
    const plan = nightlyPlan(o.windowDays, o.now ? new Date(o.now) : new Date());
    console.log(`latest=${plan.latest}\nwindow_from=${plan.windowFrom}`);
  });

program
  .command("backfill-plan")
  .description("print matrix=<JSON for strategy.matrix>, rate=<per-shard requests/s>, shards=<count>")
  .requiredOption("--from <date>", "first date, YYYY-MM-DD")
  .requiredOption("--to <date>", "last date, YYYY-MM-DD")
  .option("--shards <n>", "at most this many runners (whole months each)", integerOption("shards", 1), 6)
  .option("--ceiling <rps>", "combined requests per second of all shards", numberOption("ceiling", 0, Infinity, true), 2)
  .action((o: { from: string; to: string; shards: number; ceiling: number }) => {
    const plan = backfillPlan(o.from, o.to, o.shards, o.ceiling);
    const include = plan.shards.map((s) => ({ shard: s.index, from: s.from, to: s.to, days: s.days }));
    console.log(`matrix=${JSON.stringify({ include })}`);
    console.log(`rate=${plan.perShardRate}`);
    console.log(`shards=${plan.shards.length}`);
    console.log(`days=${plan.settlementDays}`);
  });

program
  .command("merge-shards")
  .description("copy each shard's dataset files into --into, then rebuild participants_dim.parquet")
  .requiredOption("--into <dir>", "the dataset to merge into (data/parquet)")
  .argument("<shard-dirs...>", "shard output folders (downloaded artifacts)")
  .action(async (dirs: string[], o: { into: string }) => {
    const report = await mergeShards(dirs, o.into);
    console.log(`merged ${report.copied.length} files from ${dirs.length} shard(s); left out ${report.skipped.length} non-dataset files`);
    const writer = await DatasetWriter.open(o.into);
    try {
      await writer.rebuildParticipantsDim();
    } finally {
      writer.close();
    }
  });

program
  .command("summary")
  .description("print Markdown (run report, rejected pages) for $GITHUB_STEP_SUMMARY")
  .requiredOption("--out <dir>", "the scrape's output folder")
  .option("--title <text>", "heading", "Scrape")
  .action(async (o: { out: string; title: string }) => {
    process.stdout.write(await runSummaryMarkdown(o.out, o.title));
  });

program
  .command("scrape-missing")
  .description("scrape the settlement days in [from, to] that --out does not hold, --latest first, within a time budget; exit 124 when the budget ran out, 3 when dates stay incomplete")
  .requiredOption("--out <dir>", "the dataset (data/parquet)")
  .requiredOption("--from <date>", "first date of the window")
  .requiredOption("--to <date>", "last date of the window")
  .option("--latest <date>", "scrape this date first (the nightly's newest date)")
  .option("--budget-minutes <n>", "stop cleanly after this many minutes", numberOption("budget", 0, Infinity, true), 150)
  .requiredOption("--base-url <url>", "HKEX (or replica) base URL")
  .option("--universe <u>", "equities or all (ignored with --stocks)", "equities")
  .option("--stocks <codes>", "only these stock codes (comma-separated)")
  .option("--rate <rps>", "requests per second")
  .option("--concurrency <n>", "connections")
  .option("--cache <dir>", "raw page cache folder")
  .action(async (o: { out: string; from: string; to: string; latest?: string; budgetMinutes: number; baseUrl: string; universe: string; stocks?: string; rate?: string; concurrency?: string; cache?: string }) => {
    const deadline = Date.now() + o.budgetMinutes * 60_000;
    const missing = await missingDates(o.out, o.from, o.to);
    const ranges = nightlyRanges(missing, o.latest ?? "");
    console.log(`${missing.length} settlement day(s) missing in ${o.from} → ${o.to}: ${ranges.map((r) => (r.from === r.to ? r.from : `${r.from}..${r.to}`)).join(", ") || "none"}`);
    const args = scrapeRunArgs(o);
    const r = await scrapeWithinBudget({ ranges, deadline, args });
    if (r.outcome === "budget") console.log(`::warning::time budget of ${o.budgetMinutes} min spent after ${r.finished.length} of ${ranges.length} range(s); the rest is scraped next time`);
    if (r.outcome === "incomplete") console.log("::warning::some dates still have pages pending (HKEX unavailable?); they are not written and are retried next time");
    if (r.outcome === "failed") console.log(`::error::scrape.ts run exited ${r.exitCode}`);
    process.exitCode = r.exitCode;
  });

program
  .command("drift-verdict")
  .description("exit 1 with GitHub error annotations when pages were rejected: always on markup drift, otherwise above --max-rejects")
  .requiredOption("--out <dir>", "the scrape's output folder")
  .option("--max-rejects <n>", "rejected pages tolerated when none is markup drift", integerOption("max rejects", 0), 0)
  .action(async (o: { out: string; maxRejects: number }) => {
    const v = await driftVerdict(o.out);
    for (const r of v.drift) console.log(`::error title=HKEX markup drift::${r.date} ${r.page}: ${terminalText(r.reason)}`);
    const level = v.drift.length === 0 && v.otherRejects.length <= o.maxRejects ? "warning" : "error";
    for (const r of v.otherRejects) console.log(`::${level} title=Rejected page::${r.date} ${r.page}: ${terminalText(r.reason)}`);
    if (v.ok) console.log("no page rejected: the markup matches the definitions");
    if (level === "error") process.exitCode = 1;
  });

await runCli("ops", async () => {
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    // Bad input (dates, shard counts, a clash between shards): one clear line, as a GitHub annotation.
    if (err instanceof PlanError || err instanceof MergeError || err instanceof InvalidValueError || err instanceof CompactionError) {
      console.error(`::error::ops: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
});
