-- Makes:
--   participant_names  per participant: id, name, address, first and last sighting
--   participant_stats  per participant: positions on the last date, last day with a move
--   stock_names        per stock: its latest name
-- Reads: src_participants, src_dim, chunk_participant_moves, latest_holdings, dates, participant_ids,
--   stock_last, src_stocks.
--
-- Names and first/last sightings: the dimension file when present, else the daily participants.
CREATE TABLE participant_names AS
WITH daily AS (
  SELECT participant_key AS pkey, arg_max(participant_id, date) AS participant_id, arg_max(name, date) AS name,
    arg_max(address, date) AS address, min(date) AS first_seen, max(date) AS last_seen
  FROM src_participants GROUP BY participant_key
), dim AS (
  SELECT participant_key AS pkey, participant_id, name, address, first_seen, last_seen FROM src_dim
)
SELECT coalesce(d.pkey, y.pkey) AS pkey, coalesce(d.participant_id, y.participant_id) AS participant_id,
  coalesce(d.name, y.name) AS name, coalesce(d.address, y.address) AS address,
  least(d.first_seen, y.first_seen) AS first_seen, greatest(d.last_seen, y.last_seen) AS last_seen
FROM dim d FULL OUTER JOIN daily y ON d.pkey = y.pkey;
-- ;
CREATE TABLE participant_stats AS
WITH act AS (
  -- each participant's last move over the whole history (kept per month chunk)
  SELECT participant_key AS pkey, max(last_move) AS latest_activity FROM chunk_participant_moves GROUP BY 1
), pos AS (
  SELECT pkey, count(*) AS positions FROM latest_holdings WHERE date = (SELECT max(date) FROM dates) GROUP BY pkey
)
SELECT k.pkey, coalesce(p.positions, 0) AS positions, a.latest_activity
FROM (SELECT pkey FROM participant_ids UNION SELECT pkey FROM act) k LEFT JOIN act a USING (pkey) LEFT JOIN pos p USING (pkey);
-- ;
CREATE TABLE stock_names AS
SELECT l.stock_code, coalesce(l.stock_name, t.stock_name) AS stock_name
FROM stock_last l LEFT JOIN (SELECT stock_code, arg_max(stock_name, date) AS stock_name FROM src_stocks GROUP BY 1) t USING (stock_code);
