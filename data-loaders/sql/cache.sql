-- The shared analytics cache, built once per dataset fingerprint (data-loaders/lib/cache.ts) and
-- read by every loader. Input views (created by cache.ts over the Parquet files): src_holdings,
-- src_summary, src_stocks, src_participants, src_southbound, src_dim.
-- Statements are separated by lines holding only "-- ;" so the builder can time each one.
-- A statement that starts with "-- @holdings-on-dates NAME" is a query for dates: the builder
-- runs it and creates the view NAME over the holdings of those dates only (reading a few days'
-- files instead of scanning the year). A statement that starts with "-- @position-key" asks
-- whether every (sid, pid) fits in one INTEGER; the builder then defines position_key(sid, pid),
-- position_sid(k) and position_pid(k) on an INTEGER (16 bits for pid) or, when not, a BIGINT.

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
-- ;
-- Integer participant ids: the one big sort below runs on one integer key instead of two strings.
CREATE TABLE pk AS
SELECT pkey, (row_number() OVER (ORDER BY pkey))::INTEGER AS pid FROM (SELECT DISTINCT participant_key AS pkey FROM src_holdings);
-- ;
-- Holdings in the latest share basis, numbered by the stock's day index.
CREATE TEMP VIEW h AS
SELECT s.sid, k.pid, s.seq, round(x.shares * s.factor)::BIGINT AS shares
FROM src_holdings x
JOIN summ s ON s.stock_code = x.stock_code AND s.date = x.date
JOIN pk k ON k.pkey = x.participant_key
WHERE x.shares > 0;
-- ;
-- Concentration and clearing-agency (A…) holdings per stock-day, from one more pass.
-- Same-day ratios need no split adjustment, so this reads the raw holdings by (stock, date).
-- It runs before the window so that it does not share the cores with the transfer pairing, which
-- runs alongside the statements after `movers` (those went from 12.3 to 9.4 s).
CREATE TEMP TABLE conc_raw AS
WITH g AS (
  -- two plain top-10 aggregates cost half of one arg_max over a {key, shares} struct (6.5 vs 13.7
  -- CPU seconds on the full-market year)
  SELECT stock_code, date, max(shares, 10) AS top10, arg_max(participant_key, shares, 10) AS top_keys,
    count(*) AS listed, sum(shares) FILTER (WHERE starts_with(participant_key, 'A')) AS clearing_shares
  FROM src_holdings WHERE shares > 0 GROUP BY stock_code, date
)
SELECT s.stock_code, s.seq, list_reverse_sort(g.top10) AS top, g.top_keys, g.listed, g.clearing_shares
FROM g JOIN summ s USING (stock_code, date);
-- ;
-- @position-key: does every stock id fit in 15 bits and every participant id in 16?
SELECT (SELECT coalesce(max(sid), 0) FROM summ) < 32768 AND (SELECT coalesce(max(pid), 0) FROM pk) < 65536;
-- ;
-- The one pass over every holding (the costliest step): each position's change points, i.e. the
-- days its holding differs from the stock's previous day, plus a row with 0 shares on the day after
-- it was last held (an exit). The first stored day of a stock has no change (NULL): nothing to
-- compare with. `chg` is the shared intermediate for movers, attention, series and activity.
-- The window sorts on one packed position key and a SMALLINT day index: narrower sort keys made
-- it 13.8–15.4 s → 11.9–12.1 s on the full-market year (identical rows).
CREATE TEMP TABLE chg AS
WITH w AS (
  SELECT k, seq, shares,
    lag(seq) OVER p AS pseq, lag(shares) OVER p AS pshares, lead(seq) OVER p AS nseq
  FROM (SELECT position_key(sid, pid) AS k, seq::SMALLINT AS seq, shares FROM h)
  WINDOW p AS (PARTITION BY k ORDER BY seq)
), f AS (
  SELECT position_sid(k) AS sid, position_pid(k) AS pid, seq::INTEGER AS seq, shares,
    pseq::INTEGER AS pseq, pshares, nseq::INTEGER AS nseq
  FROM w
  WHERE seq = 0 OR pseq IS DISTINCT FROM seq - 1 OR pshares <> shares OR nseq IS NULL OR nseq > seq + 1
), g AS (
  SELECT f.*,
    (seq = 0 OR pseq IS DISTINCT FROM seq - 1 OR pshares <> shares) AS is_point,
    ((nseq IS NULL OR nseq > seq + 1) AND seq < l.last_seq) AS exits_next
  FROM f JOIN stock_last l USING (sid)
)
SELECT sid, pid, seq + off AS seq,
  CASE off WHEN 0 THEN shares ELSE 0 END AS shares,
  CASE WHEN off = 1 THEN -shares WHEN seq = 0 THEN NULL WHEN pseq = seq - 1 THEN shares - pshares ELSE shares END AS change
