// Framework data loader for data/southbound.json: the work is in data-loaders/southbound.ts.
import "../../../data-loaders/southbound.ts";
