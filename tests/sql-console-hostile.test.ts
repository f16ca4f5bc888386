// Shared SQL console links written as an attacker would (issue 19). A link `sql?q=…` runs its query
// on load, in the reader's browser: whoever writes the link chooses the SQL. Each link below tries to
// make DuckDB-WASM read a URL on a second local server (another origin, port 0) that records every
// request it gets; the console must send it none, whatever the SQL looks like, because the engine
// itself refuses (enable_external_access = false, then lock_configuration: sql-console.js), and the
// page must show an error. Beside them, ordinary queries whose strings, comments or column names hold
// COPY, load, set, reset, attach, install must run and show rows.
import { appendFile, readdir, readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestSite, launchBrowser, type TestSite } from "./helpers/browser.ts";

let site: TestSite;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let recorder: Server;
/** Every request the other origin received, as "METHOD /path". */
const received: string[] = [];
/** Requests the page made to any origin other than the site and the recorder (aborted). */
const elsewhere: string[] = [];
/** Messages that report a Content-Security-Policy violation. */
const cspViolations: string[] = [];
let host = "";

beforeAll(async () => {
  // The recorder answers like a permissive file host (CORS open, a small CSV for any path), so a
  // request that reaches it would succeed: nothing but the console itself can stop it.
  recorder = createServer((req: IncomingMessage, res) => {
    received.push(`${req.method} ${req.url}`);
    res.writeHead(200, { "content-type": "text/csv", "access-control-allow-origin": "*", "access-control-allow-headers": "*", "content-length": "8" });
    res.end(req.method === "HEAD" ? undefined : "a,b\n1,2\n");
  });
  await new Promise<void>((resolve) => recorder.listen(0, "127.0.0.1", resolve));
  host = `127.0.0.1:${(recorder.address() as AddressInfo).port}`;
  // The recorder is the site's data host: the pages' Content-Security-Policy allows it (connect-src),
  // so only the engine's own settings stand between a link and the recorder.
  site = await buildTestSite({ stocks: 8, days: 12, dataHost: `http://${host}` });
  browser = await launchBrowser();
  // One context for the whole corpus: the engine (34 MB) is fetched once, then cached.
  context = await browser.newContext();
  const siteOrigin = new URL(site.url).origin;
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith("data:") || url.startsWith("blob:")) return route.continue();
    const origin = new URL(url).origin;
    if (origin === siteOrigin || origin === `http://${host}`) return route.continue();
    elsewhere.push(url);
    return route.abort();
  });
  page = await context.newPage();
  watchPolicy(page);
}, 600_000);

/** Record the page's Content-Security-Policy violations (Chromium reports each on the console). */
function watchPolicy(p: Page): void {
  p.on("console", (msg) => {
    if (/Content.Security.Policy/i.test(msg.text())) cspViolations.push(`${p.url()}: ${msg.text()}`);
  });
}

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await site?.close();
  await new Promise((resolve) => recorder?.close(resolve));
});

/** The page's outcome for a query: its error text, or its result's row count. */
async function open(sql: string): Promise<{ error?: string; rows?: number }> {
  const t0 = performance.now();
  await page.goto(`${site.url}sql?q=${encodeURIComponent(sql)}`);
  const shown = page.getByTestId("sql-error").or(page.getByTestId("sql-result"));
  await shown.first().waitFor({ timeout: 60_000 });
  // Not "networkidle": on a loaded CI runner it once never came within 30 s after the outcome was
  // shown (link 26). It is not needed: the outcome is drawn after the query returns, and DuckDB's file
  // reads are synchronous requests from its worker, so a request the query made has reached the
  // recorder by then; a later one would still fail the next link's check and the whole-corpus check.
  await page.waitForLoadState("load");
  const outcome = (await page.getByTestId("sql-error").count())
    ? { error: await page.getByTestId("sql-error").innerText() }
    : { rows: await page.getByTestId("sql-result").locator("tbody tr").count() };
  // progress for a slow machine: which link, how long, what it showed, requests so far
  if (process.env.CCASS_TEST_PROGRESS) {
    const line = `${Math.round(performance.now() - t0)} ms, ${received.length} received: ${JSON.stringify(sql).slice(0, 80)} → ${JSON.stringify(outcome).slice(0, 160)}\n`;
    await appendFile(process.env.CCASS_TEST_PROGRESS, line);
  }
  return outcome;
}

