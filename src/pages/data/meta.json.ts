// Framework data loader for data/meta.json (docs/DATASETS.md "meta.json"). Run alone:
//   CCASS_DATA=DIR npx tsx src/pages/data/meta.json.ts > meta.json
import { meta } from "../../../data-loaders/publish/page-data/meta.ts";
import { runLoader } from "../../../data-loaders/publish/run-loader.ts";

await runLoader(meta);
