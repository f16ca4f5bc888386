#!/usr/bin/env -S npx tsx
// Import Webb-site's CCASS archive (mysqldump files, plain or gzip) into the dataset (docs/ARCHIVE.md):
//   npm run import-archive -- --dump DIR --out DIR [--from YYYY-MM-DD] [--to YYYY-MM-DD]
import { importArchive, rebuildDim } from "../src/archive/import.ts";
import { cliProgram, isoDateOption, runCli } from "../src/lib/cli-options.ts";

const program = cliProgram("import-archive")
  .description("Import Webb-site's CCASS archive dumps into the Parquet dataset (resumable; scraped dates are compared, never overwritten)")
  .requiredOption("--dump <path>", "a dump file, or a folder of *.sql / *.sql.gz files")
  .requiredOption("--out <dir>", "dataset folder")
  .option("--from <date>", "first date to write (YYYY-MM-DD)", isoDateOption)
  .option("--to <date>", "last date to write (YYYY-MM-DD)", isoDateOption)
  .option("--quiet", "no per-month progress lines", false)
  .action(async (o: { dump: string; out: string; from?: string; to?: string; quiet: boolean }) => {
    const summary = await importArchive({
      dump: o.dump,
      out: o.out,
      ...(o.from ? { from: o.from } : {}),
      ...(o.to ? { to: o.to } : {}),
      log: o.quiet ? undefined : (line) => process.stderr.write(line + "\n"),
    });
    await rebuildDim(o.out);
    const { stage, ...rest } = summary;
    console.log(JSON.stringify({ out: o.out, ...rest, textBytes: stage.textBytes, latin1Strings: stage.latin1Strings, skippedTables: stage.skipped }));
  });

await runCli("import-archive", () => program.parseAsync(process.argv));
