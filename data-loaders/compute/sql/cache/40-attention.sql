-- Makes:
--   attention        per window stock-day: Σ |change| ÷ issued and positions changed
--   attention_bands  per stock: p25/p75/p95 of its attention over its trailing 250 stored days
--   concentration    per window stock-day: top 1/5/10 %, CCASS %, participants, clearing-agency %
-- Reads: stock_days_window, window_day_moves, stock_last, window_top_holdings.
--
-- Attention per stock-day, each stock's bands, and concentration.
-- Attention: Σ |change| ÷ issued per stock-day, and how many positions changed. Both NULL on a
-- stock's first stored day: with no day before it, nothing can be compared (0 would read as "no change").
CREATE TABLE attention AS
SELECT s.stock_code, s.seq, s.date,
  CASE WHEN NOT s.first_day THEN coalesce(a.moved, 0) * 100.0 / s.issued_adj END AS attention_pct,
  CASE WHEN NOT s.first_day THEN coalesce(a.positions_changed, 0) END AS positions_changed
FROM stock_days_window s LEFT JOIN window_day_moves a USING (sid, seq)
ORDER BY s.stock_code, s.seq;
-- ;
-- Each stock's own bands over its trailing 250 stored days.
CREATE TABLE attention_bands AS
SELECT a.stock_code,
  quantile_cont(a.attention_pct, 0.25) AS p25, quantile_cont(a.attention_pct, 0.75) AS p75,
  quantile_cont(a.attention_pct, 0.95) AS p95, count(a.attention_pct) AS days
FROM attention a JOIN stock_last l USING (stock_code)
WHERE a.seq > l.last_seq - 250 AND a.attention_pct IS NOT NULL
GROUP BY a.stock_code;
-- ;
CREATE TABLE concentration AS
SELECT s.stock_code, s.seq, s.date,
  coalesce(c.top[1], 0) * 100.0 / s.issued_shares AS top1_pct,
  coalesce(list_sum(c.top[1:5]), 0) * 100.0 / s.issued_shares AS top5_pct,
  coalesce(list_sum(c.top), 0) * 100.0 / s.issued_shares AS top10_pct,
  s.total_shares * 100.0 / s.issued_shares AS ccass_pct,
  s.total_count AS participants,
  coalesce(c.clearing_shares, 0) AS clearing_shares,
  coalesce(c.clearing_shares, 0) * 100.0 / s.issued_shares AS clearing_pct
FROM stock_days_window s LEFT JOIN window_top_holdings c USING (stock_code, seq)
ORDER BY s.stock_code, s.seq;
