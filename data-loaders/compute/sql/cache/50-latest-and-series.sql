-- Makes:
--   latest_holdings  each stock's holders on its last day, with 1/5/20-day changes and rank
--   series_holders   per stock, at most 20 holders whose trend series are published (`ord`)
--   series_points    those holders' change points in the window, with date and issued count
-- Reads: stock_days_window, stock_last, src_holdings_latest_days, window_top_holdings, participant_ids,
--   window_changes.
--
-- Holdings on each stock's last day (with 1/5/20-day changes) and the trend series.
-- Holdings on each stock's last day, with its holding 1, 5 and 20 stored days before (0 when not
-- held then; NULL when the stock has fewer days), from `src_holdings_latest_days` (cache-steps.ts: the
-- holdings of those days only).
CREATE TABLE latest_holdings AS
WITH want AS (
  SELECT s.stock_code, s.seq, s.date, l.last_seq FROM stock_days_window s JOIN stock_last l USING (stock_code)
  WHERE s.seq IN (l.last_seq, l.last_seq - 1, l.last_seq - 5, l.last_seq - 20)
), x AS (
  SELECT w.stock_code, x.participant_key AS pkey, w.seq, w.last_seq, round(x.shares * s.factor)::BIGINT AS shares, x.shares AS raw
  FROM src_holdings_latest_days x
  JOIN want w ON w.stock_code = x.stock_code AND w.date = x.date
  JOIN stock_days_window s ON s.stock_code = x.stock_code AND s.seq = w.seq
  WHERE x.shares > 0
), g AS (
  SELECT stock_code, pkey, any_value(last_seq) AS last_seq,
    max(raw) FILTER (WHERE seq = last_seq) AS raw,
    max(shares) FILTER (WHERE seq = last_seq) AS shares,
    coalesce(max(shares) FILTER (WHERE seq = last_seq - 1), 0) AS s1,
    coalesce(max(shares) FILTER (WHERE seq = last_seq - 5), 0) AS s5,
    coalesce(max(shares) FILTER (WHERE seq = last_seq - 20), 0) AS s20
  FROM x GROUP BY stock_code, pkey
)
SELECT g.stock_code, g.pkey, l.last_date AS date, g.raw AS shares,
  g.shares * 100.0 / s.issued_adj AS pct,
  CASE WHEN g.last_seq >= 1 THEN g.shares - g.s1 END AS chg_1d,
  CASE WHEN g.last_seq >= 5 THEN g.shares - g.s5 END AS chg_5d,
  CASE WHEN g.last_seq >= 20 THEN g.shares - g.s20 END AS chg_20d,
  s.issued_adj,
  row_number() OVER (PARTITION BY g.stock_code ORDER BY g.shares DESC, g.pkey) AS rank
FROM g JOIN stock_last l USING (stock_code) JOIN stock_days_window s ON s.stock_code = g.stock_code AND s.seq = g.last_seq
WHERE g.shares IS NOT NULL
ORDER BY g.stock_code, rank;
-- ;
-- Trend series, at most 20 per stock: the 10 largest holders on the last day, then anyone who was
-- among the 10 largest on some stored day (most days first), then the next largest on the last day.
CREATE TABLE series_holders AS
WITH cand AS (
  SELECT stock_code, pkey, rank AS latest_rank, 0 AS top10_days FROM latest_holdings WHERE rank <= 20
  UNION ALL
  SELECT stock_code, unnest(top_keys) AS pkey, NULL AS latest_rank, 1 AS top10_days FROM window_top_holdings
), agg AS (
  SELECT stock_code, pkey, min(latest_rank) AS latest_rank, sum(top10_days) AS top10_days FROM cand GROUP BY ALL
)
SELECT stock_code, pkey, latest_rank,
  -- tier 0 and 2 by their rank on the last day; tier 1 (former top 10) by days in the top 10
  row_number() OVER (PARTITION BY stock_code ORDER BY tier, CASE WHEN tier = 1 THEN -top10_days ELSE latest_rank END,
    latest_rank NULLS LAST, pkey) AS ord
FROM (SELECT *, CASE WHEN latest_rank <= 10 THEN 0 WHEN top10_days > 0 THEN 1 ELSE 2 END AS tier FROM agg)
QUALIFY ord <= 20;
-- ;
-- With each point's date, issued count and the series' rank on the last day, so the top-10
-- download is a plain filter (joining them in the export on string keys cost 1.2 of its 1.9 s).
-- Not sorted: readers order their own lists, and sorting 4 million rows cost 0.9 s for no gain.
-- (MATERIALIZED: the series' points first, then their days; joining every change to its day first
-- cost 2.0 s instead of 0.8.)
CREATE TABLE series_points AS
WITH k AS (
  SELECT l.sid, p.pid, k.stock_code, k.pkey, k.latest_rank
  FROM series_holders k JOIN stock_last l USING (stock_code) JOIN participant_ids p USING (pkey)
), pts AS MATERIALIZED (
  SELECT c.sid, k.stock_code, k.pkey, k.latest_rank, c.seq, c.shares, c.change FROM window_changes c JOIN k ON k.sid = c.sid AND k.pid = c.pid
)
SELECT p.stock_code, p.pkey, p.latest_rank, p.seq, s.date, s.issued_adj, p.shares, p.change
FROM pts p JOIN stock_days_window s ON s.sid = p.sid AND s.seq = p.seq;
