// Framework data loader for data/health.json (docs/DATASETS.md "health.json"). Run alone:
//   CCASS_DATA=DIR npx tsx src/pages/data/health.json.ts > health.json
import { health } from "../../../data-loaders/publish/page-data/health.ts";
import { runLoader } from "../../../data-loaders/publish/run-loader.ts";

await runLoader(health);
