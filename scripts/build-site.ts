// `npm run build [-- --data DIR] [--out DIR] [--no-export] [--allow-empty]`: build the static site.
//   0. refuse a missing, unreadable or (without --allow-empty) empty dataset before anything is
//      written (src/dataset/presence.ts): the last good site stays;
//   1. copy src/pages (less the generated api/ tree and Framework's cache) to a private staging root,
//      so the loader cache starts empty (Framework does not see data changes) and concurrent builds
//      (tests, demo) never share a cache or an output folder; bundle Plot, Inputs and htl into its
//      components/vendor/ (writeVendorBundle);
//   2. run scripts/export-api.ts (the static JSON API and downloads, into the tree kept in the analytics
//      cache folder, <CCASS_CACHE>/site-api/<data folder hash>/v1, so the next build keeps its unchanged
//      per-year files) and, at the same time, `observable build` (pages and loaders) into a temporary
//      folder beside --out; then link the API tree into <tmp>/_file/api/v1;
//   3. apply the accessibility fixes to Framework's page template (scripts/lib/site-template.ts),
//      pin the attachments' build-time mtimes (scripts/lib/site-determinism.ts), give every page its
//      Content-Security-Policy (scripts/lib/site-csp.ts; CCASS_DATA_HOST adds one data host to
//      connect-src), check its size against CCASS_SITE_MAX_BYTES (default 1 GB, GitHub Pages' limit;
//      scripts/lib/site-size.ts), then swap the temporary folder in place of --out.
// A failed step leaves the previous site untouched and the staging folder for inspection (a site
// too large: SiteTooLargeError, whose message holds the sizes).
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { copyFile, cp, link, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { cliProgram, integerOption, runCli } from "../src/lib/cli-options.ts";
import { build as esbuild } from "esbuild";
import { cacheDir } from "../data-loaders/compute/env.ts";
import { replaceDirectory } from "../src/lib/atomic.ts";
import { withLock } from "../src/lib/lock-file.ts";
import { assertDataset } from "../src/dataset/presence.ts";
import { pinLastModified } from "./lib/site-determinism.ts";
import { applySitePolicy, dataHostOrigin } from "./lib/site-csp.ts";
import { fixSiteTemplate } from "./lib/site-template.ts";
import { assertSiteSize, siteMaxBytes, SiteTooLargeError } from "./lib/site-size.ts";
import { fullFromYear, siteFullYears, siteMonthEndYears } from "../data-loaders/publish/month-end.ts";
import { partYear } from "../data-loaders/publish/year-parts.ts";

const PROJECT = path.resolve(import.meta.dirname, "..");
const PAGES = path.join(PROJECT, "src", "pages");
const OBSERVABLE_BIN = path.join(PROJECT, "node_modules", "@observablehq", "framework", "dist", "bin", "observable.js");
// Framework's bundles of node_modules imports (Plot, d3, Inputs…), kept between builds: they depend
// only on package versions (the folder names carry them), and rebundling Plot alone takes ~15 s.
const NODE_BUNDLE_CACHE = path.join(PROJECT, ".cache", "site-node-bundles");

const DUCKDB_DIST = path.join(PROJECT, "node_modules", "@duckdb", "duckdb-wasm", "dist");
const DUCKDB_FILES = ["duckdb-eh.wasm", "duckdb-browser-eh.worker.js"];

/**
 * Plot, Inputs, htl, hyparquet and DuckDB-WASM's API bundled from node_modules into `components/vendor/`
 * under the Framework root: `plot.js`, `inputs.js`, `htl.js`, `hyparquet.js` and `duckdb.js` (with
 * its engine and worker in `duckdb/`), each a minified ES module, sharing code (d3's parts)
 * through chunks. Pages import them as `import * as Plot from "./components/vendor/plot.js"`.
 * Imported from node_modules package by package, Framework serves them as ~40 modules (each d3
 * part on its own), and a stock page then spent ~300 ms more before its first chart.
 * Generated at build (and dev) time, never committed.
 */
export async function writeVendorBundle(root: string): Promise<void> {
  const outdir = path.join(root, "components", "vendor");
  const entries = await mkdtemp(path.join(tmpdir(), "ccass-vendor-"));
  const staged = `${outdir}.${process.pid}.tmp`;
  try {
    const sources: Record<string, string> = {
      plot: 'export * from "@observablehq/plot";',
      inputs: 'export * from "@observablehq/inputs";',
      htl: 'export {html, svg} from "htl";',
      // history files (Parquet, zstd): the stock page's date views
      // (parquetRead: the participant page reads its year's files as columns, without row objects)
      hyparquet: 'export {parquetRead, parquetReadObjects} from "hyparquet"; export {compressors} from "hyparquet-compressors";',
      // the SQL console only (sql.md is the one page that imports it)
      duckdb: 'export {AsyncDuckDB, VoidLogger} from "@duckdb/duckdb-wasm"; export {Bool, DateDay, Float64, Int64, Table, Utf8, makeData, makeVector} from "apache-arrow";',
    };
    for (const [name, code] of Object.entries(sources)) await writeFile(path.join(entries, `${name}.js`), code);
    await rm(staged, { recursive: true, force: true });
    await esbuild({
      entryPoints: Object.keys(sources).map((name) => path.join(entries, `${name}.js`)),
      nodePaths: [path.join(PROJECT, "node_modules")],
      bundle: true,
      splitting: true,
      format: "esm",
      minify: true,
      target: "es2022",
      legalComments: "none",
      outdir: staged,
      entryNames: "[name]",
      chunkNames: "chunk-[hash]",
    });
    // DuckDB-WASM's engine and worker, one variant only (eh: exceptions, no threads; 34 MB): sql.md
    // names them as FileAttachments, so Framework publishes them under _file/ like any other file.
    await mkdir(path.join(staged, "duckdb"), { recursive: true });
    for (const f of DUCKDB_FILES) await cp(path.join(DUCKDB_DIST, f), path.join(staged, "duckdb", f));
    await replaceDirectory(staged, outdir); // a running preview never sees half a bundle
  } finally {
    await rm(entries, { recursive: true, force: true });
    await rm(staged, { recursive: true, force: true });
  }
}

export interface BuildSiteOptions {
  /** Parquet dataset folder (CCASS_DATA): must exist and hold data files (DatasetMissingError). */
  data: string;
  /** Build the no-data site from a folder without data files (it must still exist). */
  allowEmpty?: boolean;
  /** Output folder, replaced only when the build succeeds. */
  out: string;
  /** Run scripts/export-api.ts (default true); false reuses an existing export tree (`apiTree`) as it is. */
  exportApi?: boolean;
  /** With `exportApi` false: the export tree the site publishes (default src/pages/api/v1, what `npm run dev` exports). */
  apiTree?: string;
  /** Forward the child processes' output (default true). */
  verbose?: boolean;
  /** The data host origin the pages may also connect to (CSP connect-src); default CCASS_DATA_HOST. */
  dataHost?: string;
  /**
   * With a data host: the folder that receives the history files (at full resolution) and the
   * downloads' yearly parts of the years older than the newest CCASS_SITE_FULL_YEARS, for the maintainer to sync to the host's
   * root (docs/OPERATIONS.md "The data host"); default `<out>-data-host`. Replaced only on success.
   */
  hostOut?: string;
}

export interface BuildSiteResult {
  out: string;
  seconds: { export: number; framework: number; total: number };
}

export class BuildSiteError extends Error {
  override readonly name = "BuildSiteError";
  constructor(
    message: string,
    readonly staging: string,
  ) {
    super(`${message} (staging folder kept at ${staging})`);
  }
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/** Framework runs `.ts` loaders with `tsx` from PATH: make sure the project's own is found. */
function withLocalBin(pathVar: string | undefined): string {
  return [path.join(PROJECT, "node_modules", ".bin"), pathVar].filter(Boolean).join(path.delimiter);
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, verbose: boolean, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: PROJECT, env, signal, stdio: verbose ? "inherit" : ["ignore", "pipe", "pipe"] });
    let tail = "";
    const keep = (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-4000);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`${args.filter((a) => !a.startsWith("-") && a !== "tsx").map((a) => path.basename(a)).join(" ")} exited with ${code}\n${tail}`)),
    );
  });
}

