#!/usr/bin/env -S npx tsx
// `npm run dataset-card [-- --check]`: write data/README.md and data/datapackage.json from the one
// schema definition (src/dataset/schema.ts, via src/dataset/card.ts); --check only says
// whether the committed copies are current (exit 1 if not).
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { dataPackageJson, datasetCardMarkdown } from "../src/dataset/card.ts";
import { writeFileAtomic } from "../src/lib/atomic.ts";
import { cliProgram, runCli } from "../src/lib/cli-options.ts";

export const CARD_FILES = (root: string) => ({
  [path.join(root, "data", "README.md")]: datasetCardMarkdown(),
  [path.join(root, "data", "datapackage.json")]: dataPackageJson(),
});

const program = cliProgram("dataset-card")
  .description("Generate data/README.md and data/datapackage.json from src/dataset/schema.ts")
  .option("--check", "write nothing; exit 1 when a file is missing or out of date")
  .action((o: { check?: boolean }) =>
    runCli("dataset-card", async () => {
      const root = path.resolve(import.meta.dirname, "..");
      let stale = 0;
      for (const [file, text] of Object.entries(CARD_FILES(root))) {
        const current = existsSync(file) ? readFileSync(file, "utf8") : null;
        if (current === text) continue;
        if (o.check) {
          console.error(`dataset-card: ${path.relative(root, file)} is out of date; run npm run dataset-card`);
          stale++;
        } else {
          await writeFileAtomic(file, text);
          console.log(`wrote ${path.relative(root, file)}`);
        }
      }
      if (stale > 0) process.exit(1);
    }),
  );

await program.parseAsync(process.argv);
