// Framework data loader for data/concentration.json: the work is in data-loaders/concentration.ts.
import "../../../data-loaders/concentration.ts";
