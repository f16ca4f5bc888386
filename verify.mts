// verify reconstruction: for each stock & date, holdings from change points == parquet holdings
import { DuckDBInstance } from "@duckdb/node-api";
const [data, hist] = process.argv.slice(2);
const db = await DuckDBInstance.create(":memory:"); const c = await db.connect();
const r = await c.runAndReadAll(`
WITH cp AS (SELECT regexp_extract(filename, '(\\d{5})\\.parquet$', 1) AS stock_code, participant_key, date, shares FROM read_parquet('${hist}/?????.parquet', filename=true)),
days AS (SELECT regexp_extract(filename, '(\\d{5})\\.days\\.parquet$', 1) AS stock_code, date FROM read_parquet('${hist}/*.days.parquet', filename=true)),
rec AS (SELECT d.stock_code, d.date, cp.participant_key, arg_max(cp.shares, cp.date) AS shares FROM days d JOIN cp ON cp.stock_code=d.stock_code AND cp.date <= d.date GROUP BY ALL HAVING arg_max(cp.shares, cp.date) > 0),
src AS (SELECT stock_code, date, participant_key, shares FROM read_parquet('${data}/holdings/*/*.parquet') WHERE shares > 0 AND (stock_code, date) IN (SELECT (stock_code, date) FROM days))
SELECT (SELECT count(*) FROM rec), (SELECT count(*) FROM src), (SELECT count(*) FROM (SELECT * FROM rec EXCEPT ALL SELECT * FROM src)), (SELECT count(*) FROM (SELECT * FROM src EXCEPT ALL SELECT * FROM rec))`);
console.log(r.getRowsJS());