/** Where the site build keeps the export tree of `data` between builds (in the analytics cache folder `cache`). */
export function keptApiTree(cache: string, data: string): string {
  return path.join(cache, "site-api", createHash("sha256").update(path.resolve(data)).digest("hex").slice(0, 16), "v1");
}

export async function buildSite(options: BuildSiteOptions): Promise<BuildSiteResult> {
  const started = performance.now();
  const verbose = options.verbose ?? true;
  // checked before any work: a bad value is one line, and the previous site stays
  const dataHost = dataHostOrigin(options.dataHost ?? process.env.CCASS_DATA_HOST);
  const fullYears = siteFullYears(); // CCASS_SITE_FULL_YEARS, read again by the export and meta.json
  siteMonthEndYears(); // CCASS_SITE_MONTH_END_YEARS, read by the export and meta.json
  const maxBytes = siteMaxBytes(); // CCASS_SITE_MAX_BYTES: the finished site is checked against it
  const data = path.resolve(options.data);
  const out = path.resolve(options.out);
  assertDataset(data, { allowEmpty: options.allowEmpty });
  const id = `${process.pid}-${randomBytes(4).toString("hex")}`;
  // Same depth below the project as src/pages, so the loader entry points' relative imports
  // (../../../data-loaders/…) resolve identically from the copy.
  const staging = path.join(PROJECT, ".cache", `site-build-${id}`);
  const tmpOut = `${out}.tmp-${id}`;
  const hostOut = dataHost ? path.resolve(options.hostOut ?? `${out}-data-host`) : null;
  const tmpHost = hostOut ? `${hostOut}.tmp-${id}` : null;
  // the export and meta.json see the same data host as the pages' policy
  const env = { ...process.env, PATH: withLocalBin(process.env.PATH), CCASS_DATA: data, CCASS_SITE_ROOT: staging, CCASS_SITE_OUT: tmpOut, CCASS_DATA_HOST: dataHost ?? "" };

  await rm(staging, { recursive: true, force: true });
  await cp(PAGES, staging, {
    recursive: true,
    filter: (src) => {
      const rel = path.relative(PAGES, src).split(path.sep);
      return !(rel[0] === "api" || rel[0] === ".observablehq");
    },
  });
  await writeVendorBundle(staging);
  // The export's tree is kept in the analytics cache folder between builds: the next export keeps
  // the per-year files whose inputs did not change instead of writing them again
  // (data-loaders/publish/year-parts.ts). One tree per data folder, one build at a time on it.
  const apiTree = keptApiTree(cacheDir(), data);
  const apiDir = path.dirname(apiTree);
  const stagedBundles = path.join(staging, ".observablehq", "cache", "_node");
  if (await exists(NODE_BUNDLE_CACHE)) await cp(NODE_BUNDLE_CACHE, stagedBundles, { recursive: true });
  try {
    // The export and Framework's build run side by side: the export's DuckDB work overlaps
    // Framework's page bundling, and the loaders wait for the shared analytics cache that the
    // first of them builds (data-loaders/compute/cache.ts holds a lock). The API tree is written
    // outside the Framework root, so Framework never walks a folder that is being written.
    const timed = async (work: () => Promise<void>): Promise<number> => {
      const t0 = performance.now();
      await work();
      return (performance.now() - t0) / 1000;
    };
    await rm(tmpOut, { recursive: true, force: true });
    // When one side fails, stop the other rather than leave it writing into folders we remove.
    const abort = new AbortController();
    const orAbort = (p: Promise<number>) =>
      p.catch((err: unknown) => {
        abort.abort();
        throw err;
      });
    const siteApi = path.join(tmpOut, "_file", "api", "v1");
    const framework = orAbort(timed(() => run(process.execPath, [OBSERVABLE_BIN, "build"], env, verbose, abort.signal)));
    const [exportSeconds, frameworkSeconds] = await Promise.all([
      orAbort(timed(async () => {
        if (options.exportApi === false) {
          await framework.catch(() => {});
          const reused = options.apiTree ?? path.join(PAGES, "api", "v1");
          if (await exists(reused)) await placeApiTree(reused, siteApi, tmpHost, fullYears);
          else if (tmpHost) await mkdir(tmpHost, { recursive: true });
          return;
        }
        if (!(await exists(path.join(PROJECT, "scripts", "export-api.ts")))) return;
        await mkdir(apiDir, { recursive: true });
        await withLock(path.join(apiDir, "lock"), (ms) => new BuildSiteError(`export tree still locked after ${ms / 1000}s: ${apiDir}`, staging), async () => {
          const exportArgs = ["--out", apiTree, ...(options.allowEmpty ? ["--allow-empty"] : [])];
          await run(process.execPath, ["--import", "tsx", path.join(PROJECT, "scripts", "export-api.ts"), ...exportArgs], env, verbose, abort.signal);
          // into Framework's output once it is complete (it owns that folder while it builds);
          // links, not a copy: thousands of files on one filesystem, and the kept tree is never
          // modified in place (the next export replaces it whole)
          await framework.catch(() => {});
          if (abort.signal.aborted) return;
          await placeApiTree(apiTree, siteApi, tmpHost, fullYears);
        });
      })),
      framework,
    ]);
    await saveNodeBundles(stagedBundles, id);
    // Accessibility fixes to Framework's page template that no option covers (scripts/lib/site-template.ts).
    await fixSiteTemplate(tmpOut);
    // Framework writes each attachment's build-time mtime into the pages: pinned, so the same data
    // gives the same bytes (scripts/lib/site-determinism.ts).
    await pinLastModified(tmpOut);
    // After every other change to the pages: the policy holds the hashes of their inline scripts.
    await applySitePolicy(tmpOut, dataHost);
    // GitHub Pages refuses a site over 1 GB: refused here instead, with the old site still in place.
    await assertSiteSize(tmpOut, maxBytes);

    // Swap: the old site stays whole until the new one is complete.
    await replaceDirectory(tmpOut, out);
    if (tmpHost && hostOut) await replaceDirectory(tmpHost, hostOut);
    await rm(staging, { recursive: true, force: true });
    return {
      out,
      seconds: { export: exportSeconds, framework: frameworkSeconds, total: (performance.now() - started) / 1000 },
    };
  } catch (err) {
    await rm(tmpOut, { recursive: true, force: true });
    if (tmpHost) await rm(tmpHost, { recursive: true, force: true });
    // the pages are not at fault: the error's sizes are the evidence, and the kept export tree stays
    if (err instanceof SiteTooLargeError) {
      await rm(staging, { recursive: true, force: true });
      throw err;
    }
    throw new BuildSiteError(err instanceof Error ? err.message : String(err), staging);
  }
}

