// Framework data loader for data/southbound.json (docs/DATASETS.md "southbound.json"). Run alone:
//   CCASS_DATA=DIR npx tsx src/pages/data/southbound.json.ts > southbound.json
import { southbound } from "../../../data-loaders/publish/page-data/southbound.ts";
import { runLoader } from "../../../data-loaders/publish/run-loader.ts";

await runLoader(southbound);
