// Loader: prints southbound.json (docs/DATASETS.md). Run alone: CCASS_DATA=DIR npx tsx data-loaders/southbound.ts > southbound.json
import { southbound } from "./lib/datasets/southbound.ts";
import { runLoader } from "./lib/run.ts";

await runLoader(southbound);
