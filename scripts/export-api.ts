// Writes the static API and the downloads (docs/DATASETS.md "Static API"):
//   npx tsx scripts/export-api.ts [--out DIR] [--data DIR] [--allow-empty]
// A missing, unreadable or empty dataset is an error (exit 1, --out untouched) unless --allow-empty.
import path from "node:path";
import { openAnalytics } from "../data-loaders/compute/cache.ts";
import { dataDir, REPO_ROOT } from "../data-loaders/compute/env.ts";
import { exportApi } from "../data-loaders/publish/export.ts";
import { siteFullYears, siteMonthEndYears } from "../data-loaders/publish/month-end.ts";
import { assertDataset } from "../src/dataset/presence.ts";
import { timed } from "../data-loaders/compute/timings.ts";
import { cliProgram, runCli } from "../src/lib/cli-options.ts";

const program = cliProgram("export-api")
  .description("Write the static JSON API and the Parquet/CSV downloads from the dataset")
  .option("--out <dir>", "folder of the API tree (replaced atomically)", path.join(REPO_ROOT, "src", "pages", "api", "v1"))
  .option("--data <dir>", "Parquet dataset (default: $CCASS_DATA or data/parquet)")
  .option("--allow-empty", "accept a dataset folder without any data file (writes the no-data API)")
  .option("--quiet", "print only the final summary")
  .parse();

const opts = program.opts<{ out: string; data?: string; allowEmpty?: boolean; quiet?: boolean }>();
const log = (s: string) => {
  if (!opts.quiet) console.error(s);
};
await runCli("export-api", async () => {
  const data = opts.data ? path.resolve(opts.data) : dataDir();
  // CCASS_SITE_FULL_YEARS and CCASS_SITE_MONTH_END_YEARS checked before any work: a bad value is one line
  siteFullYears();
  siteMonthEndYears();
  assertDataset(data, { allowEmpty: opts.allowEmpty });
  const a = await timed("export.open", () => openAnalytics(data, { log: (s) => log(`cache ${s}`) }));
  try {
    const stats = await exportApi(a, opts.out, log);
    console.log(
      `export-api: ${stats.files} files, ${(stats.bytes / 1e6).toFixed(1)} MB in ${stats.out} ` +
        `(${stats.stockFiles} stocks, ${stats.participantFiles} participants; largest stock ${stats.largestStock?.code ?? "-"} ` +
        `${((stats.largestStock?.bytes ?? 0) / 1024).toFixed(0)} KB gzip, ${((stats.largestStock?.jsonBytes ?? 0) / 1024).toFixed(0)} KB JSON; history ${(stats.history.bytes / 1e6).toFixed(1)} MB, ` +
        `largest part ${stats.history.largest ? `${stats.history.largest.code}/${stats.history.largest.year}` : "-"} ${((stats.history.largest?.bytes ?? 0) / 1024).toFixed(0)} KB; cache ${a.buildSeconds.toFixed(1)} s, export ${stats.seconds.toFixed(1)} s)`,
    );
  } finally {
    a.db.close();
  }
});
