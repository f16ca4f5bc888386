#!/usr/bin/env -S npx tsx
// `npm run check-dataset -- DIR [--json]`: every table of the dataset read with each tool's default
// call (DuckDB, pandas, pyarrow, pyarrow.dataset, Polars read and scan) must give DuckDB's row count
// and checksum (src/dataset/check.ts). Exit 1 naming each table and tool that failed.
// `--downloads`: DIR is a static API's downloads/ folder; its yearly parts are checked instead.
import { checkDataset, checkDownloads, failures } from "../src/dataset/check.ts";
import { cliProgram, runCli } from "../src/lib/cli-options.ts";

const program = cliProgram("check-dataset")
  .description("Check that pandas, pyarrow, Polars and DuckDB read every table of a dataset with their default call, with identical rows")
  .argument("<dir>", "dataset folder (e.g. data/parquet), or with --downloads a static API's downloads/ folder")
  .option("--downloads", "check the yearly download parts (<name>/year=YYYY/) under DIR instead of dataset tables")
  .option("--json", "print the whole report as JSON")
  .action(async (dir: string, o: { json?: boolean; downloads?: boolean }) => {
    await runCli("check-dataset", async () => {
      const report = o.downloads ? await checkDownloads(dir) : await checkDataset(dir);
      if (o.json) console.log(JSON.stringify(report, null, 2));
      else
        for (const r of report.results.filter((x) => x.ok))
          console.log(`ok ${r.table.padEnd(12)} ${r.tool.padEnd(18)} ${r.rows} rows, checksum ${r.checksum?.slice(0, 16)}`);
      const failed = failures(report);
      if (failed.length > 0) {
        for (const line of failed) console.error(`check-dataset: ${line}`);
        process.exit(1);
      }
      if (!o.json) console.log(`check-dataset: every tool reads ${report.results.filter((r) => r.tool === "duckdb (reference)").length} ${o.downloads ? "yearly-part downloads" : "tables"} of ${report.root} identically`);
    });
  });

await program.parseAsync(process.argv);
