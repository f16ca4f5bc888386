-- Makes:
--   stock_days_summary  every stored stock-day of the whole history, from the summary alone, with its
--                       split candidate (ratio_p/ratio_q); the month chunks read it
-- Reads: src_summary.
--
-- Every stored stock-day of the whole history, from the summary table alone (small: stocks × days).
-- A series is one security under one code, (stock_code, security_id) (docs/ARCHITECTURE.md "Securities
-- and codes"): a recycled code is two series, whose days are never compared with each other.
-- `seq` numbers each series' stored days 0, 1, 2…; `first_day` is a series' first day. Corporate-action candidates come from changes of
-- issued shares: a split or consolidation multiplies issued shares by an exact small fraction p/q
-- (the month chunks confirm it on the holdings, data-loaders/compute/sql/chunk/10); `ratio_p`/`ratio_q` is
-- that fraction when one with q ≤ 20 exists.
CREATE TEMP TABLE stock_days_summary AS
WITH s AS (
  SELECT date, stock_code, any_value(security_id) AS security_id, any_value(stock_name) AS stock_name, any_value(issued_shares) AS issued_shares,
         any_value(total_shares) AS total_shares, any_value(total_count) AS total_count,
         any_value(intermediaries_shares) AS intermediaries_shares, any_value(consenting_shares) AS consenting_shares,
         any_value(nonconsenting_shares) AS nonconsenting_shares,
         any_value(intermediaries_count) + any_value(consenting_count) AS listed_count
  FROM src_summary
  WHERE issued_shares > 0
  GROUP BY date, stock_code
), l AS (
  SELECT *,
    (row_number() OVER w - 1)::INTEGER AS seq,
    lag(issued_shares) OVER w AS issued_prev,
    lag(date) OVER w AS date_prev
  FROM s
  WINDOW w AS (PARTITION BY stock_code, security_id ORDER BY date)
), q AS (
  SELECT *,
    CASE WHEN issued_prev IS NOT NULL AND issued_prev <> issued_shares
      THEN list_filter(range(1, 21), q -> (issued_shares::HUGEINT * q) % issued_prev = 0)[1] END AS ratio_q
  FROM l
)
SELECT *, CASE WHEN ratio_q IS NOT NULL THEN (issued_shares::HUGEINT * ratio_q // issued_prev)::BIGINT END AS ratio_p,
  seq = 0 AS first_day
FROM q;