// URLs to the recorder, hidden from any reading of the text: `n` tells which link sent a request.
const url = (n: number) => `http://${host}/${n}.csv`;
/** An escape string: no "://" in the text. */
const esc = (n: number) => `E'http:\\/\\/${host}/${n}.csv'`;
/** Two literals on two lines, which SQL joins into one string. */
const split = (n: number) => `'http:/'\n'/${host}/${n}.csv'`;

/** [what it tries, the link's SQL] */
const HOSTILE: [string, () => string][] = [
  ["read_csv of a URL", () => `SELECT * FROM read_csv('${url(1)}')`],
  ["a URL as a table name", () => `SELECT * FROM '${url(2)}'`],
  ["an escape string E''", () => `SELECT * FROM ${esc(3)}`],
  ["a literal split over two lines", () => `SELECT * FROM ${split(4)}`],
  ['quoted name "read_csv"', () => `SELECT * FROM "read_csv"(${split(5)})`],
  ["schema-qualified main.read_csv", () => `SELECT * FROM main.read_csv(${esc(6)})`],
  ["catalog-qualified system.main.read_csv", () => `SELECT * FROM system.main.read_csv(${esc(7)})`],
  ["a comment between the name and (", () => `SELECT * FROM read_csv/**/(${esc(8)})`],
  ["a line comment and a newline before (", () => `SELECT * FROM read_csv -- just a table\n(${split(9)})`],
  ['quoted "glob"', () => `SELECT * FROM "glob"(${split(10)})`],
  ['a macro wrapping "read_csv"', () => `CREATE MACRO m(u) AS TABLE SELECT * FROM "read_csv"(u);\nSELECT * FROM m(${esc(11)})`],
  ['quoted "read_csv_auto"', () => `SELECT * FROM "read_csv_auto"(${esc(12)})`],
  ["a URL built with printf", () => `SELECT * FROM "read_csv"(printf('http%s//%s/13.csv', chr(58), '${host}'))`],
  ["a URL built with format", () => `SELECT * FROM "read_csv"(format('{}{}//{}/14.csv', 'http', chr(58), '${host}'))`],
  ["a URL built with replace", () => `SELECT * FROM "read_csv"(replace('http~//${host}/15.csv', '~', chr(58)))`],
  ["a URL built with chr and ||", () => `SELECT * FROM "read_csv"(chr(104) || 'ttp' || chr(58) || '//' || '${host}/16.csv')`],
  ['quoted "read_parquet"', () => `SELECT * FROM "read_parquet"(${esc(17)})`],
  ['quoted "parquet_scan"', () => `SELECT * FROM "parquet_scan"(${esc(18)})`],
  ['quoted "read_json"', () => `SELECT * FROM "read_json"(${esc(19)})`],
  ['quoted "read_json_auto"', () => `SELECT * FROM "read_json_auto"(${esc(20)})`],
  ['quoted "read_ndjson"', () => `SELECT * FROM "read_ndjson"(${esc(21)})`],
  ['quoted "read_text"', () => `SELECT * FROM "read_text"(${esc(22)})`],
  ['quoted "read_blob"', () => `SELECT * FROM "read_blob"(${split(23)})`],
  ['quoted "sniff_csv"', () => `SELECT * FROM "sniff_csv"(${esc(24)})`],
  ['quoted "parquet_metadata"', () => `SELECT * FROM "parquet_metadata"(${esc(25)})`],
  ['quoted "parquet_schema"', () => `SELECT * FROM "parquet_schema"(${esc(26)})`],
  ["ATTACH a URL", () => `ATTACH ${esc(27)} AS remote;\nSELECT * FROM remote.t`],
  ["COPY … FROM a URL", () => `CREATE TABLE t (a VARCHAR, b VARCHAR);\nCOPY t FROM ${esc(28)};\nSELECT * FROM t`],
  ["INSTALL and LOAD httpfs", () => `INSTALL httpfs;\nLOAD httpfs;\nSELECT * FROM "read_csv"(${esc(29)})`],
  ["SET to re-enable external access", () => `SET enable_external_access = true;\nSELECT * FROM "read_csv"(${esc(30)})`],
  ["RESET the lock, then SET", () => `RESET lock_configuration;\nSET enable_external_access = true;\nSELECT * FROM "read_csv"(${esc(31)})`],
  ["several statements, the read last", () => `SELECT 1;\nSELECT 2 AS two;\nSELECT * FROM "read_text"(${split(32)})`],
  ["mixed case, newline before (", () => `SELECT * FROM ReAd_CsV\n(${esc(33)})`],
  ["a list of URLs", () => `SELECT * FROM "read_csv"([${esc(34)}, ${split(34)}])`],
  ["FROM-first, no SELECT", () => `FROM "read_csv"(${esc(35)})`],
  ["a view over a reader", () => `CREATE VIEW v AS SELECT * FROM "read_csv"(${split(36)});\nSELECT * FROM v`],
  ["a CTE over a reader", () => `WITH x AS (SELECT * FROM "read_csv_auto"(${esc(37)})) SELECT count(*) FROM x`],
  ["query() over a built string", () => `SELECT * FROM "query"(concat('FROM read_csv(''http', chr(58), '//${host}/38.csv'')'))`],
  ["a variable holding the URL", () => `SET VARIABLE u = ${esc(39)};\nSELECT * FROM "read_csv"(getvariable('u'))`],
  ["DESCRIBE a reader", () => `DESCRIBE SELECT * FROM "read_csv"(${esc(40)})`],
  ["SUMMARIZE a reader", () => `SUMMARIZE SELECT * FROM "read_text"(${esc(41)})`],
  ["COPY … TO a URL", () => `COPY (SELECT 1 AS a) TO ${esc(42)}`],
  ["LOAD an extension from a URL", () => `LOAD ${esc(43)}`],
  ["SET allowed_directories, then read", () => `SET allowed_directories = [${esc(44)}];\nSELECT * FROM "read_csv"(${esc(44)})`],
  ["a lateral reader over a table of URLs", () => `SELECT * FROM (SELECT ${esc(45)} AS u) s, "read_csv"(s.u)`],
];

