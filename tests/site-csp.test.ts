// The pages' Content-Security-Policy (scripts/lib/site-csp.ts): the data host setting accepts only an
// https origin (or a test's http://127.0.0.1:port), each inline script is allowed by its own hash and
// no other, and re-applying the policy changes nothing. The built site under the policy is checked in
// Chromium by tests/sql-console-hostile.test.ts (every page, no violation) and the site tests.
import { createHash } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { buildSite } from "../scripts/build-site.ts";
import { contentSecurityPolicy, DataHostError, dataHostOrigin, HTL_PLACEHOLDERS, inlineScriptHashes, withPolicy } from "../scripts/lib/site-csp.ts";

const sha = (text: string) => `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;

describe("the data host setting (CCASS_DATA_HOST)", () => {
  it.each([
    ["https://data.example.org", "https://data.example.org"],
    ["https://data.example.org/", "https://data.example.org"],
    ["https://data.example.org:8443", "https://data.example.org:8443"],
    ["http://127.0.0.1:4173", "http://127.0.0.1:4173"],
  ])("%s is the origin %s", (value, origin) => {
    expect(dataHostOrigin(value)).toBe(origin);
  });

  it("unset or empty: no data host", () => {
    expect(dataHostOrigin(undefined)).toBeUndefined();
    expect(dataHostOrigin("")).toBeUndefined();
  });

  it.each([
    "http://data.example.org",
    "http://127.0.0.1",
    "http://localhost:4173",
    "https://data.example.org/v1",
    "https://data.example.org?x=1",
    "https://user:pw@data.example.org",
    "https://*.example.org",
    "https://data.example.org; script-src *",
    "data.example.org",
    "javascript:alert(1)",
    "*",
  ])("%s is refused with a DataHostError", (value) => {
    expect(() => dataHostOrigin(value)).toThrow(DataHostError);
    expect(() => dataHostOrigin(value)).toThrow(/CCASS_DATA_HOST must be an https origin/);
  });

  it("a build with a bad data host fails before any work and leaves the previous site", async () => {
    const tmp = await mkdtemp(path.join(tmpdir(), "ccass-csp-"));
    try {
      await expect(buildSite({ data: path.join(tmp, "none"), out: path.join(tmp, "dist"), verbose: false, dataHost: "http://evil.example" })).rejects.toThrow(DataHostError);
      expect(await readdir(tmp)).toEqual([]);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});

describe("the policy of a page", () => {
  const page = [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    "<title>t</title>",
    "<script>console.log('head')</script>",
    '<script type="module">',
    'import {define} from "./_observablehq/client.js";',
    "</script>",
    '<script src="./x.js"></script>',
    "</head>",
    "<body><script>{const e=1;}</script></body>",
    "</html>",
  ].join("\n");

  it("hashes every inline script (not one with a src), in page order", () => {
    expect(inlineScriptHashes(page)).toEqual([sha("console.log('head')"), sha('\nimport {define} from "./_observablehq/client.js";\n'), sha("{const e=1;}")]);
  });

  it("is the first element after <meta charset>, allows those hashes and no 'unsafe-inline' or 'unsafe-eval' for scripts", () => {
    const out = withPolicy(page, "page.html");
    const lines = out.split("\n");
    expect(lines[3]).toBe('<meta charset="utf-8">');
    const meta = /^<meta http-equiv="Content-Security-Policy" content="([^"]*)">$/.exec(lines[4]!);
    expect(meta).not.toBeNull();
    const directives = new Map(meta![1]!.split("; ").map((d) => [d.split(" ")[0]!, d.split(" ").slice(1)]));
    expect(directives.get("script-src")).toEqual(["'self'", "'wasm-unsafe-eval'", ...inlineScriptHashes(page)]);
    expect(directives.get("connect-src")).toEqual(["'self'"]);
    expect(directives.get("object-src")).toEqual(["'none'"]);
    for (const d of ["default-src", "worker-src", "font-src", "base-uri", "form-action"]) expect(directives.get(d), d).toEqual(["'self'"]);
    expect(directives.get("img-src")).toEqual(["'self'", "data:"]);
    // handlers: only htl's placeholders "::1"…, which are not even JavaScript
    expect(directives.get("script-src-attr")).toEqual(["'unsafe-hashes'", ...Array.from({ length: HTL_PLACEHOLDERS }, (_, i) => sha(`::${i + 1}`))]);
    expect(HTL_PLACEHOLDERS).toBeGreaterThanOrEqual(14);
  });

  it("re-applied, it is the same page (deterministic; the policy's own element is not hashed)", () => {
    const once = withPolicy(page, "page.html");
    expect(withPolicy(once, "page.html")).toBe(once);
  });

  it("a data host is added to connect-src only", () => {
    const policy = contentSecurityPolicy([], "https://data.example.org");
    expect(policy).toContain("connect-src 'self' https://data.example.org;");
    expect(policy.split("https://data.example.org").length).toBe(2);
  });

  it("a changed script changes the policy", () => {
    expect(withPolicy(page.replace("'head'", "'HEAD'"), "page.html")).not.toBe(withPolicy(page, "page.html"));
  });
});
