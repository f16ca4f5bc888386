-- Makes (temp, one month chunk):
--   c_participant_ids  participant key → chunk-local integer id (pid)
-- Reads: c_holdings.
--
-- Integer participant ids local to the chunk: they keep the sort keys of the change-point window
-- narrow (position-key.ts packs a stock id and one of these into one number).
CREATE TEMP TABLE c_participant_ids AS
SELECT pkey, (row_number() OVER (ORDER BY pkey))::INTEGER AS pid FROM (SELECT DISTINCT participant_key AS pkey FROM c_holdings);