// Ordinary queries that a word screen would refuse: the words sit in strings, comments and names.
const ORDINARY: string[] = [
  "SELECT count(*) AS n FROM transfers WHERE seller_name NOT LIKE '%COPY%'",
  "SELECT name FROM participants WHERE name NOT ILIKE '%load%' LIMIT 5",
  "WITH t(reset, attach, install) AS (VALUES (1, 'COPY', 'load')) SELECT reset, attach, install FROM t",
  'SELECT code AS "set", name AS "load" FROM stocks LIMIT 3',
  "SELECT code, name FROM stocks -- then COPY, LOAD, SET, RESET, ATTACH, INSTALL\nLIMIT 3",
  "/* install httpfs; attach 'x.db'; set x = 1 */ SELECT count(*) AS stocks FROM stocks",
  "SELECT 'source: https://www.hkexnews.hk/ (read_csv(...) is not run)' AS note, count(*) AS n FROM stocks",
  "SELECT stock_code, 'SET lock_configuration = false' AS s FROM concentration LIMIT 2",
];

describe("hostile shared links", () => {
  it("the corpus has at least 30 links", () => {
    expect(HOSTILE.length).toBeGreaterThanOrEqual(30);
  });

  it.each(HOSTILE.map(([what, sql], i) => [`${i + 1}. ${what}`, sql] as const))("%s: 0 requests leave the site, DuckDB's error is shown", async (_what, sql) => {
    const before = received.length;
    const q = sql();
    const shown = await open(q);
    const sent = received.slice(before);
    expect(sent, `requests that reached the other origin for:\n${q}`).toEqual([]);
    expect(shown.error, q).toBeDefined();
    // DuckDB's own message ("Permission Error: …", "Catalog Error: …"), not a screen's refusal
    expect(shown.error, q).toMatch(/The query failed:\s+(?:\w+ )+Error: /);
  });

  it("the whole corpus: the other origin received 0 requests, no other origin was asked, no CSP report", () => {
    expect(received).toEqual([]);
    expect(elsewhere).toEqual([]);
    expect(cspViolations).toEqual([]);
  });
});

