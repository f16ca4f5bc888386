// The change points of every position of every stock (the source of the yearly history parts,
// history-parts.ts): a row where a position starts or its shares change, shares as HKEX listed them,
// and a 0 row on the first stored date a position is no longer listed. Read from the Parquet
// dataset's holdings, numbered by the stock's stored days of the analytics cache (`summ`).
/**
 * One window over the holdings, on integer keys (the stock's day number and the participant id of
 * the cache's `pk`), as cache.sql does for the same reason: sorting strings is slower.
 * A row is a change point when the position was absent or different on the stock's previous stored
 * day; a position missing on the stock's next stored day gets a 0 row on that day.
 */
export function changePointsSql(holdings: string, table: string): string {
  return `CREATE OR REPLACE TEMP TABLE ${table} AS
WITH h AS (
  SELECT s.sid, s.seq, k.pid, x.shares
  FROM (${holdings}) x
  JOIN summ s ON s.stock_code = x.stock_code AND s.date = x.date
  JOIN pk k ON k.pkey = x.participant_key
  WHERE x.shares > 0
), w AS (
  SELECT sid, seq, pid, shares,
    lag(seq) OVER p AS prev_seq, lag(shares) OVER p AS prev_shares, lead(seq) OVER p AS next_seq
  FROM h WINDOW p AS (PARTITION BY sid, pid ORDER BY seq)
), pts AS (
  SELECT sid, pid, seq, shares FROM w
  WHERE prev_seq IS NULL OR prev_seq <> seq - 1 OR prev_shares <> shares
  UNION ALL
  SELECT w.sid, w.pid, w.seq + 1, 0 FROM w JOIN stock_last l USING (sid)
  WHERE (w.next_seq IS NULL AND w.seq < l.last_seq) OR w.next_seq > w.seq + 1
)
SELECT s.stock_code, k.pkey AS participant_key, s.date, p.shares
FROM pts p JOIN summ s ON s.sid = p.sid AND s.seq = p.seq JOIN pk k ON k.pid = p.pid`;
}
