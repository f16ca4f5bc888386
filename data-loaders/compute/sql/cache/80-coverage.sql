-- Makes:
--   coverage  per date: stocks with a summary, listed stocks, holdings rows, southbound stocks
-- Reads: stock_days_window, src_stocks, src_southbound.
--
CREATE TABLE coverage AS
WITH s AS (SELECT date, count(*) AS stocks, sum(listed_count) AS holdings_rows FROM stock_days_window GROUP BY date),
  l AS (SELECT date, count(*) AS listed FROM src_stocks GROUP BY date),
  b AS (SELECT date, count(*) AS southbound FROM src_southbound GROUP BY date),
  d AS (SELECT date FROM s UNION SELECT date FROM l UNION SELECT date FROM b)
SELECT d.date, coalesce(s.stocks, 0) AS stocks, coalesce(l.listed, 0) AS listed,
  coalesce(s.holdings_rows, 0) AS holdings_rows, coalesce(b.southbound, 0) AS southbound
FROM d LEFT JOIN s USING (date) LEFT JOIN l USING (date) LEFT JOIN b USING (date)
ORDER BY d.date;
