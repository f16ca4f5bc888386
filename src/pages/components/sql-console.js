// DuckDB-WASM for the SQL console (sql.md): starts the engine and loads what each query names
// (sql-views.js says what and why) from this site's own API tree, never from another origin.
// A shared link (`sql?q=`) runs its query on load, so whoever writes the link chooses the SQL: the
// engine itself is shut off from everything but what this page hands it (ENGINE_LOCKDOWN_SQL).
import {AsyncDuckDB, VoidLogger} from "./vendor/duckdb.js";
import {API_BASE, fetchIndex} from "./api.js";
import {arrowTable} from "./arrow-table.js";
import {fetchParquet} from "./history.js";
import {ENGINE_LOCKDOWN_SQL, HISTORY_TABLES_SQL, PAGE_FILES_DIR, STOCK_HISTORY_MACRO, downloadPaths, historyPartYears, historyPartsSql, referencedData} from "./sql-views.js";

/** Start DuckDB in a worker from the site's copies of the engine (wasmUrl) and worker (workerUrl). */
export async function startDuckDB(workerUrl, wasmUrl) {
  const db = new AsyncDuckDB(new VoidLogger(), new Worker(workerUrl));
  await db.instantiate(new URL(wasmUrl, location.href).href);
  const conn = await db.connect();
  // Before any other SQL: no file, URL or extension but the page's own buffers, settings locked.
  for (const stmt of ENGINE_LOCKDOWN_SQL) await conn.query(stmt);
  for (const stmt of [...HISTORY_TABLES_SQL, STOCK_HISTORY_MACRO]) await conn.query(stmt);
  return {db, conn, loaded: new Set()};
}

/** Insert a Parquet file as table `name` (appended when `append`); false when it has no rows. */
async function insertParquet(duck, path, name, append = false) {
  const rows = await fetchParquet(path);
  if (!rows.length) return false;
  await duck.conn.insertArrowTable(arrowTable(rows), {name, create: !append});
  return true;
}

/** index.json's file list, fetched once: it says which files and yearly parts the site has. */
async function siteFiles(duck) {
  duck.files ??= fetchIndex().then((index) => index?.files ?? []);
  return duck.files;
}

/** Load every table and stock history that `sql` names and that is not loaded yet. */
export async function loadReferenced(duck, sql) {
  const {tables, codes} = referencedData(sql);
  if (!tables.some((t) => !duck.loaded.has(t)) && !codes.some((c) => !duck.loaded.has(c))) return;
  const files = await siteFiles(duck);
  for (const name of tables) {
    if (duck.loaded.has(name)) continue;
    const paths = downloadPaths(files, name);
    if (!paths.length) throw new Error(`${name} is not published on this site`);
    let created = false;
    for (const path of paths) {
      if (path.endsWith(".csv")) {
        const response = await fetch(API_BASE + path);
        if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
        // a buffer of the page's own, in the one folder the engine may still read (PAGE_FILES_DIR)
        const file = PAGE_FILES_DIR + path.replaceAll("/", "_");
        await duck.db.registerFileBuffer(file, new Uint8Array(await response.arrayBuffer()));
        await duck.conn.query(created ? `INSERT INTO ${name} SELECT * FROM read_csv('${file}', header = true)` : `CREATE TABLE ${name} AS SELECT * FROM read_csv('${file}', header = true)`);
        created = true;
      } else if (await insertParquet(duck, path, name, created)) {
        created = true;
      }
    }
    if (!created) throw new Error(`${name} has no rows on this site`);
    duck.loaded.add(name);
  }
  for (const code of codes) {
    if (duck.loaded.has(code)) continue;
    // codes come from a \d{5} match: safe in a path and a literal
    for (const year of historyPartYears(files, code)) {
      // a part always has days; an empty points part still needs its table for the statements below
      if (!(await insertParquet(duck, `history/${code}/${year}.parquet`, "_points"))) await duck.conn.query("CREATE TABLE _points (participant_key VARCHAR, date DATE, shares BIGINT)");
      if (!(await insertParquet(duck, `history/${code}/${year}.days.parquet`, "_days"))) await duck.conn.query("CREATE TABLE _days (date DATE)");
      for (const stmt of historyPartsSql(code, year)) await duck.conn.query(stmt);
    }
    duck.loaded.add(code);
  }
}
