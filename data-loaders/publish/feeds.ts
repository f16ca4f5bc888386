// Atom feeds of the static API (docs/DATASETS.md "feeds/"), so readers are told instead of having to
// check: the likely transfers (confidence ≥ LIKELY_MIN_CONFIDENCE, the one rule of likely.ts) and the
// day-over-day big changes (≥ the big-changes page's default threshold of issued shares) of the last
// FEED_DAYS stored dates, market-wide (`feeds/transfers.xml`, `feeds/big-changes.xml`), per stock
// (`feeds/stocks/<code>.xml`) and per participant (`feeds/participants/<file>.xml`, file names as
// `participants/`). Each entry links to the stock page's two-date view of that day (the change from
// the stock's previous stored date). Every stock and participant with a page gets a feed, empty or
// not, so a page can always announce its feed. Needs `createDownloadSources` on the connection.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { atomXml, type AtomEntry } from "./atom.ts";
import { BIG_CHANGE_DEFAULT } from "./big-changes.ts";
import { rows } from "../compute/duck.ts";
import { participantFile } from "./ids.ts";
import { LIKELY_MIN_CONFIDENCE } from "./likely.ts";
import { pct } from "./common.ts";

/** Feeds cover this many stored dates, ending with the latest. */
export const FEED_DAYS = 30;
/** A day-over-day change of at least this share of issued (percent) is a big-change entry. */
export const FEED_BIG_CHANGE_PCT = BIG_CHANGE_DEFAULT.min_pct;

const ID = /^[A-Z]\d{5}$/;
/** "C00019 HSBC" or "investor participant ABC" (investor participants have no CCASS ID). */
const who = (key: string, name: string | null) => `${ID.test(key) ? key : "investor participant"} ${name ?? "(no name listed)"}`.trim();
const urnPart = (s: string) => encodeURIComponent(s);
const fmtPct = (x: number) => `${x.toFixed(4)} %`;
const viewHref = (code: string, date: string, prev: string | null) =>
  `stock?code=${code}&date=${date}${prev ? `&compare=${prev}` : ""}`;

interface Item extends AtomEntry {
  stock_code: string;
  keys: string[];
}

interface TransferRow {
  date: string;
  prev: string | null;
  stock_code: string;
  stock_name: string | null;
  seller_id: string;
  seller_name: string | null;
  buyer_id: string;
  buyer_name: string | null;
  shares: number;
  pct_of_issued: number;
  confidence: number;
  group: number;
}

interface ChangeRow {
  date: string;
  prev: string | null;
  stock_code: string;
  stock_name: string | null;
  key: string;
  name: string | null;
  shares: number;
  change: number;
  change_pp: number;
}

const feedStart = `(SELECT min(date) FROM (SELECT date FROM dates ORDER BY date DESC LIMIT ${FEED_DAYS}))`;

async function transferItems(conn: DuckDBConnection): Promise<Item[]> {
  const list = await rows<TransferRow>(
    conn,
    `SELECT strftime(t.date, '%Y-%m-%d') AS date, strftime(p.date, '%Y-%m-%d') AS prev, t.stock_code, s.stock_name,
       t.seller_id, t.seller_name, t.buyer_id, t.buyer_name, t.shares, t.pct_of_issued, t.confidence, t."group"
     FROM dl_transfers t JOIN stock_days_history s USING (stock_code, date) LEFT JOIN stock_days_history p ON p.stock_code = s.stock_code AND p.security_id = s.security_id AND p.seq = s.seq - 1
     WHERE t.date >= ${feedStart} AND t.confidence >= ${LIKELY_MIN_CONFIDENCE}
     ORDER BY t.date DESC, t.pct_of_issued DESC, t.stock_code, t."group", t.buyer_id, t.seller_id`,
  );
  const seen = new Set<string>();
  return list.map((t) => {
    let id = `urn:ccass-observatory:transfer:${t.date}:${t.stock_code}:${urnPart(t.seller_id)}:${urnPart(t.buyer_id)}`;
    if (seen.has(id)) id += `:${t.group}`; // the same two parties in two matched sets of one stock-day
    seen.add(id);
    return {
      id,
      stock_code: t.stock_code,
      keys: [t.seller_id, t.buyer_id],
      date: t.date,
      title: `${t.stock_code} ${t.stock_name ?? ""}: ${who(t.seller_id, t.seller_name)} → ${who(t.buyer_id, t.buyer_name)}, ${fmtPct(t.pct_of_issued)} of issued`,
      href: viewHref(t.stock_code, t.date, t.prev),
      summary: `Likely transfer on ${t.date} of ${t.shares} shares of ${t.stock_code} (${fmtPct(t.pct_of_issued)} of issued shares) from ${who(t.seller_id, t.seller_name)} to ${who(t.buyer_id, t.buyer_name)}; confidence ${t.confidence.toFixed(2)}.`,
    };
  });
}

