-- Per stock-day summary. `seq` numbers each stock's stored days 0, 1, 2… so "N days earlier"
-- means N stored days of that stock. Corporate actions are read from changes of issued shares.
-- A split or consolidation multiplies issued shares by an exact small fraction p/q AND moves every
-- holding by that same ratio; a placing can also change issued by a round fraction (10 % new shares
-- is 11/10), so candidates are confirmed on the holdings: the median ratio of today's to
-- yesterday's shares over the participants holding on both days must equal p/q (noise touches
-- only a few holders). Anything else that changes issued shares is a placing (up) or a
-- buy-back/cancellation (down).
CREATE TEMP TABLE summ0 AS
WITH s AS (
  SELECT date, stock_code, any_value(stock_name) AS stock_name, any_value(issued_shares) AS issued_shares,
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
  WINDOW w AS (PARTITION BY stock_code ORDER BY date)
), q AS (
  SELECT *,
    CASE WHEN issued_prev IS NOT NULL AND issued_prev <> issued_shares
      THEN list_filter(range(1, 21), q -> (issued_shares::HUGEINT * q) % issued_prev = 0)[1] END AS ratio_q
  FROM l
)
SELECT *, CASE WHEN ratio_q IS NOT NULL THEN (issued_shares::HUGEINT * ratio_q // issued_prev)::BIGINT END AS ratio_p
FROM q;
-- ;
-- @holdings-on-dates src_holdings_ca: days whose issued shares changed by a small ratio, and the days before
SELECT date FROM summ0 WHERE ratio_p BETWEEN 1 AND 50 AND ratio_p <> ratio_q
UNION SELECT date_prev FROM summ0 WHERE ratio_p BETWEEN 1 AND 50 AND ratio_p <> ratio_q;
-- ;
CREATE TEMP TABLE split_check AS
WITH cand AS (
  SELECT stock_code, date, date_prev, ratio_p::DOUBLE / ratio_q AS ratio FROM summ0
  WHERE ratio_p BETWEEN 1 AND 50 AND ratio_p <> ratio_q
), days AS (
  SELECT stock_code, date AS day, date, 1 AS is_now FROM cand
  UNION ALL SELECT stock_code, date_prev, date, 0 FROM cand
), x AS (
  -- one pass over the holdings of the candidate days and the days before them
  SELECT d.stock_code, d.date, d.is_now, h.participant_key, h.shares
  FROM src_holdings_ca h JOIN days d ON d.stock_code = h.stock_code AND d.day = h.date
  WHERE h.shares > 0
), pairs AS (
  SELECT stock_code, date, participant_key,
    max(shares) FILTER (WHERE is_now = 1) AS now, max(shares) FILTER (WHERE is_now = 0) AS prev
  FROM x GROUP BY ALL
)
SELECT p.stock_code, p.date, any_value(c.ratio) AS ratio, median(p.now::DOUBLE / p.prev) AS median_ratio, count(*) AS holders
FROM pairs p JOIN cand c USING (stock_code, date)
WHERE p.now IS NOT NULL AND p.prev IS NOT NULL
GROUP BY p.stock_code, p.date;
-- ;
CREATE TABLE summ AS
WITH c AS (
  SELECT s.*,
    CASE
      WHEN issued_prev IS NULL OR issued_prev = issued_shares THEN NULL
      WHEN k.median_ratio IS NOT NULL AND abs(k.median_ratio / k.ratio - 1) < 0.01
        THEN CASE WHEN ratio_p > ratio_q THEN 'split' ELSE 'consolidation' END
      WHEN issued_shares > issued_prev THEN 'placing'
      ELSE 'buyback'
    END AS ca_kind
  FROM summ0 s LEFT JOIN split_check k USING (stock_code, date)
)
SELECT date, stock_code, dense_rank() OVER (ORDER BY stock_code)::INTEGER AS sid, seq, stock_name, issued_shares, issued_prev,
  total_shares, total_count, listed_count, intermediaries_shares, consenting_shares, nonconsenting_shares, ca_kind,
  CASE WHEN ca_kind IS NOT NULL THEN issued_shares::DOUBLE / issued_prev END AS ca_ratio,
  -- every earlier day is expressed in the latest share basis: the product of the ratios of the
  -- splits and consolidations after it
  exp(coalesce(sum(CASE WHEN ca_kind IN ('split', 'consolidation') THEN ln(issued_shares::DOUBLE / issued_prev) END)
      OVER (PARTITION BY stock_code ORDER BY seq ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING), 0)) AS factor
FROM c
ORDER BY stock_code, seq;
-- ;
ALTER TABLE summ ADD COLUMN issued_adj BIGINT;
-- ;
UPDATE summ SET issued_adj = round(issued_shares * factor)::BIGINT;
-- ;
CREATE TABLE dates AS SELECT DISTINCT date FROM summ ORDER BY date;
-- ;
CREATE TABLE stock_last AS
SELECT stock_code, any_value(sid) AS sid, max(seq) AS last_seq, max(date) AS last_date, arg_max(stock_name, date) AS stock_name
FROM summ GROUP BY stock_code;
