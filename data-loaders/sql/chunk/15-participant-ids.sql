-- Integer participant ids local to the chunk: they keep the sort keys of the change-point window
-- narrow (position-key.ts packs a stock id and one of these into one number).
CREATE TEMP TABLE c_pk AS
SELECT pkey, (row_number() OVER (ORDER BY pkey))::INTEGER AS pid FROM (SELECT DISTINCT participant_key AS pkey FROM c_hold);
