// The SQL console's catalogue (sql.md): a table per download, named after it, and the table macro
// stock_history(code) over the stock's history files (docs/DATASETS.md "History files").
// DuckDB-WASM has no Parquet reader built in (it is an extension fetched from another origin), so
// the page decodes the files with hyparquet and hands DuckDB Arrow tables, loading each on the
// first query that names it. The SQL is plain strings, run as they are by the tests in Node.

/** Table name → file under downloads/ (the names a reader sees on the Data page). */
export const DOWNLOAD_TABLES = {
  transfers: "transfers.parquet",
  concentration: "concentration.parquet",
  attention: "attention.parquet",
  southbound: "southbound.parquet",
  trends_top10: "trends-top10.parquet",
  corporate_actions: "corporate-actions.parquet",
  holdings_latest: "holdings-latest.parquet",
  stocks: "stocks.csv",
  participants: "participants.csv"
};

/** The loaded history files: change points and stored dates of every stock loaded so far. */
export const HISTORY_TABLES_SQL = [
  "CREATE TABLE IF NOT EXISTS history_points (stock_code VARCHAR, participant_key VARCHAR, date DATE, shares BIGINT)",
  "CREATE TABLE IF NOT EXISTS history_days (stock_code VARCHAR, date DATE)"
];

/**
 * stock_history(code): date, stock_code, participant_key, shares for every stored date on which a
 * participant held the stock: each change point lasts until the participant's next one, a 0 ends it.
 */
export const STOCK_HISTORY_MACRO = `CREATE OR REPLACE MACRO stock_history(code) AS TABLE
WITH cp AS (
  SELECT participant_key, date, shares, lead(date) OVER (PARTITION BY participant_key ORDER BY date) AS until
  FROM history_points WHERE stock_code = code
), days AS (SELECT date FROM history_days WHERE stock_code = code)
SELECT d.date, code AS stock_code, cp.participant_key, cp.shares
FROM cp JOIN days d ON d.date >= cp.date AND (cp.until IS NULL OR d.date < cp.until)
WHERE cp.shares > 0`;

/**
 * What a query needs loaded: the download tables it names and the stock codes of its
 * stock_history('…') calls (a code must be written as a five-digit literal).
 */
export function referencedData(sql) {
  const text = String(sql);
  const tables = Object.keys(DOWNLOAD_TABLES).filter((name) => new RegExp(`\\b${name}\\b`, "i").test(text));
  const codes = [...new Set([...text.matchAll(/stock_history\s*\(\s*'(\d{5})'\s*\)/gi)].map((m) => m[1]))];
  return {tables, codes};
}

/** The example queries shown on the page (the first uses the stock with the heaviest history). */
export function exampleQueries(code) {
  return [
    {title: "Participants per stored date of one stock", sql: `SELECT date, count(*) AS participants, sum(shares) AS shares\nFROM stock_history('${code}')\nGROUP BY 1 ORDER BY 1`},
    {title: "The largest likely transfers", sql: "SELECT date, stock_code, seller_name, buyer_name, shares, pct_of_issued\nFROM transfers\nORDER BY pct_of_issued DESC\nLIMIT 20"},
    {title: "Most concentrated stocks on the latest date", sql: "SELECT stock_code, top1_pct, top5_pct, top10_pct\nFROM concentration\nWHERE date = (SELECT max(date) FROM concentration)\nORDER BY top5_pct DESC\nLIMIT 20"},
    {title: "Splits and consolidations", sql: "SELECT * FROM corporate_actions WHERE kind IN ('split', 'consolidation') ORDER BY date"},
    {title: "A participant's holdings on the latest date", sql: "SELECT h.stock_code, s.name, h.shares, h.pct_of_issued\nFROM holdings_latest h JOIN stocks s ON s.code = h.stock_code\nWHERE h.participant_key = 'C00019'\nORDER BY h.pct_of_issued DESC"}
  ];
}

/**
 * Why a query may not run in the console, or null. A shared link (`sql?q=`) runs its query on load,
 * so whoever writes the link chooses SQL that runs in the reader's browser: nothing may reach a file,
 * a URL, an extension or a setting (DuckDB-WASM reads http(s) URLs itself, and `INSTALL`/`LOAD`
 * would fetch extensions from another origin). The console only needs the tables it loads itself.
 */
export function refusedSql(sql) {
  const text = String(sql);
  if (/:\/\//.test(text)) return "a URL";
  const statement = /\b(install|load|attach|detach|copy|export|import|pragma|set|reset|call|checkpoint)\b/i.exec(text);
  if (statement) return `${statement[1].toUpperCase()} statements`;
  const reader = /\b(read_\w+|\w+_scan|glob|query|query_table|sniff_csv)\s*\(/i.exec(text);
  if (reader) return `${reader[1]}() (it reads files)`;
  return null;
}
