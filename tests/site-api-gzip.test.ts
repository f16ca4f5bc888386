// The pages' one fetch helper (src/pages/components/api.js) reads the stock and participant JSON,
// stored gzip-compressed, in both forms a server may deliver: the stored gzip bytes (GitHub Pages
// serves `.gz` as a binary file) or JSON already inflated by the browser because the server sent
// `Content-Encoding: gzip` (Framework's preview server, some CDNs). Run in Node with a stub fetch.
import path from "node:path";
import { pathToFileURL } from "node:url";
import { gunzipSync } from "node:zlib";
import { afterEach, describe, expect, it, vi } from "vitest";
import { gzipJson } from "../data-loaders/publish/gzip-json.ts";

interface Api {
  fetchStock(code: string): Promise<unknown>;
  fetchParticipant(key: string): Promise<unknown>;
  parseMaybeGzipJson(bytes: ArrayBuffer | Uint8Array): Promise<unknown>;
}
const modulePath = pathToFileURL(path.join(import.meta.dirname, "..", "src", "pages", "components", "api.js")).href;
const { fetchParticipant, fetchStock, parseMaybeGzipJson } = (await import(modulePath)) as Api;

const page = { schema_version: 4, stock_code: "00700", name: "TENCENT ＜中文＞", dates: ["2026-11-20"], southbound: null };

function serve(files: Record<string, Buffer | Uint8Array | string>) {
  const asked: string[] = [];
  vi.stubGlobal("fetch", async (url: string) => {
    asked.push(url);
    const body = files[url];
    return body === undefined ? new Response("missing", { status: 404 }) : new Response(typeof body === "string" ? body : new Uint8Array(body));
  });
  return asked;
}

afterEach(() => vi.unstubAllGlobals());

describe("the pages' JSON fetch helper", () => {
  it("inflates a stored .json.gz file", async () => {
    const asked = serve({ "./_file/api/v1/stocks/00700.json.gz": await gzipJson(JSON.stringify(page)) });
    expect(await fetchStock("00700")).toEqual(page);
    expect(asked).toEqual(["./_file/api/v1/stocks/00700.json.gz"]);
  });

  it("reads the same file as plain JSON when the server already had the browser inflate it", async () => {
    serve({ "./_file/api/v1/participants/ip-0123456789ab-2.json.gz": JSON.stringify({ key: "ip:0123456789ab#2" }) });
    expect(await fetchParticipant("ip:0123456789ab#2")).toEqual({ key: "ip:0123456789ab#2" });
  });

  it("answers null for a stock or participant the site does not have, and fails on a broken file", async () => {
    serve({ "./_file/api/v1/stocks/00001.json.gz": new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0]) });
    expect(await fetchStock("00005")).toBeNull();
    expect(await fetchParticipant("C00001")).toBeNull();
    // a gzip stream cut after its header: the inflater's own error, not a 404 taken for "no such stock"
    const err = await fetchStock("00001").then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(Error);
    expect(err!.name).not.toBe("ApiError");
    expect(err!.message).toMatch(/^unexpected end of file$/);
  });

  it("tells gzip from JSON by the first two bytes, not by the name", async () => {
    const text = JSON.stringify(page);
    expect(await parseMaybeGzipJson(new TextEncoder().encode(text))).toEqual(page);
    expect(await parseMaybeGzipJson(new Uint8Array(await gzipJson(text)).buffer)).toEqual(page); // an ArrayBuffer, as Response.arrayBuffer() gives
  });
});

describe("gzip of the exported JSON", () => {
  it("is deterministic: no time, no name, a fixed OS byte; the same text gives the same bytes", async () => {
    const text = JSON.stringify(page);
    const [a, b] = await Promise.all([gzipJson(text), gzipJson(text)]);
    expect(a.equals(b)).toBe(true);
    expect([...a.subarray(0, 10)]).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 3]); // no FNAME flag, mtime 0, level 9, Unix
    expect(gunzipSync(a).toString("utf8")).toBe(text);
  });
});
