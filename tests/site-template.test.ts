// The build-time fixes to Framework's page template (scripts/lib/site-template.ts), on the markup
// Framework 1.13 writes (the lines below are copied from a built page): each fix applies, applying
// twice changes nothing, and a template that no longer matches fails with TemplateFixError.
import { mkdtemp, readFile, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { fixPageTemplate, fixSiteTemplate, SKIP_LINK, TemplateFixError } from "../scripts/lib/site-template.ts";

const PAGE = `<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, maximum-scale=1">
<meta name="generator" content="Observable Framework v1.13.4">
<title>Stock | CCASS Observatory</title>
</head>
<body>
<input id="observablehq-sidebar-toggle" type="checkbox" title="Toggle sidebar">
<label id="observablehq-sidebar-backdrop" for="observablehq-sidebar-toggle"></label>
<nav id="observablehq-sidebar">
  <ol>
    <label id="observablehq-sidebar-close" for="observablehq-sidebar-toggle"></label>
    <li class="observablehq-link"><a href="./">CCASS Observatory</a></li>
  </ol>
  <ol>
    <li class="observablehq-link"><a href="./">Home</a></li>
  </ol>
</nav>
<div id="observablehq-center">
<main id="observablehq-main" class="observablehq">
</main>
</div>
</body>
</html>
`;

describe("fixPageTemplate", () => {
  const fixed = fixPageTemplate(PAGE, "stock.html");

  it("declares the page's language", () => {
    expect(fixed).toContain(`<html lang="en">`);
    expect(fixed).not.toContain("<html>");
  });

  it("lets a phone reader zoom", () => {
    expect(fixed).toContain(`<meta name="viewport" content="width=device-width, initial-scale=1">`);
    expect(fixed).not.toContain("maximum-scale");
  });

  it("moves the sidebar's close label out of the <ol>, keeping it in the sidebar", () => {
    const nav = fixed.slice(fixed.indexOf(`<nav id="observablehq-sidebar">`), fixed.indexOf("</nav>"));
    expect(nav).toMatch(/<nav id="observablehq-sidebar">\s*<label id="observablehq-sidebar-close" for="observablehq-sidebar-toggle"><\/label>\s*<ol>\s*<li/);
    for (const list of nav.matchAll(/<ol>([\s\S]*?)<\/ol>/g)) expect(list[1]).not.toContain("<label");
  });

  it("puts a skip link to the main content first in the body", () => {
    expect(fixed).toMatch(new RegExp(`<body>\\s*${SKIP_LINK.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s*<input id="observablehq-sidebar-toggle"`));
    expect(fixed).toContain(`<main id="observablehq-main"`);
  });

  it("changes nothing the second time", () => {
    expect(fixPageTemplate(fixed, "stock.html")).toBe(fixed);
  });

  it("leaves a page without a sidebar alone there, and fixes the rest", () => {
    const bare = PAGE.replace(/<input id="observablehq-sidebar-toggle"[\s\S]*<\/nav>\n/, "");
    const out = fixPageTemplate(bare, "bare.html");
    expect(out).toContain(`<html lang="en">`);
    expect(out).toContain(SKIP_LINK);
  });

  it("fails with TemplateFixError, naming the fix and the file, when the template changed", () => {
    const changed = PAGE.replace(`initial-scale=1, maximum-scale=1`, `initial-scale=1.0, maximum-scale=1.0`);
    expect(() => fixPageTemplate(changed, "stock.html")).toThrow(TemplateFixError);
    expect(() => fixPageTemplate(changed, "stock.html")).toThrow(/"viewport zoom".*stock\.html/);
  });
});

describe("fixSiteTemplate", () => {
  it("fixes every page of a built site and no file under _file/ or _observablehq/", async () => {
    const dist = await mkdtemp(path.join(tmpdir(), "ccass-template-"));
    try {
      await mkdir(path.join(dist, "_file", "api"), { recursive: true });
      await mkdir(path.join(dist, "guide"), { recursive: true });
      await writeFile(path.join(dist, "index.html"), PAGE);
      await writeFile(path.join(dist, "guide", "intro.html"), PAGE);
      await writeFile(path.join(dist, "_file", "api", "page.html"), PAGE); // data, not a page
      expect(await fixSiteTemplate(dist)).toBe(2);
      for (const page of ["index.html", path.join("guide", "intro.html")]) {
        expect(await readFile(path.join(dist, page), "utf8")).toBe(fixPageTemplate(PAGE, page));
      }
      expect(await readFile(path.join(dist, "_file", "api", "page.html"), "utf8")).toBe(PAGE);
    } finally {
      await rm(dist, { recursive: true, force: true });
    }
  });
});
