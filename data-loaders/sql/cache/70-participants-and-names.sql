-- Names and first/last sightings: the dimension file when present, else the daily participants.
CREATE TABLE pnames AS
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
CREATE TABLE pstats AS
WITH act AS (
  -- each participant's last move over the whole history (kept per month chunk)
  SELECT participant_key AS pkey, max(last_move) AS latest_activity FROM chunk_pmoves GROUP BY 1
), pos AS (
  SELECT pkey, count(*) AS positions FROM latest WHERE date = (SELECT max(date) FROM dates) GROUP BY pkey
)
SELECT k.pkey, coalesce(p.positions, 0) AS positions, a.latest_activity
FROM (SELECT pkey FROM pk UNION SELECT pkey FROM act) k LEFT JOIN act a USING (pkey) LEFT JOIN pos p USING (pkey);
-- ;
CREATE TABLE stock_names AS
SELECT l.stock_code, coalesce(l.stock_name, t.stock_name) AS stock_name
FROM stock_last l LEFT JOIN (SELECT stock_code, arg_max(stock_name, date) AS stock_name FROM src_stocks GROUP BY 1) t USING (stock_code);
