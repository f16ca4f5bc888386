// Framework data loader for data/attention.json: the work is in data-loaders/attention.ts.
import "../../../data-loaders/attention.ts";