/**
 * The export tree `tree` into the site's `siteApi` folder. With a data host (`hostFolder`), the
 * history files and downloads' yearly parts of the years older than the newest `fullYears` go to
 * that folder instead, not into dist/: what dist/ holds no longer grows with the years kept.
 */
async function placeApiTree(tree: string, siteApi: string, hostFolder: string | null, fullYears: number): Promise<void> {
  if (!hostFolder) return linkTree(tree, siteApi);
  const latest = (JSON.parse(await readFile(path.join(tree, "index.json"), "utf8")) as { latest_date?: string | null }).latest_date;
  const from = latest ? fullFromYear(Number(latest.slice(0, 4)), fullYears) : -Infinity;
  await rm(hostFolder, { recursive: true, force: true });
  await linkTree(tree, siteApi, "", (rel) => ((partYear(rel) ?? Infinity) < from ? path.join(hostFolder, rel) : null));
  await mkdir(hostFolder, { recursive: true });
}

/**
 * `to` as a copy of the tree `from` made of hard links (a plain copy where linking fails); a file
 * for which `elsewhere(relative path)` names a target goes there instead (the data host's folder).
 */
async function linkTree(from: string, to: string, rel = "", elsewhere: (rel: string) => string | null = () => null): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const e of await readdir(from, { withFileTypes: true })) {
    const a = path.join(from, e.name);
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) {
      await linkTree(a, path.join(to, e.name), r, elsewhere);
      continue;
    }
    const other = elsewhere(r);
    const b = other ?? path.join(to, e.name);
    if (other) await mkdir(path.dirname(other), { recursive: true });
    await link(a, b).catch(() => copyFile(a, b));
  }
}

