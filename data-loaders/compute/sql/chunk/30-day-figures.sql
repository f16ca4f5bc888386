-- Makes (temp, one month chunk; the first four are files of the chunk):
--   c_top_holdings       per stock-day: the 10 largest holdings, their keys, listed count, clearing shares
--   c_day_figures        per stock-day: issued shares, corporate action, Σ |change|, positions changed
--   c_positions_held     the positions held on some day of the month, with the year
--   c_participant_moves  per participant: its last day with a move in the month
--   c_noise              per stock: the transfer finder's noise (median over 12 months)
--   c_movers             the transfer finder's input: big moves on days with both sides
-- Reads: c_holdings_by_id, c_holdings, c_stock_days, c_change_points, c_participant_ids, c_prior_day_figures.
--
-- Per stock-day of the month: the concentration pass (the 10 largest holdings, ties broken by the
-- participant key so two builds pick the same holders) and the day's moves (Σ |change| and positions
-- changed, what attention and the transfer finder's noise read).
CREATE TEMP TABLE c_top_holdings AS
WITH g AS (
  SELECT sid, lseq, max(shares, 10) AS top10,
    arg_max(pid, shares::HUGEINT * 1048576 + (1048575 - pid), 10) AS top_pids,
    count(*) AS listed
  FROM c_holdings_by_id GROUP BY sid, lseq
), clearing AS (
  -- the listed holdings by kind of holder (participant ID's first letter; `ip:` keys are consenting
  -- investors): clearing (A…) feeds southbound, all of them the holder categories (holder-categories.ts)
  SELECT stock_code, date, sum(shares) FILTER (WHERE starts_with(participant_key, 'A')) AS clearing_shares,
    coalesce(sum(shares) FILTER (WHERE starts_with(participant_key, 'B')), 0) AS broker_shares,
    coalesce(sum(shares) FILTER (WHERE starts_with(participant_key, 'C')), 0) AS custodian_shares,
    coalesce(sum(shares) FILTER (WHERE NOT starts_with(participant_key, 'ip:') AND left(participant_key, 1) NOT IN ('A', 'B', 'C')), 0) AS other_shares
  FROM c_holdings WHERE shares > 0 GROUP BY ALL
)
SELECT d.stock_code, d.date, list_reverse_sort(g.top10) AS top,
  list_transform(g.top_pids, p -> k.keys[p]) AS top_keys,
  g.listed, c.clearing_shares, c.broker_shares, c.custodian_shares, c.other_shares
FROM g JOIN c_stock_days d ON d.sid = g.sid AND d.lseq = g.lseq LEFT JOIN clearing c ON c.stock_code = d.stock_code AND c.date = d.date
  CROSS JOIN (SELECT list(pkey ORDER BY pid) AS keys FROM c_participant_ids) k
WHERE d.in_month;
-- ;
CREATE TEMP TABLE c_day_figures AS
WITH m AS (
  SELECT stock_code, date, sum(abs(change)) AS moved, count(*) AS positions_changed
  FROM c_change_points WHERE change IS NOT NULL AND change <> 0 GROUP BY ALL
)
SELECT d.stock_code, d.security_id, d.date, d.issued_shares, d.ca_kind, d.ca_ratio, d.ratio_p, d.ratio_q, d.first_day,
  CASE WHEN NOT d.first_day THEN coalesce(m.moved, 0) END AS moved,
  CASE WHEN NOT d.first_day THEN coalesce(m.positions_changed, 0) END AS positions_changed
FROM c_stock_days d LEFT JOIN m USING (stock_code, date)
WHERE d.in_month;
-- ;
-- The positions held on some day of the month (which history parts a participant's page needs).
CREATE TEMP TABLE c_positions_held AS
SELECT DISTINCT h.stock_code, h.participant_key, year(h.date)::INTEGER AS year FROM c_holdings h SEMI JOIN c_stock_days d ON d.stock_code = h.stock_code AND d.date = h.date AND d.in_month
WHERE h.shares > 0;
-- ;
-- Each participant's last day with a move in the month (the participant index's latest activity).
CREATE TEMP TABLE c_participant_moves AS
SELECT participant_key, max(date) AS last_move FROM c_change_points WHERE change <> 0 GROUP BY participant_key;
-- ;
-- The transfer finder's noise per series (a security under a code): the median, over its days of the 12 months ending
-- with this one (corporate-action days and first days left out; a day without changes counts 0),
-- of the mean absolute change of the positions that moved, percent of issued. Only past and current
-- months: a closed month's pairs never change when later days arrive.
CREATE TEMP TABLE c_noise AS
SELECT stock_code, security_id, median(coalesce(moved * 100.0 / nullif(positions_changed, 0) / issued_shares, 0)) AS noise_pct
FROM (SELECT * FROM c_prior_day_figures UNION ALL BY NAME SELECT * FROM c_day_figures)
WHERE ca_kind IS NULL AND NOT first_day
GROUP BY stock_code, security_id;
-- ;
-- Positions that moved by at least the floor (0.05 % of that day's issued shares) on a day with no
-- corporate action and moves on both sides: the transfer finder's input.
CREATE TEMP TABLE c_movers AS
WITH m AS (
  SELECT p.stock_code, d.security_id, p.date, p.participant_key AS pkey, p.change, d.issued_shares
  FROM c_change_points p JOIN c_day_figures d USING (stock_code, date)
  WHERE d.ca_kind IS NULL AND p.change IS NOT NULL AND abs(p.change) * 10000 >= 5 * d.issued_shares
)
SELECT m.* EXCLUDE (security_id), coalesce(n.noise_pct, 0) AS noise_pct FROM m LEFT JOIN c_noise n USING (stock_code, security_id)
WHERE (m.stock_code, m.date) IN (SELECT stock_code, date FROM m GROUP BY ALL HAVING min(change) < 0 AND max(change) > 0);
