// Framework data loader for data/meta.json: the work is in data-loaders/meta.ts.
import "../../../data-loaders/meta.ts";
