// Loader: prints attention.json (docs/DATASETS.md). Run alone: CCASS_DATA=DIR npx tsx data-loaders/attention.ts > attention.json
import { attention } from "./lib/datasets/attention.ts";
import { runLoader } from "./lib/run.ts";

await runLoader(attention);
