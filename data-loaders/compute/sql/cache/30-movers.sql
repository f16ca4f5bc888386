-- Makes:
--   window_day_moves  (temp) per window stock-day: Σ |change| and positions changed
--   movers            positions that moved by at least 0.05 % of issued in the window
--   window_pairs      the likely transfers of the window (`set_id` per stock-day)
-- Reads: window_changes, stock_days_window, participant_ids, window_chunk_pairs.
--
-- Moves per stock-day and the positions that moved by at least the floor.
-- Moves per stock-day: Σ |change| and positions changed (attention reads it).
CREATE TEMP TABLE window_day_moves AS
SELECT sid, seq, sum(abs(change)) AS moved, count(*) AS positions_changed
FROM window_changes WHERE change IS NOT NULL AND change <> 0 GROUP BY sid, seq;
-- ;
-- Positions that moved by at least the floor (0.05 % of issued) in the window: each participant's
-- largest moves (participant pages). Not sorted: its readers order what they read. A change below
-- the floor of the stock's smallest issued count cannot pass the floor on any day, so those are
-- dropped against a small table before the join with every stock-day.
CREATE TABLE movers AS
WITH low AS (SELECT sid, min(issued_adj) AS issued_min FROM stock_days_window GROUP BY sid),
big AS (SELECT c.* FROM window_changes c JOIN low USING (sid) WHERE abs(c.change) * 10000 >= 5 * low.issued_min)
SELECT s.stock_code, s.date, c.seq, k.pkey, c.change, c.shares, s.issued_adj, s.ca_kind,
  c.change * 100.0 / s.issued_adj AS change_pct
FROM big c JOIN stock_days_window s ON s.sid = c.sid AND s.seq = c.seq JOIN participant_ids k ON k.pid = c.pid
WHERE abs(c.change) * 10000 >= 5 * s.issued_adj;
-- ;
-- Likely transfers of the window (paired in the month chunks; shares in that day's basis).
-- `set_id` numbers the matched sets within each stock-day from 1 (the published `group`), so a
-- pair's group never depends on other days or stocks.
CREATE TABLE window_pairs AS
SELECT p.stock_code, p.date, s.seq, dense_rank() OVER (PARTITION BY p.stock_code, p.date ORDER BY p.set_id)::INTEGER AS set_id,
  p.seller, p.buyer, p.shares, p.pct_of_issued, p.match, p.confidence
FROM window_chunk_pairs p JOIN stock_days_window s USING (stock_code, date)
ORDER BY p.stock_code, s.seq, p.set_id, p.buyer;
