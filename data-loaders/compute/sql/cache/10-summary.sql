-- Makes:
--   stock_days_history  every stored stock-day with its corporate action and share basis (whole history)
--   stock_days_window   each stock's last 250 stored days (`seq` 0… within the window), in its latest basis
--   dates               every stored date
--   stock_last          per stock: its id, security, last window seq, last date and name
--   securities          per series (code, security): first and last date, name, days (recycled codes, code changes)
-- Reads: stock_days_summary, chunk_day_figures (the month chunks' day figures).
--
-- The stock-days the site shows: the whole history (`stock_days_history`, for the per-year files, the
-- corporate actions and the counts) and each stock's recent window (`stock_days_window`: its last 250 stored
-- days, numbered `seq` 0… within the window), which every other table of this cache covers. The
-- window bounds the nightly's work and the stock and participant files, whatever the history kept.
--
-- `basis`: the product of the split and consolidation ratios from the stock's first stored day up
-- to this one, computed on exact integers so that it does not depend on how many days follow
-- (shares of d0 in d1's basis = shares × basis(d1) / basis(d0)).
CREATE TABLE stock_days_history AS
WITH ev AS (
  SELECT stock_code, security_id, date, ratio_p::HUGEINT AS p, ratio_q::HUGEINT AS q FROM chunk_day_figures WHERE ca_kind IN ('split', 'consolidation')
), b AS (
  -- only the days on or after a series' first split: every other day's basis is 1 (a recycled
  -- code's new security starts from 1, whatever the old one did)
  SELECT s.stock_code, s.date,
    list_reduce(list(e.p ORDER BY e.date), (x, y) -> x * y) AS bp, list_reduce(list(e.q ORDER BY e.date), (x, y) -> x * y) AS bq
  FROM stock_days_summary s JOIN ev e ON e.stock_code = s.stock_code AND e.security_id = s.security_id AND e.date <= s.date
  GROUP BY s.stock_code, s.date
)
SELECT s.date, s.stock_code, s.security_id, s.seq, s.stock_name, s.issued_shares, s.issued_prev, s.total_shares, s.total_count, s.listed_count,
  s.intermediaries_shares, s.consenting_shares, s.nonconsenting_shares, d.ca_kind, d.ca_ratio, s.first_day,
  coalesce(b.bp, 1) AS bp, coalesce(b.bq, 1) AS bq, coalesce(b.bp::DOUBLE / b.bq::DOUBLE, 1) AS basis
FROM stock_days_summary s LEFT JOIN b USING (stock_code, date) LEFT JOIN chunk_day_figures d USING (stock_code, date)
ORDER BY s.stock_code, s.date;
-- ;
-- A code's window holds its current security only (the series of the code's last stored day): a
-- recycled code's earlier security is in the history files, never in the window's trends,
-- concentration, attention or transfers.
CREATE TABLE stock_days_window AS
WITH cur AS (SELECT stock_code, arg_max(security_id, date) AS security_id FROM stock_days_history GROUP BY stock_code),
l AS (
  SELECT stock_code, max(seq) AS last_gseq, arg_max(bp, seq) AS bp_last, arg_max(bq, seq) AS bq_last
  FROM stock_days_history JOIN cur USING (stock_code, security_id) GROUP BY stock_code
)
SELECT a.date, a.stock_code, a.security_id, dense_rank() OVER (ORDER BY a.stock_code)::INTEGER AS sid,
  (a.seq - greatest(l.last_gseq - 249, 0))::INTEGER AS seq, a.seq AS gseq, a.stock_name, a.issued_shares, a.issued_prev,
  a.total_shares, a.total_count, a.listed_count, a.intermediaries_shares, a.consenting_shares, a.nonconsenting_shares, a.ca_kind,
  a.ca_ratio, a.first_day,
  -- every day of the window in the stock's latest share basis
  (l.bp_last * a.bq)::DOUBLE / (l.bq_last * a.bp)::DOUBLE AS factor,
  round(a.issued_shares * ((l.bp_last * a.bq)::DOUBLE / (l.bq_last * a.bp)::DOUBLE))::BIGINT AS issued_adj
FROM stock_days_history a JOIN cur USING (stock_code, security_id) JOIN l USING (stock_code) WHERE a.seq > l.last_gseq - 250
ORDER BY a.stock_code, seq;
-- ;
CREATE TABLE dates AS SELECT DISTINCT date FROM stock_days_history ORDER BY date;
-- ;
CREATE TABLE stock_last AS
SELECT stock_code, any_value(security_id) AS security_id, any_value(sid) AS sid, max(seq) AS last_seq, max(date) AS last_date, arg_max(stock_name, date) AS stock_name
FROM stock_days_window GROUP BY stock_code;
-- ;
-- Every series of the whole history: the stock pages say which security a code shows and link the
-- others that used the code, and the other codes of the same security (a code change).
CREATE TABLE securities AS
SELECT stock_code, security_id, min(date) AS first_date, max(date) AS last_date, arg_max(stock_name, date) AS stock_name, count(*) AS days
FROM stock_days_history GROUP BY stock_code, security_id
ORDER BY stock_code, first_date;
