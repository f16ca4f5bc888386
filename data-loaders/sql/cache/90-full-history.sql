-- Whole-history relations for the per-year files of the export (history parts, download parts):
-- views over the month chunks, so the export reads one year's chunks instead of a pass over every
-- holding.
-- Every change point, in the basis HKEX listed it (docs/DATASETS.md "history/").
CREATE VIEW history_points AS SELECT stock_code, participant_key, date, shares FROM chunk_points;
-- ;
-- Every likely transfer (shares in that day's basis; `group_id` as in `pairs`).
CREATE VIEW pairs_all AS
SELECT stock_code, date, set_id, concat(stock_code, '-', strftime(date, '%Y%m%d'), '-', set_id) AS group_id,
  seller, buyer, shares, pct_of_issued, match, confidence
FROM chunk_pairs;
-- ;
-- Clearing-agency (A…) holdings of every stock-day (the southbound download's second half).
CREATE VIEW clearing_all AS
SELECT c.stock_code, c.date, c.clearing_shares, c.clearing_shares * 100.0 / s.issued_shares AS clearing_pct
FROM chunk_conc c JOIN summ_all s USING (stock_code, date);
