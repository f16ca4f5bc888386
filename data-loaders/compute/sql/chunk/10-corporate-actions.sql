-- Makes (temp, one month chunk):
--   c_split_checks  per split candidate: the median ratio of holdings today to the day before
--   c_stock_days    the month's stock-days (and carry-in days) with corporate action, `sid` (one per
--                   series: a security under a code, cache SQL 05), `scale`
-- Reads: c_month_days, c_holdings (made by chunks.ts).
--
-- One month chunk (data-loaders/compute/chunks.ts): what the month's holdings say, computed once and kept
-- while the month's files do not change. Inputs (temp, made by chunks.ts): `c_month_days`, the stock-days
-- of the month plus each stock's last stored day before it (the carry-in, `in_month` false), numbered
-- `lseq` per series (stock_code, security_id) from 0, with the summary's issued shares and split candidates (`stock_days_summary`, cache SQL
-- 05); `c_holdings`, the holdings of those stock-days; `c_prior_day_figures`, the day figures of the 11 chunks before.
--
-- Corporate actions, as the whole-history build did: a candidate (issued shares changed by a small
-- exact fraction p/q) is a split or consolidation when the median ratio of today's to the previous
-- day's holdings, over the participants holding on both, equals p/q within 1 %.
CREATE TEMP TABLE c_split_checks AS
WITH cand AS (
  SELECT stock_code, date, date_prev, ratio_p::DOUBLE / ratio_q AS ratio FROM c_month_days
  WHERE in_month AND ratio_p BETWEEN 1 AND 50 AND ratio_p <> ratio_q
), days AS (
  SELECT stock_code, date AS day, date, 1 AS is_now FROM cand
  UNION ALL SELECT stock_code, date_prev, date, 0 FROM cand
), x AS (
  SELECT d.stock_code, d.date, d.is_now, h.participant_key, h.shares
  FROM c_holdings h JOIN days d ON d.stock_code = h.stock_code AND d.day = h.date
  WHERE h.shares > 0
), both_days AS (
  SELECT stock_code, date, participant_key,
    max(shares) FILTER (WHERE is_now = 1) AS now, max(shares) FILTER (WHERE is_now = 0) AS prev
  FROM x GROUP BY ALL
)
SELECT p.stock_code, p.date, any_value(c.ratio) AS ratio, median(p.now::DOUBLE / p.prev) AS median_ratio
FROM both_days p JOIN cand c USING (stock_code, date)
WHERE p.now IS NOT NULL AND p.prev IS NOT NULL
GROUP BY p.stock_code, p.date;
-- ;
-- Every stock-day of the chunk with its corporate action and `scale`: the factor that puts the
-- previous stored day's shares in this day's basis (the split ratio on a split or consolidation day,
-- else 1), so changes are measured in one basis without knowing later splits.
CREATE TEMP TABLE c_stock_days AS
WITH c AS (
  SELECT d.*,
    CASE
      WHEN NOT d.in_month OR d.issued_prev IS NULL OR d.issued_prev = d.issued_shares THEN NULL
      WHEN k.median_ratio IS NOT NULL AND abs(k.median_ratio / k.ratio - 1) < 0.01
        THEN CASE WHEN d.ratio_p > d.ratio_q THEN 'split' ELSE 'consolidation' END
      WHEN d.issued_shares > d.issued_prev THEN 'placing'
      ELSE 'buyback'
    END AS ca_kind
  FROM c_month_days d LEFT JOIN c_split_checks k USING (stock_code, date)
)
SELECT *, dense_rank() OVER (ORDER BY stock_code, security_id)::INTEGER AS sid,
  CASE WHEN ca_kind IS NOT NULL THEN issued_shares::DOUBLE / issued_prev END AS ca_ratio,
  CASE WHEN ca_kind IN ('split', 'consolidation') THEN ratio_p::DOUBLE / ratio_q ELSE 1 END AS scale,
  max(lseq) OVER (PARTITION BY stock_code, security_id) AS last_lseq
FROM c;
