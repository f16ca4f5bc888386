// Built pages carry no build clock: Framework's FileAttachment `lastModified` (a loader output's
// mtime when the build wrote it) is pinned (scripts/lib/site-determinism.ts). The whole-site proof
// is tests/incremental-site.test.ts (an incremental and a cold dist/ byte-identical).
import { mkdtemp, readFile, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { pinLastModified, pinPageLastModified } from "../scripts/lib/site-determinism.ts";

// as Framework 1.13 writes it into a page
const page = (t: number) =>
  `<script type="module">\nregisterFile("./data/meta.json", {"name":"./data/meta.json","mimeType":"application/json","path":"./_file/data/meta.5fd5e59c.json","lastModified":${t},"size":1034});\n</script>`;

describe("pinned attachment mtimes", () => {
  it("two builds' pages, read at different times, become the same bytes; nothing else changes", () => {
    expect(pinPageLastModified(page(1796653367203))).toBe(pinPageLastModified(page(1796653470659)));
    expect(pinPageLastModified(page(1796653367203))).toBe(page(0));
    const text = `<p>"lastModified" is a word here</p>`;
    expect(pinPageLastModified(text)).toBe(text);
  });

  it("pins every page of a site, not the files under _file/", async () => {
    const dist = await mkdtemp(path.join(tmpdir(), "ccass-pin-"));
    try {
      await mkdir(path.join(dist, "_file", "data"), { recursive: true });
      await writeFile(path.join(dist, "index.html"), page(123));
      await writeFile(path.join(dist, "_file", "data", "x.html"), page(123));
      expect(await pinLastModified(dist)).toBe(1);
      expect(await readFile(path.join(dist, "index.html"), "utf8")).toBe(page(0));
      expect(await readFile(path.join(dist, "_file", "data", "x.html"), "utf8")).toBe(page(123));
      expect(await pinLastModified(dist)).toBe(0); // applying it again changes nothing
    } finally {
      await rm(dist, { recursive: true, force: true });
    }
  });
});
