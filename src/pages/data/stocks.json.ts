// Framework data loader for data/stocks.json: the work is in data-loaders/stocks.ts.
import "../../../data-loaders/stocks.ts";
