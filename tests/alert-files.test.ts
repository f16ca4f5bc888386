// Big changes and Atom feeds (data-loaders/publish/alert-files.ts, docs/DATASETS.md "feeds/" and
// "big-changes.json.gz"): the feeds are well-formed Atom (parsed by Chromium's strict XML parser)
// with the required elements, unique ids and RFC 3339 dates; the transfers feed holds exactly the
// transfers download's likely pairs of the last 30 stored dates; big-changes.json equals a two-date
// query of the dataset's Parquet; two runs give the same bytes.
import { mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeAlertFiles } from "../data-loaders/publish/alert-files.ts";
import { xmlEscape } from "../data-loaders/publish/atom.ts";
import { BIG_CHANGE_FLOOR_PCT } from "../data-loaders/publish/big-changes.ts";
import { openAnalytics, type Analytics } from "../data-loaders/compute/cache.ts";
import { createDownloadSources, writeDownloadParts } from "../data-loaders/publish/downloads.ts";
import { openDb, rows } from "../data-loaders/compute/duck.ts";
import { FEED_DAYS } from "../data-loaders/publish/feeds.ts";
import { readGzipJson } from "../data-loaders/publish/gzip-json.ts";
import { LIKELY_MIN_CONFIDENCE } from "../data-loaders/publish/likely.ts";
import { sqlString } from "../src/lib/sql.ts";
import { writeSyntheticDataset } from "../src/replica/dataset-writer.ts";
import { launchBrowser } from "./helpers/browser.ts";

let scratch: string;
let data: string;
let a: Analytics;
let tree: string;
let tree2: string;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), "ccass-alerts-"));
  data = path.join(scratch, "data");
  // hostile names: HTML, quotes and formula payloads that the XML must escape
  await writeSyntheticDataset({ out: data, seed: 6, stocks: 40, days: 35, end: "2026-01-23", hostileNames: true });
  a = await openAnalytics(data, { cache: path.join(scratch, "cache") });
  tree = path.join(scratch, "tree");
  tree2 = path.join(scratch, "tree2");
  await createDownloadSources(a.db.conn, a.data);
  await writeDownloadParts(a.db.conn, path.join(tree, "downloads"), { years: [2025, 2026], level: () => 3 });
  await writeAlertFiles(a, tree);
  await mkdir(tree2);
  await writeAlertFiles(a, tree2);
  browser = await launchBrowser();
  page = await (await browser.newContext()).newPage();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  a?.db.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

interface ParsedFeed {
  error: string | null;
  ns: string | null;
  root: string | null;
  feed: Record<string, string[]>;
  selfLinks: number;
  entries: { id: string[]; title: string[]; updated: string[]; alternate: string[]; summary: string[] }[];
}

