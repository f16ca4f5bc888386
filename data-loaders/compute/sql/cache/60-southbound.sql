-- Makes:
--   southbound_holdings  per southbound stock-day: shares and % of issued (window `seq`, NULL without summary)
--   southbound_daily     per date: how many stocks southbound holds
-- Reads: src_southbound, stock_days_window.
--
-- A southbound stock with no summary that day is kept, with `seq` and `pct` NULL (docs/DATASETS.md
-- southbound.json): the mutual-market table is a source of its own, not a view of CCASS.
CREATE TABLE southbound_holdings AS
SELECT b.stock_code, s.seq, b.date, b.stock_name, b.shares,
  b.shares * 100.0 / s.issued_shares AS pct
FROM src_southbound b LEFT JOIN stock_days_window s ON s.stock_code = b.stock_code AND s.date = b.date
ORDER BY b.stock_code, b.date;
-- ;
-- Southbound stocks on dates with no summary for them still count in the daily overview.
CREATE TABLE southbound_daily AS
SELECT date, count(*) AS stocks FROM src_southbound GROUP BY date ORDER BY date;
