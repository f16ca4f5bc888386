// Framework data loader for data/health.json: the work is in data-loaders/health.ts.
import "../../../data-loaders/health.ts";