describe("ordinary queries with those words in strings, comments and names", () => {
  it.each(ORDINARY)("%s: runs and shows rows", async (sql) => {
    const shown = await open(sql);
    expect(shown.error, sql).toBeUndefined();
    expect(shown.rows, sql).toBeGreaterThan(0);
  });
});

describe("the engine's settings after start", () => {
  it("external access is off, the configuration is locked, and a download table still loads", async () => {
    const shown = await open(
      "SELECT current_setting('enable_external_access') AS external, current_setting('lock_configuration') AS locked, current_setting('autoload_known_extensions') AS autoload, (SELECT count(*) FROM stocks) AS stocks",
    );
    expect(shown.error).toBeUndefined();
    const cells = await page.getByTestId("sql-result").locator("tbody tr").first().locator("td").allInnerTexts();
    expect(cells.slice(-4).map((c) => c.trim())).toEqual(["false", "true", "false", "8"]);
  });
});

describe("the Content-Security-Policy on every page (built with the recorder as data host)", () => {
  it("every page carries the policy right after <meta charset>, its inline scripts hashed, the data host in connect-src only", async () => {
    const pages = (await readdir(site.dist)).filter((f) => f.endsWith(".html"));
    expect(pages.length).toBeGreaterThanOrEqual(9);
    for (const file of pages) {
      const html = await readFile(path.join(site.dist, file), "utf8");
      const m = /<meta charset="utf-8">\n<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html);
      expect(m, file).not.toBeNull();
      const policy = m![1]!;
      expect(policy, file).toContain(`connect-src 'self' http://${host};`);
      expect(policy.split(host).length, file).toBe(2);
      expect(policy, file).not.toMatch(/script-src[^;]*'unsafe-(inline|eval)'/);
      const scriptSrc = /script-src ([^;]*)/.exec(policy)![1]!;
      expect((scriptSrc.match(/'sha256-/g) ?? []).length, file).toBe((html.match(/<script(?![^>]*\bsrc=)[^>]*>/g) ?? []).length);
    }
  });

  it("every page works under it: no violation reported, no other origin asked", async () => {
    const api = path.join(site.dist, "_file", "api", "v1");
    const code = (await readdir(path.join(api, "stocks")))[0]!.slice(0, 5);
    const id = (await readdir(path.join(api, "participants")))[0]!.replace(/\.json\.gz$/, "");
    const paths = ["", `stock?code=${code}`, "stock", "transfers", "participants", `participant?id=${id}`, "data", "health", "about", "sql"];
    const before = cspViolations.length;
    for (const p of paths) {
      const tab = await context.newPage();
      watchPolicy(tab);
      const errors: string[] = [];
      tab.on("pageerror", (err) => errors.push(String(err)));
      await tab.goto(site.url + p, { waitUntil: "networkidle" });
      if (p === "sql") await tab.getByTestId("sql-result").waitFor({ timeout: 60_000 });
      expect(errors, p).toEqual([]);
      await tab.close();
    }
    expect(cspViolations.slice(before)).toEqual([]);
    expect(elsewhere).toEqual([]);
  });
});
