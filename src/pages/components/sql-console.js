// DuckDB-WASM for the SQL console (sql.md): starts the engine and loads what each query names
// (sql-views.js says what and why) from this site's own API tree, never from another origin.
import {AsyncDuckDB, DateDay, Table, VoidLogger, vectorFromArray} from "./vendor/duckdb.js";
import {API_BASE} from "./api.js";
import {fetchParquet} from "./history.js";
import {DOWNLOAD_TABLES, HISTORY_TABLES_SQL, STOCK_HISTORY_MACRO, referencedData} from "./sql-views.js";

/** Start DuckDB in a worker from the site's copies of the engine (wasmUrl) and worker (workerUrl). */
export async function startDuckDB(workerUrl, wasmUrl) {
  const db = new AsyncDuckDB(new VoidLogger(), new Worker(workerUrl));
  await db.instantiate(new URL(wasmUrl, location.href).href);
  const conn = await db.connect();
  // No extension is ever fetched (they would come from another origin).
  await conn.query("SET autoinstall_known_extensions = false");
  await conn.query("SET autoload_known_extensions = false");
  // ... and no query can turn them back on (queries are also screened: refusedSql in sql-views.js).
  await conn.query("SET lock_configuration = true");
  for (const stmt of [...HISTORY_TABLES_SQL, STOCK_HISTORY_MACRO]) await conn.query(stmt);
  return {db, conn, loaded: new Set()};
}

/** Row objects (hyparquet) → an Arrow table; columns in the file's order, dates as DATE. */
function arrowOf(rows) {
  const names = rows.length ? Object.keys(rows[0]) : [];
  const cols = {};
  for (const n of names) {
    const values = rows.map((r) => r[n]);
    const isDate = values.find((v) => v != null) instanceof Date;
    cols[n] = isDate ? vectorFromArray(values, new DateDay()) : vectorFromArray(values);
  }
  return new Table(cols);
}

async function insertParquet(duck, path, name) {
  const rows = await fetchParquet(path);
  if (!rows.length) return false;
  await duck.conn.insertArrowTable(arrowOf(rows), {name, create: true});
  return true;
}

/** Load every table and stock history that `sql` names and that is not loaded yet. */
export async function loadReferenced(duck, sql) {
  const {tables, codes} = referencedData(sql);
  for (const name of tables) {
    if (duck.loaded.has(name)) continue;
    const file = DOWNLOAD_TABLES[name];
    if (file.endsWith(".csv")) {
      const response = await fetch(`${API_BASE}downloads/${file}`);
      if (!response.ok) throw new Error(`${file}: HTTP ${response.status}`);
      await duck.db.registerFileBuffer(file, new Uint8Array(await response.arrayBuffer()));
      await duck.conn.query(`CREATE TABLE ${name} AS SELECT * FROM read_csv('${file}', header = true)`);
    } else if (!(await insertParquet(duck, `downloads/${file}`, name))) {
      throw new Error(`${file} has no rows on this site`);
    }
    duck.loaded.add(name);
  }
  for (const code of codes) {
    if (duck.loaded.has(code)) continue;
    // codes come from a \d{5} match: safe in a path and a literal
    if (await insertParquet(duck, `history/${code}.parquet`, "_points")) {
      await duck.conn.query(`INSERT INTO history_points SELECT '${code}', participant_key, CAST(date AS DATE), shares FROM _points`);
      await duck.conn.query("DROP TABLE _points");
    }
    if (await insertParquet(duck, `history/${code}.days.parquet`, "_days")) {
      await duck.conn.query(`INSERT INTO history_days SELECT '${code}', CAST(date AS DATE) FROM _days`);
      await duck.conn.query("DROP TABLE _days");
    }
    duck.loaded.add(code);
  }
}
