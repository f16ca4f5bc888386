// Framework data loader for data/transfers.json (docs/DATASETS.md "transfers.json"). Run alone:
//   CCASS_DATA=DIR npx tsx src/pages/data/transfers.json.ts > transfers.json
import { transfers } from "../../../data-loaders/publish/page-data/transfers.ts";
import { runLoader } from "../../../data-loaders/publish/run-loader.ts";

await runLoader(transfers);
