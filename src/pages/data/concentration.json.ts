// Framework data loader for data/concentration.json (docs/DATASETS.md "concentration.json"). Run alone:
//   CCASS_DATA=DIR npx tsx src/pages/data/concentration.json.ts > concentration.json
import { concentration } from "../../../data-loaders/publish/page-data/concentration.ts";
import { runLoader } from "../../../data-loaders/publish/run-loader.ts";

await runLoader(concentration);
