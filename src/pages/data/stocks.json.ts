// Framework data loader for data/stocks.json (docs/DATASETS.md "stocks.json"). Run alone:
//   CCASS_DATA=DIR npx tsx src/pages/data/stocks.json.ts > stocks.json
import { stocks } from "../../../data-loaders/publish/page-data/stocks.ts";
import { runLoader } from "../../../data-loaders/publish/run-loader.ts";

await runLoader(stocks);
