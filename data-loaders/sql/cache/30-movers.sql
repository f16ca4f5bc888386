-- What the transfer pairing reads: each stock's usual noise, then the movers.
-- Moves per stock-day: Σ |change| and positions changed (attention reads it too).
CREATE TEMP TABLE day_moves AS
SELECT sid, seq, sum(abs(change)) AS moved, count(*) AS positions_changed
FROM chg WHERE change IS NOT NULL AND change <> 0 GROUP BY sid, seq;
-- ;
-- Each stock's noise: the median over its days (a day without changes counts 0; corporate-action
-- days left out) of the mean absolute change of the positions that moved, percent of issued.
-- Transfers are a few days in a hundred, so the median is the everyday flows'
-- (data-loaders/lib/pairing.ts).
CREATE TABLE stock_noise AS
SELECT s.stock_code, median(coalesce(d.moved * 100.0 / d.positions_changed / s.issued_adj, 0)) AS noise_pct
FROM summ s LEFT JOIN day_moves d USING (sid, seq)
WHERE s.ca_kind IS NULL AND s.seq > 0
GROUP BY s.stock_code;
-- ;
-- Positions that moved by at least the floor (0.05 % of issued): the raw material of transfers.
-- Not sorted: its readers order what they read (sorting 1.7 million rows here cost 0.3 s).
-- A change below the floor of the stock's smallest issued count cannot pass the floor on any day,
-- so those are dropped against a 2,800-row table before the join with every stock-day
-- (1.5–1.7 s → 0.7–0.8 s, the same rows).
CREATE TABLE movers AS
WITH low AS (SELECT sid, min(issued_adj) AS issued_min FROM summ GROUP BY sid),
big AS (SELECT c.* FROM chg c JOIN low USING (sid) WHERE abs(c.change) * 10000 >= 5 * low.issued_min)
SELECT s.stock_code, s.date, c.seq, k.pkey, c.change, c.shares, s.issued_adj, s.ca_kind,
  c.change * 100.0 / s.issued_adj AS change_pct
FROM big c JOIN summ s ON s.sid = c.sid AND s.seq = c.seq JOIN pk k ON k.pid = c.pid
WHERE abs(c.change) * 10000 >= 5 * s.issued_adj;
