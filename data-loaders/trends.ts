// Loader: prints trends.json (docs/DATASETS.md). Run alone: CCASS_DATA=DIR npx tsx data-loaders/trends.ts > trends.json
import { trends } from "./lib/datasets/trends.ts";
import { runLoader } from "./lib/run.ts";

await runLoader((a) => trends(a));
