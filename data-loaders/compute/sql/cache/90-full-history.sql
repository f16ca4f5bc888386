-- Makes (whole history, for the per-year files of the export):
--   history_points       (view) every change point, in the basis HKEX listed it
--   history_held         (view) the positions held on some stored date of each year
--   history_pairs        (view) every likely transfer
--   southbound_history   southbound holdings of every stock-day
--   clearing_history     (view) clearing-agency holdings of every stock-day
-- Reads: chunk_change_points, chunk_positions_held, chunk_pairs, chunk_top_holdings, src_southbound,
--   stock_days_history.
--
-- Whole-history relations for the per-year files of the export (history parts, download parts):
-- views over the month chunks, so the export reads one year's chunks instead of a pass over every
-- holding.
-- Every change point, in the basis HKEX listed it (docs/DATASETS.md "history/").
CREATE VIEW history_points AS SELECT stock_code, participant_key, date, shares, security_id FROM chunk_change_points;
-- ;
-- The positions held on some stored date of each year (history/held/).
CREATE VIEW history_held AS SELECT DISTINCT stock_code, participant_key, year FROM chunk_positions_held;
-- ;
-- Every likely transfer (shares in that day's basis; `set_id` as in `window_pairs`).
CREATE VIEW history_pairs AS
SELECT stock_code, date, dense_rank() OVER (PARTITION BY stock_code, date ORDER BY set_id)::INTEGER AS set_id,
  seller, buyer, shares, pct_of_issued, match, confidence
FROM chunk_pairs;
-- ;
-- Southbound holdings (percent of that day's issued shares) and clearing-agency (A…) holdings of
-- every stock-day: the southbound download.
CREATE TABLE southbound_history AS
SELECT b.stock_code, b.date, b.shares, b.shares * 100.0 / s.issued_shares AS pct
FROM src_southbound b JOIN stock_days_history s USING (stock_code, date);
-- ;
CREATE VIEW clearing_history AS
SELECT c.stock_code, c.date, c.clearing_shares, c.clearing_shares * 100.0 / s.issued_shares AS clearing_pct, s.security_id
FROM chunk_top_holdings c JOIN stock_days_history s USING (stock_code, date);
