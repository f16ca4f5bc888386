#!/usr/bin/env -S npx tsx
// Publish closed years of the dataset once, as GitHub release assets, and record them in the manifest
// (docs/OPERATIONS.md "Closed years"); a half-published year (a draft release, missing or broken
// assets) is finished. Needs GITHUB_TOKEN with contents: write.
//   npm run publish-year -- --repo owner/name [--year YYYY] [--data DIR] [--manifest FILE]
import { existsSync } from "node:fs";
import { cliProgram, integerOption, runCli } from "../src/lib/cli-options.ts";
import { publishableYears, publishYear, PublishYearError } from "../src/ops/publish-year.ts";
import { readManifest, type Manifest } from "../src/ops/year-manifest.ts";

const program = cliProgram("publish-year")
  .description("Upload each closed year not yet in the manifest to its release (data-YYYY), then record it")
  .requiredOption("--repo <owner/name>", "repository whose releases hold the years", process.env.GITHUB_REPOSITORY)
  .option("--year <year>", "one year (default: every closed year whose months are all closed and that is not yet in the manifest)", integerOption("year", 1900, 9999))
  .option("--data <dir>", "dataset folder", process.env.CCASS_DATA ?? "data/parquet")
  .option("--manifest <file>", "the manifest of closed years", "data/releases.json")
  .option("--api <url>", "GitHub REST API root", process.env.GITHUB_API_URL ?? "https://api.github.com")
  .action(async (o: { repo: string; year?: number; data: string; manifest: string; api: string }) => {
    const token = process.env.GITHUB_TOKEN;
    if (!token) throw new PublishYearError("GITHUB_TOKEN is not set (the workflow step needs permissions: contents: write)");
    if (!existsSync(o.data)) throw new PublishYearError(`no dataset folder ${o.data}`);
    let manifest: Manifest = existsSync(o.manifest) ? await readManifest(o.manifest) : { version: 1, years: {} };
    const years = o.year !== undefined ? [o.year] : (await publishableYears(o.data)).filter((y) => !manifest.years[String(y)]);
    for (const year of years) {
      const r = await publishYear({ data: o.data, year, repo: o.repo, token, api: o.api.replace(/\/$/, ""), manifest, manifestPath: o.manifest, log: (l) => process.stderr.write(`${year}: ${l}\n`) });
      manifest = r.manifest;
      console.log(JSON.stringify({ year, state: r.state, uploaded: r.uploaded.length }));
    }
    if (!years.length) console.log(JSON.stringify({ years: [], state: "nothing to publish" }));
  });

await runCli("publish-year", () => program.parseAsync(process.argv));