/** Replace the shared bundle cache with this build's (a rename, so a concurrent build sees one or the other). */
async function saveNodeBundles(staged: string, id: string): Promise<void> {
  if (!(await exists(staged))) return;
  const fresh = `${NODE_BUNDLE_CACHE}.new-${id}`;
  try {
    await cp(staged, fresh, { recursive: true });
    await replaceDirectory(fresh, NODE_BUNDLE_CACHE);
  } catch {
    // Another build saved its copy at the same moment: theirs is as good as ours.
  } finally {
    await rm(fresh, { recursive: true, force: true });
  }
}

/**
 * `npm run dev`: export the static API into src/pages/api/v1 (served by the preview at the same
 * /_file/api/v1/ URL as the built site), drop Framework's cached loader outputs (they do not notice
 * data changes; the bundles of node_modules imports are kept), then run `observable preview`.
 */
async function preview(dataDir: string, port: number, exportApi: boolean, allowEmpty: boolean): Promise<void> {
  assertDataset(path.resolve(dataDir), { allowEmpty });
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: withLocalBin(process.env.PATH), CCASS_DATA: path.resolve(dataDir) };
  delete env.CCASS_SITE_ROOT;
  delete env.CCASS_SITE_OUT;
  await rm(path.join(PAGES, ".observablehq", "cache", "data"), { recursive: true, force: true });
  await writeVendorBundle(PAGES);
  if (exportApi) {
    const exportArgs = ["--out", path.join(PAGES, "api", "v1"), ...(allowEmpty ? ["--allow-empty"] : [])];
    await run(process.execPath, ["--import", "tsx", path.join(PROJECT, "scripts", "export-api.ts"), ...exportArgs], env, true);
  }
  await run(process.execPath, [OBSERVABLE_BIN, "preview", "--port", String(port), "--no-open"], env, true);
}

