// Framework data loader for data/participants.json (docs/DATASETS.md "participants.json"). Run alone:
//   CCASS_DATA=DIR npx tsx src/pages/data/participants.json.ts > participants.json
import { participants } from "../../../data-loaders/publish/page-data/participants.ts";
import { runLoader } from "../../../data-loaders/publish/run-loader.ts";

await runLoader(participants);