FROM g, unnest(CASE WHEN is_point AND exits_next THEN [0, 1] WHEN is_point THEN [0] ELSE [1] END) AS t(off)
WHERE is_point OR exits_next;
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
-- ;
-- Attention: Σ |change| ÷ issued per stock-day, and how many positions changed. Both NULL on a
-- stock's first stored day: with no day before it, nothing can be compared (0 would read as "no change").
CREATE TABLE attn AS
WITH a AS (
  SELECT sid, seq, sum(abs(change)) AS moved, count(*) AS positions_changed
  FROM chg WHERE change IS NOT NULL AND change <> 0 GROUP BY sid, seq
)
SELECT s.stock_code, s.seq, s.date,
  CASE WHEN s.seq > 0 THEN coalesce(a.moved, 0) * 100.0 / s.issued_adj END AS attention_pct,
  CASE WHEN s.seq > 0 THEN coalesce(a.positions_changed, 0) END AS positions_changed
FROM summ s LEFT JOIN a USING (sid, seq)
ORDER BY s.stock_code, s.seq;
-- ;
-- Each stock's own bands over its trailing 250 stored days.
CREATE TABLE bands AS
SELECT a.stock_code,
  quantile_cont(a.attention_pct, 0.25) AS p25, quantile_cont(a.attention_pct, 0.75) AS p75,
  quantile_cont(a.attention_pct, 0.95) AS p95, count(a.attention_pct) AS days
FROM attn a JOIN stock_last l USING (stock_code)
WHERE a.seq > l.last_seq - 250 AND a.attention_pct IS NOT NULL
GROUP BY a.stock_code;
-- ;
CREATE TABLE conc AS
SELECT s.stock_code, s.seq, s.date,
  coalesce(c.top[1], 0) * 100.0 / s.issued_shares AS top1_pct,
  coalesce(list_sum(c.top[1:5]), 0) * 100.0 / s.issued_shares AS top5_pct,
  coalesce(list_sum(c.top), 0) * 100.0 / s.issued_shares AS top10_pct,
  s.total_shares * 100.0 / s.issued_shares AS ccass_pct,
  s.total_count AS participants,
  coalesce(c.clearing_shares, 0) AS clearing_shares,
  coalesce(c.clearing_shares, 0) * 100.0 / s.issued_shares AS clearing_pct
