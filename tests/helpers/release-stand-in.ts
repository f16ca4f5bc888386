// A stand-in for GitHub's Releases API and its asset host, on 127.0.0.1 (port 0), for the tests of
// closed years published once (tests/year-release.test.ts, tests/year-retire.test.ts): releases and
// assets kept in memory; downloads answered with CORS, range requests honoured, and on demand a
// 404, a stall, a truncated or an altered file. Nothing leaves the machine.
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface Asset {
  id: number;
  name: string;
  size: number;
  state: string;
  digest: string;
  bytes: Buffer;
}
export interface Release {
  id: number;
  tag_name: string;
  draft: boolean;
  assets: Asset[];
}

/** The stand-in: GitHub's REST calls the publisher makes, and the download host. */
export class StandIn {
  server: Server;
  base = "";
  releases: Release[] = [];
  nextId = 1;
  calls: string[] = [];
  downloads: { name: string; range: string | null }[] = [];
  /** Per asset name: how the next downloads misbehave ("404", "stall", "truncate", "corrupt"), consumed one per request. */
  faults = new Map<string, string[]>();
  /** Uploads after this many answer 403 (a run cut short); null: no limit. */
  uploadLimit: number | null = null;
  /** The next upload answers 502 this many times (a flaky API: retried). */
  flakyUploads = 0;
  uploads = 0;

  constructor() {
    this.server = createServer((req, res) => void this.handle(req, res).catch((err) => { res.statusCode = 500; res.end(String(err)); }));
  }
  async start() {
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  view(r: Release) {
    return {
      id: r.id, tag_name: r.tag_name, draft: r.draft, upload_url: `${this.base}/uploads/${r.id}/assets{?name,label}`,
      assets: r.assets.map((a) => ({ id: a.id, name: a.name, size: a.size, state: a.state, digest: a.digest, browser_download_url: `${this.base}/dl/${r.draft ? `untagged-${r.id}` : r.tag_name}/${a.name}` })),
    };
  }
  async handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url!, this.base);
    const body = await new Promise<Buffer>((r) => { const c: Buffer[] = []; req.on("data", (b: Buffer) => c.push(b)); req.on("end", () => r(Buffer.concat(c))); });
    const json = (status: number, x: unknown) => { res.writeHead(status, { "content-type": "application/json" }); res.end(x === undefined ? "" : JSON.stringify(x)); };
    if (url.pathname.startsWith("/dl/")) return this.download(req, res, url);
    this.calls.push(`${req.method} ${url.pathname}`);
    if (req.headers.authorization !== "Bearer t0ken") return json(401, { message: "Bad credentials" });
    let m;
    if (req.method === "GET" && /^\/repos\/o\/r\/releases$/.test(url.pathname)) {
      const page = Number(url.searchParams.get("page") ?? 1);
      return json(200, page === 1 ? this.releases.map((r) => this.view(r)) : []);
    }
    if (req.method === "POST" && url.pathname === "/repos/o/r/releases") {
      const x = JSON.parse(body.toString()) as { tag_name: string; draft: boolean };
      const r: Release = { id: this.nextId++, tag_name: x.tag_name, draft: x.draft, assets: [] };
      this.releases.push(r);
      return json(201, this.view(r));
    }
    if ((m = /^\/repos\/o\/r\/releases\/(\d+)$/.exec(url.pathname))) {
      const r = this.releases.find((x) => x.id === Number(m![1]));
      if (!r) return json(404, { message: "Not Found" });
      if (req.method === "PATCH") r.draft = (JSON.parse(body.toString()) as { draft: boolean }).draft;
      return json(200, this.view(r));
    }
    if (req.method === "DELETE" && (m = /^\/repos\/o\/r\/releases\/assets\/(\d+)$/.exec(url.pathname))) {
      for (const r of this.releases) r.assets = r.assets.filter((a) => a.id !== Number(m![1]));
      res.writeHead(204).end();
      return;
    }
    if (req.method === "POST" && (m = /^\/uploads\/(\d+)\/assets$/.exec(url.pathname))) {
      if (this.flakyUploads > 0) { this.flakyUploads--; return json(502, { message: "Bad Gateway" }); }
      if (this.uploadLimit !== null && this.uploads >= this.uploadLimit) return json(403, { message: "cut short" });
      const r = this.releases.find((x) => x.id === Number(m![1]))!;
      const name = url.searchParams.get("name")!;
      if (r.assets.some((a) => a.name === name)) return json(422, { message: "already_exists" });
      this.uploads++;
      const a: Asset = { id: this.nextId++, name, size: body.length, state: "uploaded", digest: `sha256:${createHash("sha256").update(body).digest("hex")}`, bytes: body };
      r.assets.push(a);
      return json(201, this.view(r).assets.find((x) => x.id === a.id));
    }
    return json(404, { message: "Not Found" });
  }
  download(req: IncomingMessage, res: ServerResponse, url: URL) {
    const [, , tag, name] = url.pathname.split("/");
    const r = this.releases.find((x) => x.tag_name === tag && !x.draft);
    const a = r?.assets.find((x) => x.name === name && x.state === "uploaded");
    this.downloads.push({ name: name!, range: req.headers.range ?? null });
    const fault = this.faults.get(name!)?.shift();
    const cors = { "access-control-allow-origin": "*", "accept-ranges": "bytes" };
    if (!a || fault === "404") { res.writeHead(404, cors).end("not found"); return; }
    let bytes = a.bytes;
    if (fault === "corrupt") { bytes = Buffer.from(bytes); bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0xff; }
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    const from = range ? Number(range[1]) : 0;
    const status = range ? 206 : 200;
    const slice = bytes.subarray(from);
    const headers: Record<string, string> = { ...cors, "content-type": "application/octet-stream" };
    if (range) headers["content-range"] = `bytes ${from}-${bytes.length - 1}/${bytes.length}`;
    res.writeHead(status, headers); // chunked: a cut-short body is a short file, not a protocol error
    if (fault === "stall") { res.write(slice.subarray(0, 10)); return; } // then nothing, never ended
    if (fault === "truncate") { res.end(slice.subarray(0, slice.length - 100)); return; }
    res.end(slice);
  }
  async stop() {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}
