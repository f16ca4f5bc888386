// A tiny stand-in for HKEX serving the sample pages (tests/fixtures/hkex/pages), page by page as
// a test asks, and counting what it was asked. For the page shapes the replica does not produce
// on purpose (truncated, inconsistent, empty, not HTML).
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";

export const FIXTURES = path.resolve(import.meta.dirname, "fixtures", "hkex", "pages");
export const fixture = (name: string) => readFileSync(path.join(FIXTURES, name), "utf8");

export interface FakeReply {
  status?: number;
  body: string;
  headers?: Record<string, string>;
}

export type Responder = (req: { method: string; path: string; form: URLSearchParams; count: number; headers: IncomingMessage["headers"] }) => FakeReply;

export interface FakeHkex {
  url: string;
  /** requests per key: "GET /sdw/search/searchsdw.aspx", "POST 00700", … */
  counts: Map<string, number>;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** `routes` by key: "POST <code>" for a holdings search, else "<METHOD> <path without query>". */
export async function startFakeHkex(routes: Record<string, Responder>): Promise<FakeHkex> {
  const counts = new Map<string, number>();
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://fake.invalid");
    const method = req.method ?? "GET";
    const form = new URLSearchParams(method === "POST" ? await readBody(req) : "");
    const code = form.get("txtStockCode");
    const key = method === "POST" && code ? `POST ${code}` : `${method} ${url.pathname}`;
    const count = (counts.get(key) ?? 0) + 1;
    counts.set(key, count);
    const route = routes[key];
    const reply: FakeReply = route ? route({ method, path: url.pathname, form, count, headers: req.headers }) : { status: 404, body: "not found" };
    res.writeHead(reply.status ?? 200, { "content-type": "text/html; charset=utf-8", ...reply.headers });
    res.end(reply.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The tables a scrape writes, and the dimension rebuilt after it. */
export const DATASET_TABLES = ["holdings", "summary", "stocks", "participants", "southbound"] as const;

/**
 * Rows in one dataset and not the other, per table, both ways (EXCEPT ALL keeps duplicates, so
 * a row stored twice counts). All zeros: the two datasets hold exactly the same rows.
 */
export async function diffDatasets(a: string, b: string): Promise<Record<string, [number, number]>> {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const db = await DuckDBInstance.create(":memory:");
  const c = await db.connect();
  const out: Record<string, [number, number]> = {};
  const src = (root: string, t: string) =>
    t === "participants_dim"
      ? `read_parquet('${root}/participants_dim.parquet')`
      : `read_parquet('${root}/${t}/month=*/*.parquet', hive_partitioning = false)`;
  try {
    for (const t of [...DATASET_TABLES, "participants_dim"]) {
      const n = async (x: string, y: string) =>
        Number((await c.runAndReadAll(`SELECT count(*) FROM (SELECT * FROM ${src(x, t)} EXCEPT ALL SELECT * FROM ${src(y, t)})`)).getRowsJS()[0]![0]);
      out[t] = [await n(a, b), await n(b, a)];
    }
  } finally {
    c.closeSync();
    db.closeSync();
  }
  return out;
}

/** Row counts per table: a diff of zero between two empty datasets would prove nothing. */
export async function rowCounts(root: string): Promise<Record<string, number>> {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const db = await DuckDBInstance.create(":memory:");
  const c = await db.connect();
  const out: Record<string, number> = {};
  try {
    for (const t of DATASET_TABLES)
      out[t] = Number((await c.runAndReadAll(`SELECT count(*) FROM read_parquet('${root}/${t}/month=*/*.parquet', hive_partitioning = false)`)).getRowsJS()[0]![0]);
  } finally {
    c.closeSync();
    db.closeSync();
  }
  return out;
}

export const ZERO_DIFF = Object.fromEntries([...DATASET_TABLES, "participants_dim"].map((t) => [t, [0, 0]]));
