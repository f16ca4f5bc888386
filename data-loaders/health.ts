// Loader: prints health.json (docs/DATASETS.md). Run alone: CCASS_DATA=DIR npx tsx data-loaders/health.ts > health.json
import { health } from "./lib/datasets/health.ts";
import { runLoader } from "./lib/run.ts";

await runLoader(health);
