// Loader: prints stocks.json (docs/DATASETS.md). Run alone: CCASS_DATA=DIR npx tsx data-loaders/stocks.ts > stocks.json
import { stocks } from "./lib/datasets/stocks.ts";
import { runLoader } from "./lib/run.ts";

await runLoader(stocks);