async function changeItems(conn: DuckDBConnection): Promise<Item[]> {
  const list = await rows<ChangeRow>(
    conn,
    `SELECT strftime(c.date, '%Y-%m-%d') AS date, strftime(p.date, '%Y-%m-%d') AS prev, c.stock_code, s.stock_name,
       c.participant_key AS key, n.name, c.shares, c.change, ${pct("c.change * 100.0 / s.issued_shares")} AS change_pp
     FROM chunk_change_points c JOIN stock_days_history s USING (stock_code, date) JOIN stock_days_history p ON p.stock_code = s.stock_code AND p.security_id = s.security_id AND p.seq = s.seq - 1
     LEFT JOIN dl_day_names n ON n.date = c.date AND n.pkey = c.participant_key
     WHERE c.date >= ${feedStart} AND c.change IS NOT NULL AND abs(c.change) * 100.0 / s.issued_shares >= ${FEED_BIG_CHANGE_PCT}
     ORDER BY c.date DESC, abs(change_pp) DESC, c.stock_code, c.participant_key`,
  );
  return list.map((c) => ({
    id: `urn:ccass-observatory:big-change:${c.date}:${c.stock_code}:${urnPart(c.key)}`,
    stock_code: c.stock_code,
    keys: [c.key],
    date: c.date,
    title: `${c.stock_code} ${c.stock_name ?? ""}: ${who(c.key, c.name)} ${c.change_pp > 0 ? "+" : ""}${fmtPct(c.change_pp)} of issued in one day`,
    href: viewHref(c.stock_code, c.date, c.prev),
    summary: `${who(c.key, c.name)} ${c.change > 0 ? "added" : "removed"} ${Math.abs(c.change)} shares of ${c.stock_code} between ${c.prev} and ${c.date} (${c.change_pp > 0 ? "+" : ""}${fmtPct(c.change_pp)} of issued shares), holding ${c.shares} after.`,
  }));
}

/** Newest first; within a day transfers before changes (each list already in its order). */
function merged(transfers: readonly Item[], changes: readonly Item[]): Item[] {
  return [...transfers, ...changes].map((e, i) => ({ e, i })).sort((x, y) => (x.e.date < y.e.date ? 1 : x.e.date > y.e.date ? -1 : x.i - y.i)).map((x) => x.e);
}

function groupBy(items: readonly Item[], keysOf: (e: Item) => string[]): Map<string, Item[]> {
  const out = new Map<string, Item[]>();
  for (const e of items) for (const k of new Set(keysOf(e))) out.set(k, [...(out.get(k) ?? []), e]);
  return out;
}

/**
 * Write `dir` (the tree's `feeds/`). Returns the bytes of every feed written, by path under the tree.
 */
export async function writeFeeds(conn: DuckDBConnection, dir: string): Promise<Map<string, number>> {
  const latest = (await rows<{ d: string | null }>(conn, `SELECT strftime(max(date), '%Y-%m-%d') AS d FROM dates`))[0]?.d ?? null;
  const transfers = await transferItems(conn);
  const changes = await changeItems(conn);
  const written = new Map<string, number>();
  const write = async (rel: string, feed: Omit<Parameters<typeof atomXml>[0], "self" | "latestDate">) => {
    const text = atomXml({ ...feed, self: `_file/api/v1/feeds/${rel}`, latestDate: latest });
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), text);
    written.set(`feeds/${rel}`, Buffer.byteLength(text));
  };
  const span = `the last ${FEED_DAYS} stored settlement dates`;
  await write("transfers.xml", {
    id: "urn:ccass-observatory:feed:transfers",
    title: "CCASS Observatory: likely transfers",
    subtitle: `Likely transfers between CCASS participants (confidence ≥ ${LIKELY_MIN_CONFIDENCE}) over ${span}, market-wide.`,
    alternate: "transfers",
    entries: transfers,
  });
  await write("big-changes.xml", {
    id: "urn:ccass-observatory:feed:big-changes",
    title: "CCASS Observatory: big changes",
    subtitle: `Day-over-day changes of a participant's holding of at least ${FEED_BIG_CHANGE_PCT} % of issued shares over ${span}, market-wide.`,
    alternate: "big-changes",
    entries: changes,
  });
  const codes = (await rows<{ c: string; n: string | null }>(conn, `SELECT l.stock_code AS c, n.stock_name AS n FROM stock_last l LEFT JOIN stock_names n USING (stock_code) ORDER BY 1`)).filter(
    (r) => /^\d{5}$/.test(r.c), // codes become file names: never trusted
  );
  const byStock = groupBy(merged(transfers, changes), (e) => [e.stock_code]);
  for (const { c, n } of codes) {
    await write(`stocks/${c}.xml`, {
      id: `urn:ccass-observatory:feed:stock:${c}`,
      title: `CCASS Observatory: ${c} ${n ?? ""}`.trim(),
      subtitle: `Likely transfers and big changes in ${c} over ${span}.`,
      alternate: `stock?code=${c}`,
      entries: byStock.get(c) ?? [],
    });
  }
  const people = await rows<{ k: string; n: string | null }>(conn, `SELECT p.pkey AS k, n.name AS n FROM participant_stats p LEFT JOIN participant_names n USING (pkey) ORDER BY 1`);
  const byParticipant = groupBy(merged(transfers, changes), (e) => e.keys);
  for (const { k, n } of people) {
    const file = participantFile(k).replace(/\.json$/, ".xml");
    await write(`participants/${file}`, {
      id: `urn:ccass-observatory:feed:participant:${urnPart(k)}`,
      title: `CCASS Observatory: ${who(k, n)}`,
      subtitle: `Likely transfers and big changes of ${who(k, n)} over ${span}.`,
      alternate: `participant?id=${encodeURIComponent(k)}`,
      entries: byParticipant.get(k) ?? [],
    });
  }
  return written;
}
