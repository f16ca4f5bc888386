-- The window's change points, integer ids and concentration, from the month chunks (the passes over
-- every holding happen there, data-loaders/sql/chunk/).
-- `wpts`: the chunks' change points on the window's stock-days, numbered by the window's `seq`.
CREATE TEMP TABLE wpts AS
SELECT s.sid, s.seq, c.participant_key AS pkey, c.shares, c.change, s.factor
FROM wchunk_points c JOIN summ s ON s.stock_code = c.stock_code AND s.date = c.date;
-- ;
-- `w0`: each stock's holdings on its first day in the window (the trend series' starting points),
-- from `src_holdings_w0` (cache-steps.ts: the holdings of those days only).
CREATE TEMP TABLE w0 AS
SELECT s.sid, 0 AS seq, x.participant_key AS pkey, x.shares, s.factor
FROM src_holdings_w0 x JOIN summ s ON s.stock_code = x.stock_code AND s.date = x.date AND s.seq = 0
WHERE x.shares > 0 AND NOT s.first_day;
-- ;
-- Integer participant ids: the sorts below run on integer keys instead of strings.
CREATE TABLE pk AS
SELECT pkey, (row_number() OVER (ORDER BY pkey))::INTEGER AS pid FROM (SELECT pkey FROM wpts UNION SELECT pkey FROM w0);
-- ;
-- `chg`, the shared intermediate for movers, attention, series and activity: every change point of
-- the window in the stock's latest share basis, plus a point on the window's first day for every
-- position held then that did not change that day (change 0), so each series starts with its
-- holding. `change` is NULL on a stock's first stored day only.
CREATE TEMP TABLE chg AS
WITH p AS (
  SELECT w.sid, k.pid, w.seq, round(w.shares * w.factor)::BIGINT AS shares, round(w.change * w.factor)::BIGINT AS change
  FROM wpts w JOIN pk k USING (pkey)
  -- a holding that only scaled with a split (raw shares changed, change 0 in the day's basis) is
  -- no change in the latest basis either
  WHERE w.change IS DISTINCT FROM 0
), s AS (
  SELECT w.sid, k.pid, w.seq, round(w.shares * w.factor)::BIGINT AS shares, 0::BIGINT AS change
  FROM w0 w JOIN pk k USING (pkey)
)
SELECT * FROM p UNION ALL (SELECT * FROM s ANTI JOIN p USING (sid, pid, seq));
-- ;
DROP TABLE wpts;
-- ;
-- Concentration and clearing-agency (A…) holdings per stock-day (same-day ratios: no adjustment).
-- `top_keys` breaks ties on the participant key, so every build picks the same holders.
CREATE TEMP TABLE conc_raw AS
SELECT s.stock_code, s.seq, c.top, c.top_keys, c.listed, c.clearing_shares
FROM wchunk_conc c JOIN summ s USING (stock_code, date);