FROM summ s LEFT JOIN conc_raw c USING (stock_code, seq)
ORDER BY s.stock_code, s.seq;
-- ;
-- Holdings on each stock's last day, with its holding 1, 5 and 20 stored days before (0 when not
-- held then; NULL when the stock has fewer days).
-- @holdings-on-dates src_holdings_latest: each stock's last stored day and the days 1, 5 and 20 stored days before
SELECT DISTINCT s.date FROM summ s JOIN stock_last l USING (stock_code)
WHERE s.seq IN (l.last_seq, l.last_seq - 1, l.last_seq - 5, l.last_seq - 20);
-- ;
CREATE TABLE latest AS
WITH want AS (
  SELECT s.stock_code, s.seq, s.date, l.last_seq FROM summ s JOIN stock_last l USING (stock_code)
  WHERE s.seq IN (l.last_seq, l.last_seq - 1, l.last_seq - 5, l.last_seq - 20)
), x AS (
  SELECT w.stock_code, x.participant_key AS pkey, w.seq, w.last_seq, round(x.shares * s.factor)::BIGINT AS shares, x.shares AS raw
  FROM src_holdings_latest x
  JOIN want w ON w.stock_code = x.stock_code AND w.date = x.date
  JOIN summ s ON s.stock_code = x.stock_code AND s.seq = w.seq
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
FROM g JOIN stock_last l USING (stock_code) JOIN summ s ON s.stock_code = g.stock_code AND s.seq = g.last_seq
WHERE g.shares IS NOT NULL
ORDER BY g.stock_code, rank;
-- ;
-- Trend series, at most 20 per stock: the 10 largest holders on the last day, then anyone who was
-- among the 10 largest on some stored day (most days first), then the next largest on the last day.
CREATE TABLE series_keys AS
WITH cand AS (
  SELECT stock_code, pkey, rank AS latest_rank, 0 AS top10_days FROM latest WHERE rank <= 20
  UNION ALL
  SELECT stock_code, unnest(top_keys) AS pkey, NULL AS latest_rank, 1 AS top10_days FROM conc_raw
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
CREATE TABLE series_pts AS
WITH k AS (
  SELECT l.sid, p.pid, k.stock_code, k.pkey, k.latest_rank
  FROM series_keys k JOIN stock_last l USING (stock_code) JOIN pk p USING (pkey)
), pts AS MATERIALIZED (
  SELECT c.sid, k.stock_code, k.pkey, k.latest_rank, c.seq, c.shares, c.change FROM chg c JOIN k ON k.sid = c.sid AND k.pid = c.pid
)
SELECT p.stock_code, p.pkey, p.latest_rank, p.seq, s.date, s.issued_adj, p.shares, p.change
FROM pts p JOIN summ s ON s.sid = p.sid AND s.seq = p.seq;
-- ;
-- A southbound stock with no summary that day is kept, with `seq` and `pct` NULL (docs/DATASETS.md
-- southbound.json): the mutual-market table is a source of its own, not a view of CCASS.
CREATE TABLE south AS
SELECT b.stock_code, s.seq, b.date, b.stock_name, b.shares,
  b.shares * 100.0 / s.issued_shares AS pct
FROM src_southbound b LEFT JOIN summ s ON s.stock_code = b.stock_code AND s.date = b.date
ORDER BY b.stock_code, b.date;
-- ;
-- Southbound stocks on dates with no summary for them still count in the daily overview.
CREATE TABLE south_daily AS
SELECT date, count(*) AS stocks FROM src_southbound GROUP BY date ORDER BY date;
-- ;
-- Names and first/last sightings: the dimension file when present, else the daily participants.
CREATE TABLE pnames AS
WITH daily AS (
  SELECT participant_key AS pkey, arg_max(participant_id, date) AS participant_id, arg_max(name, date) AS name,
    arg_max(address, date) AS address, min(date) AS first_seen, max(date) AS last_seen
  FROM src_participants GROUP BY participant_key
), dim AS (
  SELECT participant_key AS pkey, participant_id, name, address, first_seen, last_seen FROM src_dim
)
SELECT coalesce(d.pkey, y.pkey) AS pkey, coalesce(d.participant_id, y.participant_id) AS participant_id,
  coalesce(d.name, y.name) AS name, coalesce(d.address, y.address) AS address,
  least(d.first_seen, y.first_seen) AS first_seen, greatest(d.last_seen, y.last_seen) AS last_seen
FROM dim d FULL OUTER JOIN daily y ON d.pkey = y.pkey;
-- ;
CREATE TABLE pstats AS
WITH last_move AS (
  -- each position's last move first, then its date: joining every change to its date cost 3×
  SELECT sid, pid, max(seq) AS seq FROM chg WHERE change <> 0 GROUP BY sid, pid
), act AS (
  SELECT m.pid, max(s.date) AS latest_activity FROM last_move m JOIN summ s USING (sid, seq) GROUP BY m.pid
), pos AS (
  SELECT pkey, count(*) AS positions FROM latest WHERE date = (SELECT max(date) FROM dates) GROUP BY pkey
)
SELECT k.pkey, coalesce(p.positions, 0) AS positions, a.latest_activity
FROM pk k LEFT JOIN act a USING (pid) LEFT JOIN pos p USING (pkey);
-- ;
CREATE TABLE stock_names AS
SELECT l.stock_code, coalesce(l.stock_name, t.stock_name) AS stock_name
FROM stock_last l LEFT JOIN (SELECT stock_code, arg_max(stock_name, date) AS stock_name FROM src_stocks GROUP BY 1) t USING (stock_code);
-- ;
CREATE TABLE coverage AS
WITH s AS (SELECT date, count(*) AS stocks, sum(listed_count) AS holdings_rows FROM summ GROUP BY date),
  l AS (SELECT date, count(*) AS listed FROM src_stocks GROUP BY date),
  b AS (SELECT date, count(*) AS southbound FROM src_southbound GROUP BY date),
  d AS (SELECT date FROM s UNION SELECT date FROM l UNION SELECT date FROM b)
SELECT d.date, coalesce(s.stocks, 0) AS stocks, coalesce(l.listed, 0) AS listed,
  coalesce(s.holdings_rows, 0) AS holdings_rows, coalesce(b.southbound, 0) AS southbound
FROM d LEFT JOIN s USING (date) LEFT JOIN l USING (date) LEFT JOIN b USING (date)
ORDER BY d.date;
