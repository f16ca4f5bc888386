-- Makes:
--   window_change_points   (temp, dropped) the chunks' change points on the window's stock-days
--   window_start_holdings  (temp) each stock's holdings on its first day in the window
--   participant_ids        participant key → integer id (pid) for the sorts
--   window_changes         (temp) every change point of the window in the latest basis, plus a 0 point
--                          for each position held on the window's first day
--   window_top_holdings    (temp) per window stock-day: the 10 largest holdings and clearing-agency shares
-- Reads: stock_days_window, window_chunk_change_points, window_chunk_top_holdings, src_holdings_window_start.
--
-- The window's change points, integer ids and concentration, from the month chunks (the passes over
-- every holding happen there, data-loaders/compute/sql/chunk/).
-- `window_change_points`: the chunks' change points on the window's stock-days, numbered by the window's `seq`.
CREATE TEMP TABLE window_change_points AS
SELECT s.sid, s.seq, c.participant_key AS pkey, c.shares, c.change, s.factor
FROM window_chunk_change_points c JOIN stock_days_window s ON s.stock_code = c.stock_code AND s.date = c.date;
-- ;
-- `window_start_holdings`: each stock's holdings on its first day in the window (the trend series' starting points),
-- from `src_holdings_window_start` (cache-steps.ts: the holdings of those days only).
CREATE TEMP TABLE window_start_holdings AS
SELECT s.sid, 0 AS seq, x.participant_key AS pkey, x.shares, s.factor
FROM src_holdings_window_start x JOIN stock_days_window s ON s.stock_code = x.stock_code AND s.date = x.date AND s.seq = 0
WHERE x.shares > 0 AND NOT s.first_day;
-- ;
-- Integer participant ids: the sorts below run on integer keys instead of strings.
CREATE TABLE participant_ids AS
SELECT pkey, (row_number() OVER (ORDER BY pkey))::INTEGER AS pid FROM (SELECT pkey FROM window_change_points UNION SELECT pkey FROM window_start_holdings);
-- ;
-- `window_changes`, the shared intermediate for movers, attention, series and activity: every change point of
-- the window in the stock's latest share basis, plus a point on the window's first day for every
-- position held then that did not change that day (change 0), so each series starts with its
-- holding. `change` is NULL on a stock's first stored day only.
CREATE TEMP TABLE window_changes AS
WITH p AS (
  SELECT w.sid, k.pid, w.seq, round(w.shares * w.factor)::BIGINT AS shares, round(w.change * w.factor)::BIGINT AS change
  FROM window_change_points w JOIN participant_ids k USING (pkey)
  -- a holding that only scaled with a split (raw shares changed, change 0 in the day's basis) is
  -- no change in the latest basis either
  WHERE w.change IS DISTINCT FROM 0
), s AS (
  SELECT w.sid, k.pid, w.seq, round(w.shares * w.factor)::BIGINT AS shares, 0::BIGINT AS change
  FROM window_start_holdings w JOIN participant_ids k USING (pkey)
)
SELECT * FROM p UNION ALL (SELECT * FROM s ANTI JOIN p USING (sid, pid, seq));
-- ;
DROP TABLE window_change_points;
-- ;
-- Concentration and clearing-agency (A…) holdings per stock-day (same-day ratios: no adjustment).
-- `top_keys` breaks ties on the participant key, so every build picks the same holders.
CREATE TEMP TABLE window_top_holdings AS
SELECT s.stock_code, s.seq, c.top, c.top_keys, c.listed, c.clearing_shares
FROM window_chunk_top_holdings c JOIN stock_days_window s USING (stock_code, date);
