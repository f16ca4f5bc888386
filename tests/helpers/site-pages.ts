// What the page-by-page site tests share (tests/a11y.test.ts, tests/site-real-data.test.ts): the list
// of pages, waiting until Framework has run every cell, axe-core, and values Framework shows with its
// inspector where a page meant to show content.
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { Page } from "playwright-core";
import config from "../../observablehq.config.ts";

const AXE_SCRIPT = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
let axeSource: string | undefined;
export const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

interface ConfigPage {
  path?: string;
  pages?: ConfigPage[];
}

/** Every page path of the sidebar configuration, sections flattened: "/", "/stock", … */
function configPaths(pages: readonly ConfigPage[]): string[] {
  return pages.flatMap((p) => [...(p.path ? [p.path] : []), ...configPaths(p.pages ?? [])]);
}

export const configured = configPaths(config.pages as ConfigPage[]);
export const dynamic: string[] = (config as { dynamicPaths?: string[] }).dynamicPaths ?? [];
// Pages in src/pages that neither the sidebar nor the dynamic paths name (reached only by links).
const known = new Set([...configured, ...dynamic].map((p) => (p === "/" ? "/index" : p)));
export const otherPages = readdirSync(path.join(import.meta.dirname, "..", "..", "src", "pages"))
  .filter((f) => f.endsWith(".md"))
  .map((f) => `/${f.replace(/\.md$/, "")}`)
  .filter((p) => !known.has(p));

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; html: string }[];
}

/** Wait until Framework has run every cell: no loading placeholder left, the network quiet. */
export async function settle(page: Page): Promise<void> {
  await page.waitForLoadState("networkidle");
  await page.waitForFunction(() => document.querySelectorAll("observablehq-loading").length === 0, null, { timeout: 15_000 });
  await page.waitForTimeout(200);
}

export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  // Evaluated through the DevTools protocol, not added as a <script>: every page's
  // Content-Security-Policy (scripts/lib/site-csp.ts) refuses an inline script it has no hash for.
  axeSource ??= readFileSync(AXE_SCRIPT, "utf8");
  await page.evaluate(axeSource);
  return page.evaluate(async (tags) => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target, html: n.html.slice(0, 160) })),
    }));
  }, AXE_TAGS);
}

/**
 * Values Framework displayed with its inspector (`.observablehq--inspect`: a stray `null`, an
 * object, an error) in the page's content. Pages display elements only, so any is a bug: a cell
 * that meant to show nothing returned something Framework could not render as a node.
 */
export async function inspectorValues(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll("#observablehq-main .observablehq--inspect")).map(
      (el) => `${el.closest(".observablehq")?.id || el.parentElement?.id || "?"}: ${(el.textContent ?? "").slice(0, 80)}`,
    ),
  );
}