async function main(): Promise<void> {
  const program = cliProgram("build-site")
    .description("Export the static API and build the Observable Framework site")
    .option("--data <dir>", "Parquet dataset folder", process.env.CCASS_DATA ?? "data/parquet")
    .option("--out <dir>", "output folder (replaced only on success)", "dist")
    .option("--no-export", "skip scripts/export-api.ts and reuse src/pages/api/v1")
    .option("--allow-empty", "build the no-data site from a dataset folder without any data file (a missing folder is still an error)")
    .option("--preview", "instead of building, export and run Framework's live preview (npm run dev)")
    .option("--port <port>", "preview port", integerOption("port", 0, 65535), 3000)
    .option("--host-out <dir>", "with CCASS_DATA_HOST: the folder of the older years' history files, to sync to the host (default <out>-data-host)")
    .parse();
  const opts = program.opts<{ data: string; out: string; export: boolean; allowEmpty?: boolean; preview?: boolean; port: number; hostOut?: string }>();
  if (opts.preview) return preview(opts.data, opts.port, opts.export, opts.allowEmpty === true);
  const result = await buildSite({ data: opts.data, out: opts.out, exportApi: opts.export, allowEmpty: opts.allowEmpty, hostOut: opts.hostOut });
  const s = result.seconds;
  console.log(
    `site built in ${s.total.toFixed(1)} s (export ${s.export.toFixed(1)} s, framework ${s.framework.toFixed(1)} s) → ${result.out}`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runCli("build-site", main);
}
