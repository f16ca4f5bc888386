// The SQL console's catalogue (sql.md): a table per download, named after it (one file or its yearly
// parts, found in index.json), and the table macro stock_history(code) over every yearly part of the
// stock's history (docs/DATASETS.md "history/").
// DuckDB-WASM has no Parquet reader built in (it is an extension fetched from another origin), so
// the page decodes the files with hyparquet and hands DuckDB Arrow tables, loading each on the
// first query that names it. The SQL is plain strings, run as they are by the tests in Node.

/**
 * Table name → file under downloads/ (the names a reader sees on the Data page). A table may be
 * published as yearly parts instead: downloads/<base>/year=YYYY/<base>-YYYY.<ext> (downloadPaths).
 */
export const DOWNLOAD_TABLES = {
  transfers: "transfers.parquet",
  concentration: "concentration.parquet",
  attention: "attention.parquet",
  southbound: "southbound.parquet",
  holder_categories: "holder-categories.parquet",
  trends_top10: "trends-top10.parquet",
  corporate_actions: "corporate-actions.parquet",
  holdings_latest: "holdings-latest.parquet",
  stocks: "stocks.csv",
  participants: "participants.csv"
};

/**
 * The paths of a download table in index.json's file list ([{path}]): its single file, or every
 * yearly part of it, years ascending. [] when the site has neither.
 */
export function downloadPaths(files, name) {
  const file = DOWNLOAD_TABLES[name];
  if (!file) throw new TypeError(`not a download table: ${name}`);
  const dot = file.lastIndexOf(".");
  const [base, ext] = [file.slice(0, dot), file.slice(dot + 1)];
  const part = new RegExp(`^downloads/${base}/year=(\\d{4})/${base}-(\\d{4})\\.${ext}$`);
  return files.map((f) => f.path)
    .filter((p) => p === `downloads/${file}` || (part.test(p) && part.exec(p)[1] === part.exec(p)[2]))
    .sort();
}

/** The years of a stock's history parts in index.json's file list, ascending. */
export function historyPartYears(files, code) {
  const part = new RegExp(`^history/${code}/(\\d{4})\\.parquet$`);
  return files.map((f) => part.exec(f.path)).filter(Boolean).map((m) => Number(m[1])).sort((a, b) => a - b);
}

/**
 * What the console runs after inserting one part of a stock's history as _points and _days (code is
 * a \d{5} match, year an integer: safe as literals).
 */
export function historyPartsSql(code, year) {
  if (!/^\d{5}$/.test(code) || !Number.isInteger(year)) throw new TypeError(`not a stock code and year: ${code} ${year}`);
  return [
    `INSERT INTO history_points SELECT '${code}', participant_key, CAST(date AS DATE), shares FROM _points`,
    `INSERT INTO history_days SELECT '${code}', CAST(date AS DATE), security_id FROM _days`,
    "DROP TABLE _points",
    "DROP TABLE _days"
  ];
}

/** The loaded history parts: change points and stored dates of every stock loaded so far. */
export const HISTORY_TABLES_SQL = [
  "CREATE TABLE IF NOT EXISTS history_points (stock_code VARCHAR, participant_key VARCHAR, date DATE, shares BIGINT)",
  "CREATE TABLE IF NOT EXISTS history_days (stock_code VARCHAR, date DATE, security_id VARCHAR)"
];

/**
 * stock_history(code): date, stock_code, participant_key, shares, security_id for every stored date on
 * which a participant held the stock: each change point lasts until the participant's next one (a 0
 * ends it) and at most until the next year's part begins, whose opening snapshot restates every
 * position still held (one that ended on that very day has no row there). `security_id`: whose day
 * it is (a recycled code's two securities are told apart; the parts close the old one's positions).
 */
export const STOCK_HISTORY_MACRO = `CREATE OR REPLACE MACRO stock_history(code) AS TABLE
WITH days AS (SELECT date, security_id FROM history_days WHERE stock_code = code),
starts AS (SELECT min(date) AS first FROM days GROUP BY year(date)),
cp AS (
  SELECT participant_key, date, shares, lead(date) OVER (PARTITION BY participant_key ORDER BY date) AS next_point
  FROM history_points WHERE stock_code = code
), spans AS (
  SELECT cp.*, least(next_point, (SELECT min(s.first) FROM starts s WHERE s.first > cp.date)) AS until FROM cp
)
SELECT d.date, code AS stock_code, p.participant_key, p.shares, d.security_id
FROM spans p JOIN days d ON d.date >= p.date AND (p.until IS NULL OR d.date < p.until)
WHERE p.shares > 0`;

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
    // `likely`: the pair's confidence is at least the site's rule (about page); the rest are possible matches
    {title: "The largest likely transfers", sql: "SELECT date, stock_code, seller_name, buyer_name, shares, pct_of_issued, confidence\nFROM transfers\nWHERE likely\nORDER BY pct_of_issued DESC\nLIMIT 20"},
    {title: "Most concentrated stocks on the latest date", sql: "SELECT stock_code, top1_pct, top5_pct, top10_pct\nFROM concentration\nWHERE date = (SELECT max(date) FROM concentration)\nORDER BY top5_pct DESC\nLIMIT 20"},
    {title: "Splits and consolidations", sql: "SELECT * FROM corporate_actions WHERE kind IN ('split', 'consolidation') ORDER BY date"},
    {title: "A participant's holdings on the latest date", sql: "SELECT h.stock_code, s.name, h.shares, h.pct_of_issued\nFROM holdings_latest h JOIN stocks s ON s.code = h.stock_code\nWHERE h.participant_key = 'C00019'\nORDER BY h.pct_of_issued DESC"}
  ];
}

/**
 * The folder of the buffers the page registers with DuckDB (the CSV downloads, fetched by the page
 * from this site): the only paths the engine may read once external access is off.
 */
export const PAGE_FILES_DIR = "ccass-page-files/";

/**
 * Run first, before any query of a reader, in this order (each later setting needs the earlier):
 * no extension is ever fetched or loaded (they come from another origin); the page's buffer folder
 * stays readable (allowed_directories can only be set while external access is on); no file system,
 * URL (DuckDB-WASM reads http(s) itself), ATTACH, COPY or extension beyond that; then the
 * configuration is locked, so no statement of a query (SET, RESET, PRAGMA) can undo any of it.
 * Checked in Chromium against DuckDB-WASM 1.32.0 (DuckDB v1.4.3) by tests/sql-console-hostile.test.ts;
 * `disabled_filesystems = 'HTTPFileSystem'` is accepted there but does not stop a URL read, so it is
 * not relied on.
 */
export const ENGINE_LOCKDOWN_SQL = [
  "SET autoinstall_known_extensions = false",
  "SET autoload_known_extensions = false",
  `SET allowed_directories = ['${PAGE_FILES_DIR}']`,
  "SET enable_external_access = false",
  "SET lock_configuration = true"
];

/**
 * A line to show under DuckDB's own message when the engine refused to reach outside the page (a
 * file, a URL, an extension, a locked setting), or null. Read from the error, never from the query.
 */
export function refusalNote(message) {
  return /Permission Error|Extension Autoloading Error|configuration has been locked|external access is disabled/i.test(String(message))
    ? "This console reads only the tables this page loads from the site: files, URLs and extensions are off, and its settings are locked."
    : null;
}
