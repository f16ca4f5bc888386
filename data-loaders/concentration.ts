// Loader: prints concentration.json (docs/DATASETS.md). Run alone: CCASS_DATA=DIR npx tsx data-loaders/concentration.ts > concentration.json
import { concentration } from "./lib/datasets/concentration.ts";
import { runLoader } from "./lib/run.ts";

await runLoader(concentration);
