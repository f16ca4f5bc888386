// Loader: prints participants.json (docs/DATASETS.md). Run alone: CCASS_DATA=DIR npx tsx data-loaders/participants.ts > participants.json
import { participants } from "./lib/datasets/participants.ts";
import { runLoader } from "./lib/run.ts";

await runLoader(participants);
