// Framework data loader for data/transfers.json: the work is in data-loaders/transfers.ts.
import "../../../data-loaders/transfers.ts";
