// meta.json: latest date, every stored date, counts over the whole history, the synthetic flag.
import { dataSources } from "../archive-credit.ts";
import type { Analytics } from "../../compute/cache.ts";
import { rows } from "../../compute/duck.ts";
import { LIKELY_MIN_CONFIDENCE } from "../likely.ts";
import { hasData, isSynthetic, latestDate, likelySql, SCHEMA_VERSION } from "../common.ts";
import { fullFromYear, historyDataHost, monthEndFromYear } from "../month-end.ts";

const COUNTS_SQL = `
SELECT
  (SELECT count(*) FROM dates) AS dates,
  (SELECT count(*) FROM stock_last) AS stocks,
  (SELECT count(*) FROM stock_last WHERE last_date = (SELECT max(date) FROM dates)) AS stocks_latest,
  (SELECT count(*) FROM participant_stats) AS participants,
  (SELECT coalesce(sum(listed_count), 0) FROM stock_days_history) AS holdings_rows,
  (SELECT count(*) FROM history_pairs) AS transfer_pairs,
  (SELECT count(*) FROM history_pairs WHERE ${likelySql()}) AS likely_transfers,
  (SELECT count(*) FROM stock_days_history WHERE ca_kind IS NOT NULL) AS corporate_actions`;

export async function meta(a: Analytics) {
  const dates = (await rows<{ date: string }>(a.db.conn, "SELECT date FROM dates ORDER BY date")).map((r) => r.date);
  const [counts] = await rows(a.db.conn, COUNTS_SQL);
  const latest = await latestDate(a);
  return {
    schema_version: SCHEMA_VERSION,
    has_data: await hasData(a),
    synthetic: await isSynthetic(a),
    latest_date: latest,
    // the first calendar year whose history parts are at full resolution, and the first at
    // month-end (equal when none is): older years are month-end, then quarter-end before the second
    // (CCASS_SITE_FULL_YEARS, CCASS_SITE_MONTH_END_YEARS, publish/month-end.ts), which the pages say
    history_full_from: latest ? fullFromYear(Number(String(latest).slice(0, 4))) : null,
    history_month_end_from: latest ? monthEndFromYear(Number(String(latest).slice(0, 4))) : null,
    // with a data host (CCASS_DATA_HOST) the older years are read from it at full resolution instead
    history_host: historyDataHost(),
    likely_min_confidence: LIKELY_MIN_CONFIDENCE,
    first_date: dates[0] ?? null,
    dates,
    counts,
    // HKEX, and the Webb-site archive with its credit when the dataset holds imported dates
    sources: dataSources(a.data),
  };
}
