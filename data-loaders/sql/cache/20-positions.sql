-- Integer ids, split-adjusted holdings, the concentration pass and the window over every holding
-- (change points).
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
