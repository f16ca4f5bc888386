#!/usr/bin/env -S npx tsx
// Bring closed years of the dataset back from their release assets (docs/OPERATIONS.md "Closed years"):
//   npm run fetch-dataset -- [--from YYYY] [--to YYYY] [--out DIR] [--manifest FILE|URL]
// Every file's SHA-256 is checked before it is renamed into place; re-running resumes.
import { cliProgram, integerOption, runCli } from "../src/lib/cli-options.ts";
import { fetchDataset } from "../src/ops/fetch-dataset.ts";
import { readManifest } from "../src/ops/year-manifest.ts";

const program = cliProgram("fetch-dataset")
  .description("Download the closed years listed in the manifest into the dataset folder, checksums verified")
  .option("--from <year>", "only years from this one on", integerOption("from", 1900, 9999))
  .option("--to <year>", "only years up to this one", integerOption("to", 1900, 9999))
  .option("--out <dir>", "dataset folder", process.env.CCASS_DATA ?? "data/parquet")
  .option("--manifest <file-or-url>", "the manifest of closed years", "data/releases.json")
  .option("--attempts <n>", "tries per file", integerOption("attempts", 1, 20), 3)
  .option("--quiet", "no line per file", false)
  .action(async (o: { from?: number; to?: number; out: string; manifest: string; attempts: number; quiet: boolean }) => {
    const manifest = await readManifest(o.manifest);
    const r = await fetchDataset({ manifest, out: o.out, from: o.from, to: o.to, attempts: o.attempts, log: o.quiet ? undefined : (l) => process.stderr.write(`${l}\n`) });
    console.log(JSON.stringify({ out: o.out, years: r.years, downloaded: r.downloaded.length, kept: r.kept.length, bytes: r.bytes }));
  });

await runCli("fetch-dataset", () => program.parseAsync(process.argv));
