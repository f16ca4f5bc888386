-- Makes (temp, one month chunk):
--   c_holdings_by_id       the month's holdings on integer ids (sid, pid, lseq)
--   c_change_points_by_id  change points on integer ids
--   c_change_points        change points by stock code and participant key (the chunk's change_points file)
-- Reads: c_holdings, c_stock_days, c_participant_ids, position_key macros (position-key.ts).
--
-- The month's change points: the one pass over every holding of the month (plus the carry-in day),
-- a window per position over its series' stored days (a security under a code: a recycled code's
-- positions never run from one security into the next; the old one's simply end). A row where a position starts or its shares
-- change, and a 0 row on the first stored day it is no longer listed; `shares` as HKEX listed them
-- that day, `change` in that day's basis (NULL on a stock's first stored day: nothing to compare).
-- Its inputs: `c_participant_ids` (15-participant-ids.sql) and the position-key macros that chunks.ts defines
-- for the ids' range (position-key.ts explains the packing).
CREATE TEMP TABLE c_holdings_by_id AS
SELECT d.sid, k.pid, d.lseq, x.shares
FROM c_holdings x JOIN c_stock_days d USING (stock_code, date) JOIN c_participant_ids k ON k.pkey = x.participant_key
WHERE x.shares > 0;
-- ;
CREATE TEMP TABLE c_change_points_by_id AS
WITH w AS (
  SELECT k, lseq, shares, lag(lseq) OVER p AS pseq, lag(shares) OVER p AS pshares, lead(lseq) OVER p AS nseq
  FROM (SELECT position_key(sid, pid) AS k, lseq::SMALLINT AS lseq, shares FROM c_holdings_by_id)
  WINDOW p AS (PARTITION BY k ORDER BY lseq)
), f AS (
  SELECT position_sid(k) AS sid, position_pid(k) AS pid, lseq::INTEGER AS lseq, shares, pseq::INTEGER AS pseq, pshares, nseq::INTEGER AS nseq
  FROM w WHERE pseq IS DISTINCT FROM lseq - 1 OR pshares <> shares OR nseq IS NULL OR nseq > lseq + 1
), starts AS (
  SELECT f.sid, f.pid, f.lseq, f.shares,
    CASE WHEN d.first_day THEN NULL WHEN f.pseq = f.lseq - 1 THEN f.shares - round(f.pshares * d.scale)::BIGINT ELSE f.shares END AS change
  FROM f JOIN c_stock_days d ON d.sid = f.sid AND d.lseq = f.lseq
  WHERE d.in_month AND (f.pseq IS DISTINCT FROM f.lseq - 1 OR f.pshares <> f.shares)
), exits AS (
  SELECT f.sid, f.pid, f.lseq + 1 AS lseq, 0::BIGINT AS shares, -round(f.shares * d.scale)::BIGINT AS change
  FROM f JOIN c_stock_days d ON d.sid = f.sid AND d.lseq = f.lseq + 1
  WHERE (f.nseq IS NULL OR f.nseq > f.lseq + 1)
)
SELECT * FROM starts UNION ALL SELECT * FROM exits;
-- ;
CREATE TEMP TABLE c_change_points AS
SELECT d.stock_code, k.pkey AS participant_key, d.date, p.shares, p.change, d.security_id
FROM c_change_points_by_id p JOIN c_stock_days d ON d.sid = p.sid AND d.lseq = p.lseq JOIN c_participant_ids k ON k.pid = p.pid;
