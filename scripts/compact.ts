#!/usr/bin/env -S npx tsx
// `npx tsx scripts/compact.ts --out DIR [--before YYYY-MM] [--table NAME…] [--json]`
// Folds the daily files of complete past months into one file per month (src/ingest/compact.ts).
// `--migrate` instead converts a dataset of the old date=/part-0.parquet layout (idempotent).
import { compact } from "../src/ingest/compact.ts";
import { isMonth } from "../src/dataset/layout.ts";
import { migrateLayout } from "../src/ingest/migrate-layout.ts";
import { cliProgram, runCli } from "../src/lib/cli-options.ts";

const program = cliProgram("compact")
  .description("Compact the daily files of complete past months into <table>/month=YYYY-MM/YYYY-MM.parquet")
  .requiredOption("--out <dir>", "dataset folder (e.g. data/parquet)")
  .option("--before <YYYY-MM>", "compact months strictly before this one (default: the current month in Hong Kong)")
  .option("--table <name...>", "only these tables (default: every partitioned table in the folder)")
  .option("--migrate", "convert the old date=YYYY-MM-DD/part-0.parquet layout to month=YYYY-MM/ folders and give summary/stocks their security_id column, then stop (safe to repeat)")
  .option("--json", "print the report as JSON on stdout");

program.parse(process.argv);
const opts = program.opts<{ out: string; before?: string; table?: string[]; json?: boolean; migrate?: boolean }>();
if (opts.before !== undefined && !isMonth(opts.before)) program.error(`--before must be YYYY-MM, got ${JSON.stringify(opts.before)}`);

await runCli("compact", async () => {
  if (opts.migrate) {
    const report = await migrateLayout(opts.out);
    console.log(opts.json ? JSON.stringify(report, null, 2) : `migrated ${report.out}: ${report.movedDates} daily files moved, ${report.renamedMonths} month files renamed, ${report.foldedDates} late dates folded, ${report.securityIdFiles} summary/stocks files given security_id`);
    return;
  }
  const report = await compact(opts.out, {
    before: opts.before,
    tables: opts.table,
    log: opts.json ? undefined : (line) => console.log(line),
  });
  if (opts.json) console.log(JSON.stringify(report, null, 2));
  else if (report.months.length === 0) console.log(`nothing to compact before ${report.before} in ${report.out}`);
  else {
    const before = report.months.reduce((s, m) => s + m.bytesBefore, 0);
    const after = report.months.reduce((s, m) => s + m.bytesAfter, 0);
    console.log(`compacted ${report.months.length} table-months before ${report.before}: ${before} → ${after} bytes`);
  }
});
