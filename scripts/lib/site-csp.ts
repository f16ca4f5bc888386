// The Content-Security-Policy of every built page, as a <meta http-equiv> element (GitHub Pages sets
// no response headers): defence in depth, so that a future bug in any page cannot load a script or
// call out to another origin. docs/SITE.md "Content-Security-Policy" says what it covers and what a
// meta policy cannot.
//   - Framework writes three inline scripts in each page (the `head` script of observablehq.config.ts,
//     the page's module of cells, the sidebar's state): each is allowed by its SHA-256 hash, computed
//     here from the built file, so no 'unsafe-inline' for scripts; the hashes follow the page's bytes
//     (same page, same policy);
//   - script-src-attr: htl (under Inputs and every page's html`…`) parses a template with a placeholder
//     "::N" as the value of each on… attribute, then removes it and assigns the function as a property:
//     the placeholder itself never runs (it is not even valid JavaScript), but the browser reports it
//     as a blocked inline handler. 'unsafe-hashes' with the hashes of "::1"…"::32" allows exactly
//     those strings as handlers and no other (the largest template, Inputs.text, has 14 interpolations);
//   - 'wasm-unsafe-eval': hyparquet's Snappy decoder compiles WebAssembly on the page (the SQL
//     console's engine compiles in its worker, which a page's policy does not govern);
//   - style-src 'unsafe-inline': Plot writes a <style> element into every chart and Inputs and
//     Framework set style attributes; styles cannot run code, and img-src/connect-src/font-src still
//     keep any stylesheet from reaching another origin;
//   - img-src data:: Framework's theme draws its icons as data: SVG images in the stylesheet;
//   - one data host (CCASS_DATA_HOST, for the tiered storage to come) may be added to connect-src.
import { createHash } from "node:crypto";
import { rewriteSitePages } from "./site-pages.ts";

export class DataHostError extends Error {
  override readonly name = "DataHostError";
  constructor(readonly value: string) {
    super(`CCASS_DATA_HOST must be an https origin (https://host[:port]) or http://127.0.0.1:port for tests, got ${JSON.stringify(value)}`);
  }
}

/**
 * The data host as an origin for connect-src: https://host[:port], or http://127.0.0.1:port (a
 * test's local server), with no path, query, credentials or wildcard. Anything else is a DataHostError.
 * Empty or undefined: no data host.
 */
export function dataHostOrigin(value: string | undefined): string | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const text = value.trim().replace(/\/$/, "");
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new DataHostError(value);
  }
  const local = url.protocol === "http:" && url.hostname === "127.0.0.1" && url.port !== "";
  const plain = url.origin === text && !url.username && !url.password && !/[*\s;,'"]/.test(text);
  if (!plain || !(url.protocol === "https:" || local)) throw new DataHostError(value);
  return url.origin;
}

/** How many of htl's handler placeholders ("::1"…) script-src-attr allows. */
export const HTL_PLACEHOLDERS = 32;

/** The CSP source of a script text: 'sha256-<base64>'. */
export function sha256Source(text: string): string {
  return `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;
}

const htlPlaceholderHashes = Array.from({ length: HTL_PLACEHOLDERS }, (_, i) => sha256Source(`::${i + 1}`));

/** The policy for a page whose inline scripts have these sha256 sources ('sha256-…'). */
export function contentSecurityPolicy(scriptHashes: string[], dataHost?: string): string {
  const directives: [string, string[]][] = [
    ["default-src", ["'self'"]],
    ["script-src", ["'self'", "'wasm-unsafe-eval'", ...scriptHashes]],
    ["script-src-attr", ["'unsafe-hashes'", ...htlPlaceholderHashes]],
    ["style-src", ["'self'", "'unsafe-inline'"]],
    ["img-src", ["'self'", "data:"]],
    ["font-src", ["'self'"]],
    ["connect-src", ["'self'", ...(dataHost ? [dataHost] : [])]],
    ["worker-src", ["'self'"]],
    ["object-src", ["'none'"]],
    ["base-uri", ["'self'"]],
    ["form-action", ["'self'"]],
  ];
  return directives.map(([name, sources]) => `${name} ${sources.join(" ")}`).join("; ");
}

const INLINE_SCRIPT = /<script\b([^>]*)>([\s\S]*?)<\/script>/gi;
const CSP_META = /<meta http-equiv="Content-Security-Policy" content="[^"]*">\n?/;

/** 'sha256-…' of every inline script of a page (scripts with a src have none), in page order, each once. */
export function inlineScriptHashes(html: string): string[] {
  const hashes: string[] = [];
  for (const m of html.matchAll(INLINE_SCRIPT)) {
    if (/\bsrc\s*=/i.test(m[1]!)) continue;
    const hash = sha256Source(m[2]!);
    if (!hashes.includes(hash)) hashes.push(hash);
  }
  return hashes;
}

export class CspInsertError extends Error {
  override readonly name = "CspInsertError";
  constructor(readonly file: string) {
    super(`no <meta charset="utf-8"> to put the Content-Security-Policy after in ${file} (see scripts/lib/site-csp.ts)`);
  }
}

/** A page with its policy as the first element after <meta charset> (a policy covers only what follows it). Re-applying replaces it. */
export function withPolicy(html: string, file: string, dataHost?: string): string {
  const bare = html.replace(CSP_META, "");
  const charset = /<meta charset="utf-8">\n?/i.exec(bare);
  if (!charset) throw new CspInsertError(file);
  const policy = contentSecurityPolicy(inlineScriptHashes(bare), dataHost);
  const meta = `<meta http-equiv="Content-Security-Policy" content="${policy}">\n`;
  const at = charset.index + charset[0].length;
  return bare.slice(0, at) + (charset[0].endsWith("\n") ? "" : "\n") + meta + bare.slice(at);
}

/** Every page of a built site (the .html files not under _file/, _observablehq/, _import/…), given its policy in place; returns how many. */
export async function applySitePolicy(dist: string, dataHost?: string): Promise<number> {
  return (await rewriteSitePages(dist, (html, file) => withPolicy(html, file, dataHost))).pages;
}