/** The feed parsed by Chromium's XML parser (strict: any well-formedness error is a parsererror). */
async function parseFeed(text: string): Promise<ParsedFeed> {
  return page.evaluate((xml) => {
    const doc = new DOMParser().parseFromString(xml, "application/xml");
    const err = doc.getElementsByTagName("parsererror")[0];
    const root = doc.documentElement;
    const kids = (el: Element, name: string) => Array.from(el.children).filter((c) => c.localName === name);
    const texts = (el: Element, name: string) => kids(el, name).map((c) => c.textContent ?? "");
    return {
      error: err ? (err.textContent ?? "parsererror") : null,
      ns: root.namespaceURI,
      root: root.localName,
      feed: Object.fromEntries(["id", "title", "updated", "author"].map((n) => [n, texts(root, n)])),
      selfLinks: kids(root, "link").filter((l) => l.getAttribute("rel") === "self").length,
      entries: kids(root, "entry").map((e) => ({
        id: texts(e, "id"),
        title: texts(e, "title"),
        updated: texts(e, "updated"),
        alternate: kids(e, "link").filter((l) => (l.getAttribute("rel") ?? "alternate") === "alternate").map((l) => l.getAttribute("href") ?? ""),
        summary: texts(e, "summary"),
      })),
    };
  }, text);
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

function expectValidAtom(f: ParsedFeed, where: string) {
  expect(f.error, where).toBeNull();
  expect([f.ns, f.root], where).toEqual(["http://www.w3.org/2005/Atom", "feed"]);
  for (const k of ["id", "title", "updated", "author"]) expect(f.feed[k], `${where} feed ${k}`).toHaveLength(1);
  expect(f.feed.updated![0]).toMatch(RFC3339);
  expect(f.selfLinks, where).toBe(1);
  for (const e of f.entries) {
    for (const k of ["id", "title", "updated"] as const) expect(e[k], `${where} entry ${k}`).toHaveLength(1);
    expect(e.id[0], where).toMatch(/^urn:[a-z0-9-]+:\S+$/);
    expect(e.updated[0], where).toMatch(RFC3339);
    expect(e.alternate, where).toHaveLength(1);
    expect(e.alternate[0], where).toMatch(/^stock\?code=\d{5}&date=\d{4}-\d{2}-\d{2}&compare=\d{4}-\d{2}-\d{2}$/);
    // updated is the settlement date of the entry, not the clock
    expect(e.updated[0]!.slice(0, 10), where).toBe(/date=(\d{4}-\d{2}-\d{2})/.exec(e.alternate[0]!)![1]);
  }
  expect(new Set(f.entries.map((e) => e.id[0])).size, `${where}: ids unique`).toBe(f.entries.length);
  // the feed's updated is its newest entry's
  if (f.entries.length) expect(f.feed.updated![0]).toBe([...f.entries.map((e) => e.updated[0]!)].sort().at(-1));
}

describe("Atom feeds", () => {
  it("every feed is well-formed Atom: required elements, unique ids, RFC 3339 dates, a link to the page", async () => {
    const files = [
      "transfers.xml",
      "big-changes.xml",
      ...(await readdir(path.join(tree, "feeds", "stocks"))).map((f) => `stocks/${f}`),
      ...(await readdir(path.join(tree, "feeds", "participants"))).map((f) => `participants/${f}`),
    ];
    expect(files.filter((f) => f.startsWith("stocks/")).length).toBeGreaterThanOrEqual(30);
    let entries = 0;
    for (const f of files) {
      const parsed = await parseFeed(await readFile(path.join(tree, "feeds", f), "utf8"));
      expectValidAtom(parsed, f);
      entries += parsed.entries.length;
    }
    expect(entries).toBeGreaterThan(0);
  }, 120_000);

  it("transfers.xml holds exactly the transfers download's likely pairs of the last 30 stored dates, titled with stock, seller, buyer and share of issued", async () => {
    const feed = await parseFeed(await readFile(path.join(tree, "feeds", "transfers.xml"), "utf8"));
    const db = await openDb(":memory:");
    let want: { date: string; stock_code: string; seller_id: string; seller_name: string; buyer_id: string; buyer_name: string; pct_of_issued: number }[];
    try {
      const parts = `read_parquet(${sqlString(path.join(tree, "downloads", "transfers", "*", "*.parquet"))}, hive_partitioning = false)`;
      const days = `read_parquet(${sqlString(path.join(data, "summary", "*", "*.parquet"))}, hive_partitioning = false)`;
      want = await rows(
        db.conn,
        `SELECT strftime(date, '%Y-%m-%d') AS date, stock_code, seller_id, seller_name, buyer_id, buyer_name, pct_of_issued FROM ${parts}
         WHERE confidence >= ${LIKELY_MIN_CONFIDENCE} AND date >= (SELECT min(date) FROM (SELECT DISTINCT date FROM ${days} ORDER BY date DESC LIMIT ${FEED_DAYS}))
         ORDER BY date DESC, pct_of_issued DESC`,
      );
    } finally {
      db.close();
    }
    expect(want.length).toBeGreaterThan(5);
    const key = (date: string, code: string, s: string, b: string) => `${date} ${code} ${s} ${b}`;
    const got = feed.entries.map((e) => {
      const [, date, code, s, b] = /^urn:ccass-observatory:transfer:([\d-]+):(\d{5}):([^:]+):([^:]+)/.exec(e.id[0]!)!;
      return key(date!, code!, decodeURIComponent(s!), decodeURIComponent(b!));
    });
    expect(got.sort()).toEqual(want.map((w) => key(w.date, w.stock_code, w.seller_id, w.buyer_id)).sort());
    for (const w of want) {
      const e = feed.entries.find((x) => x.id[0]!.includes(`:${w.date}:${w.stock_code}:${encodeURIComponent(w.seller_id)}:${encodeURIComponent(w.buyer_id)}`))!;
      const t = e.title[0]!;
      expect(t.startsWith(`${w.stock_code} `)).toBe(true);
      expect(t).toContain(`${w.pct_of_issued.toFixed(4)} % of issued`);
      for (const [id, name] of [[w.seller_id, w.seller_name], [w.buyer_id, w.buyer_name]] as const) {
        expect(t).toContain(name); // the parsed text is the name as listed: escaped in the XML, not altered
        if (/^[A-Z]\d{5}$/.test(id)) expect(t).toContain(`${id} ${name}`);
      }
    }
  }, 60_000);

  it("escapes untrusted text and drops characters XML cannot carry", () => {
    expect(xmlEscape(`<script>alert("x")</script> & 'y'`)).toBe("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &apos;y&apos;");
    expect(xmlEscape("a\u0000b\u0008c\tok\uFFFE")).toBe("abc\tok");
  });

  it("a second run writes the same bytes", async () => {
    const list = async (root: string, rel = ""): Promise<string[]> => {
      const out: string[] = [];
      for (const e of (await readdir(path.join(root, rel), { withFileTypes: true })).sort((x, y) => (x.name < y.name ? -1 : 1))) {
        const r = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) out.push(...(await list(root, r)));
        else out.push(r);
      }
      return out;
    };
    const files = (await list(path.join(tree, "feeds"))).map((f) => `feeds/${f}`).concat("big-changes.json.gz");
    expect(await list(path.join(tree2, "feeds"))).toEqual(files.filter((f) => f.startsWith("feeds/")).map((f) => f.slice(6)));
    for (const f of files) expect((await readFile(path.join(tree, f))).equals(await readFile(path.join(tree2, f))), f).toBe(true);
  });
});

