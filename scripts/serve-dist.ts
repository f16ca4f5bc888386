// `npx tsx scripts/serve-dist.ts [--dir dist] [--port 3000] [--host 127.0.0.1]`: serve the built
// site as a static host would (clean URLs: /stock serves stock.html; unknown paths get 404.html).
// Also imported by the browser tests and the site benchmark (serveDist).
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { pathToFileURL } from "node:url";
import sirv from "sirv";
import { cliProgram, integerOption, runCli } from "../src/lib/cli-options.ts";

export interface ServeOptions {
  dir: string;
  port?: number;
  host?: string;
}

export interface RunningServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export async function serveDist({ dir, port = 0, host = "127.0.0.1" }: ServeOptions): Promise<RunningServer> {
  const root = path.resolve(dir);
  // dev: true re-reads the folder per request, so a server outlives a rebuild of dist/.
  const assets = sirv(root, { extensions: ["html"], dev: true, etag: true, dotfiles: false });
  const server = createServer((req, res) => {
    assets(req, res, () => {
      readFile(path.join(root, "404.html"))
        .then((body) => {
          res.writeHead(404, { "content-type": "text/html; charset=utf-8" });
          res.end(body);
        })
        .catch(() => {
          res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
          res.end("not found\n");
        });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}/`,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

async function main(): Promise<void> {
  const program = cliProgram("serve-dist")
    .description("Serve the built site (dist/) on localhost")
    .option("--dir <dir>", "folder to serve", "dist")
    .option("--port <port>", "port (0 picks a free one)", integerOption("port", 0, 65535), 3000)
    .option("--host <host>", "interface to listen on", "127.0.0.1")
    .parse();
  const opts = program.opts<{ dir: string; port: number; host: string }>();
  const running = await serveDist(opts);
  console.log(`serving ${path.resolve(opts.dir)} at ${running.url}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runCli("serve-dist", main);
}
