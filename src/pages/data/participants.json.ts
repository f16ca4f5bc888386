// Framework data loader for data/participants.json: the work is in data-loaders/participants.ts.
import "../../../data-loaders/participants.ts";
