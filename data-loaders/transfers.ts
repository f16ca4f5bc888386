// Loader: prints transfers.json (docs/DATASETS.md). Run alone: CCASS_DATA=DIR npx tsx data-loaders/transfers.ts > transfers.json
import { transfers } from "./lib/datasets/transfers.ts";
import { runLoader } from "./lib/run.ts";

await runLoader(transfers);
