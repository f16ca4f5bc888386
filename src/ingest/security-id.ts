// security_id (docs/ARCHIVE.md "security_id"): a stable name for one security, because a stock
// code is not one: HKEX recycles codes, and a security can move to another code (GEM → Main Board).
// - Days imported from Webb-site's archive: `wb:<issueID>`, Webb-site's own key of the security.
// - Scraped days: the archive's id when the archive lists the code in force on that date
//   (`_archive/securities.parquet`, written by the import: a listing from its first trading day up
//   to, not including, its delisting day); otherwise `hk:<code>`. HKEX's pages name no security,
//   so a code the archive does not know is taken as one security for as long as the dataset has it.
// A dataset written before this column existed is migrated in place (migrateSecurityIds, run once
// by the writer, by compact and by `compact --migrate`); it is repeatable: a
// file that has the column is only rewritten when an `hk:` id of it now matches the archive.
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { produceFileAtomic, writeFileAtomic } from "../lib/atomic.ts";
import { archiveSecuritiesFile, monthDir, stateDir, TABLES, type TableName } from "../dataset/layout.ts";
import { sqlString } from "../lib/sql.ts";

export const SCRAPED_SECURITY_PREFIX = "hk:";
export const ARCHIVE_SECURITY_PREFIX = "wb:";

/** The tables that carry security_id. */
export const SECURITY_TABLES: readonly TableName[] = ["summary", "stocks"];

/** SQL for the security_id of a scraped row, from its code and date expressions (qualified: the subquery has a stock_code of its own). */
export function scrapedSecurityIdSql(root: string, code: string, date: string): string {
  const file = archiveSecuritiesFile(root);
  const own = `'${SCRAPED_SECURITY_PREFIX}' || ${code}`;
  if (!existsSync(file)) return own;
  return `coalesce((SELECT s.security_id FROM read_parquet(${sqlString(file)}) s
                    WHERE s.stock_code = ${code} AND (s.first_trade_date IS NULL OR s.first_trade_date <= ${date}) AND (s.delist_date IS NULL OR ${date} < s.delist_date)
                    ORDER BY s.first_trade_date DESC NULLS LAST, s.security_id LIMIT 1), ${own})`;
}

async function columnsOf(c: DuckDBConnection, file: string): Promise<string[]> {
  const r = await c.runAndReadAll(`SELECT name FROM parquet_schema(${sqlString(file)}) WHERE num_children IS NULL OR num_children = 0`);
  return r.getRowsJS().map((row) => String(row[0]));
}

/**
 * Give every summary/stocks file of `root` (or of one month) its security_id: files without the
 * column get it; `hk:` ids that the archive now knows become the archive's. Rows keep their order.
 * Returns the files rewritten. The writer passes relink: false (its new rows carry the archive's id
 * already; only files from before the column need it).
 */
export async function migrateSecurityIds(c: DuckDBConnection, root: string, month?: string, opts: { relink?: boolean } = {}): Promise<string[]> {
  const relink = opts.relink ?? true;
  const rewritten: string[] = [];
  for (const table of SECURITY_TABLES) {
    const dirs = month ? [monthDir(root, table, month)] : existsSync(path.join(root, table)) ? readdirSync(path.join(root, table)).filter((d) => d.startsWith("month=")).map((d) => path.join(root, table, d)) : [];
    for (const dir of dirs) {
      if (!existsSync(dir)) continue;
      for (const name of readdirSync(dir).sort()) {
        if (!name.endsWith(".parquet") || name.startsWith(".")) continue;
        const file = path.join(dir, name);
        const cols = await columnsOf(c, file);
        const derived = scrapedSecurityIdSql(root, "o.stock_code", "o.date");
        let select: string;
        if (!cols.includes("security_id")) select = `SELECT o.*, ${derived} AS security_id FROM read_parquet(${sqlString(file)}, hive_partitioning = false) o`;
        else {
          if (!relink || !existsSync(archiveSecuritiesFile(root))) continue;
          const stale = await c.runAndReadAll(
            `SELECT count(*) FROM read_parquet(${sqlString(file)}, hive_partitioning = false) o WHERE o.security_id LIKE '${SCRAPED_SECURITY_PREFIX}%' AND ${derived} <> o.security_id`,
          );
          if (Number(stale.getRowsJS()[0]?.[0] ?? 0) === 0) continue;
          select = `SELECT o.* REPLACE (CASE WHEN o.security_id LIKE '${SCRAPED_SECURITY_PREFIX}%' THEN ${derived} ELSE o.security_id END AS security_id) FROM read_parquet(${sqlString(file)}, hive_partitioning = false) o`;
        }
        await c.run(`CREATE OR REPLACE TEMP TABLE security_migrate AS ${select}`);
        await produceFileAtomic(file, async (tmp) => {
          await c.run(`COPY security_migrate TO ${sqlString(tmp)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)`);
        });
        await c.run("DROP TABLE security_migrate");
        rewritten.push(file);
      }
    }
  }
  void TABLES;
  return rewritten;
}

/**
 * Once per dataset: every summary/stocks file given the column (a full pass, then a marker in
 * `_state/`), so that readers never meet old and new files side by side after an upgrade. The
 * writer calls it when it opens a dataset; it is cheap once the marker exists.
 */
export async function ensureSecurityIds(c: DuckDBConnection, root: string): Promise<void> {
  const marker = path.join(stateDir(root), "security-id-migrated");
  if (existsSync(marker)) return;
  const hasTables = SECURITY_TABLES.some((t) => existsSync(path.join(root, t)));
  if (hasTables) await migrateSecurityIds(c, root, undefined, { relink: false });
  await writeFileAtomic(marker, "summary and stocks carry security_id (src/ingest/security-id.ts)\n");
}
