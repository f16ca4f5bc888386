// Loader: prints meta.json (docs/DATASETS.md). Run alone: CCASS_DATA=DIR npx tsx data-loaders/meta.ts > meta.json
import { meta } from "./lib/datasets/meta.ts";
import { runLoader } from "./lib/run.ts";

await runLoader(meta);