describe("big-changes.json.gz", () => {
  it("each span's changes are exactly a two-date query of the dataset's holdings (changes ≥ the floor, exits included)", async () => {
    type Doc = { spans: { days: number; from: string; to: string }[]; changes: Record<string, (string | number)[]>; names: Record<string, string> };
    const doc = await readGzipJson<Doc>(path.join(tree, "big-changes.json.gz"));
    expect(doc.spans.map((s) => s.days)).toEqual([1, 5, 20]);
    const db = await openDb(":memory:");
    try {
      const hold = `read_parquet(${sqlString(path.join(data, "holdings", "*", "*.parquet"))}, hive_partitioning = false)`;
      const summ = `read_parquet(${sqlString(path.join(data, "summary", "*", "*.parquet"))}, hive_partitioning = false)`;
      let exits = 0;
      for (const span of doc.spans) {
        // stocks without a change of issued shares between the dates: no split to adjust for
        const want = await rows<{ stock_code: string; key: string; change: number; change_pp: number }>(
          db.conn,
          `WITH s AS (
             SELECT stock_code FROM ${summ} WHERE date IN (DATE '${span.from}', DATE '${span.to}') AND issued_shares > 0
             GROUP BY stock_code HAVING count(*) = 2 AND min(issued_shares) = max(issued_shares)
           ), h AS (
             SELECT stock_code, participant_key AS key,
               coalesce(sum(shares) FILTER (WHERE date = DATE '${span.to}'), 0) - coalesce(sum(shares) FILTER (WHERE date = DATE '${span.from}'), 0) AS change
             FROM ${hold} WHERE date IN (DATE '${span.from}', DATE '${span.to}') AND stock_code IN (SELECT stock_code FROM s) GROUP BY ALL
           )
           SELECT h.stock_code, h.key, h.change, round(h.change * 100.0 / x.issued_shares, 4) AS change_pp
           FROM h JOIN ${summ} x ON x.stock_code = h.stock_code AND x.date = DATE '${span.to}'
           WHERE abs(h.change) * 100.0 / x.issued_shares >= ${BIG_CHANGE_FLOOR_PCT} ORDER BY 1, 2`,
        );
        const c = doc.changes;
        const stocks = new Set(want.map((w) => w.stock_code));
        const got = c.days!.map((d, i) => ({ d, stock_code: c.stock_code![i] as string, key: c.key![i] as string, change: c.change![i] as number, change_pp: c.change_pp![i] as number, after: c.shares_after![i] as number }))
          .filter((r) => r.d === span.days);
        exits += got.filter((r) => r.after === 0).length;
        const comparable = got.filter((r) => stocks.has(r.stock_code)).map(({ stock_code, key, change, change_pp }) => ({ stock_code, key, change, change_pp }));
        comparable.sort((x, y) => (x.stock_code + x.key < y.stock_code + y.key ? -1 : 1));
        expect(want.length, `span ${span.days}`).toBeGreaterThan(0);
        expect(comparable, `span ${span.days}`).toEqual(want);
      }
      expect(exits, "a sell-out is a change to 0").toBeGreaterThan(0);
    } finally {
      db.close();
    }
  }, 60_000);
});
