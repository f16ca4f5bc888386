// Which dates a table of the dataset stores: a daily file's date is its name; a compacted month
// file is read for its dates (a month may be partly stored).
import type { DuckDBConnection } from "@duckdb/node-api";
import { withConnection } from "../lib/duckdb.ts";
import { tableLayout, type TableName } from "./layout.ts";
import { sqlList } from "../lib/sql.ts";

/** Every date stored for `table`, daily or compacted, ascending. */
export async function storedDates(out: string, table: TableName, conn?: DuckDBConnection): Promise<string[]> {
  const layout = tableLayout(out, table);
  const dates = new Set(layout.daily.keys());
  if (layout.monthly.size > 0) {
    await withConnection(conn, async (c) => {
      const r = await c.runAndReadAll(
        `SELECT DISTINCT strftime(date, '%Y-%m-%d') AS d FROM read_parquet(${sqlList([...layout.monthly.values()])}, hive_partitioning = false)`,
      );
      for (const row of r.getRows()) dates.add(String(row[0]));
    });
  }
  return [...dates].sort();
}
