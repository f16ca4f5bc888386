// Framework data loader for data/attention.json (docs/DATASETS.md "attention.json"). Run alone:
//   CCASS_DATA=DIR npx tsx src/pages/data/attention.json.ts > attention.json
import { attention } from "../../../data-loaders/publish/page-data/attention.ts";
import { runLoader } from "../../../data-loaders/publish/run-loader.ts";

await runLoader(attention);
