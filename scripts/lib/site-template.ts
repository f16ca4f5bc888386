// Accessibility fixes to Observable Framework 1.13's page template, applied to every built HTML page
// by scripts/build-site.ts. Framework has no configuration option for any of them (docs/SITE.md
// "Accessibility" says what each works around and which could go upstream):
//   - <html> has no lang: screen readers guess the language (WCAG 3.1.1);
//   - the viewport meta sets maximum-scale=1, which stops pinch zoom on phones (WCAG 1.4.4);
//   - the sidebar's close <label> sits directly inside an <ol>, which may hold only <li> (WCAG 1.3.1);
//   - no "skip to content" link before the sidebar's links (WCAG 2.4.1).
// Each fix must find exactly what it expects: a changed template fails the build with TemplateFixError
// instead of shipping pages without the fix. Applying the fixes twice changes nothing.
import { rewriteSitePages } from "./site-pages.ts";

export class TemplateFixError extends Error {
  override readonly name = "TemplateFixError";
  constructor(
    readonly fix: string,
    readonly file: string,
  ) {
    super(`Framework's page template changed: the "${fix}" fix found nothing to change in ${file} (see scripts/lib/site-template.ts)`);
  }
}

export const SKIP_LINK = `<a class="cc-skip-link" href="#observablehq-main">Skip to content</a>`;

interface TemplateFix {
  name: string;
  /** Already applied (re-running is safe). */
  done: RegExp;
  find: RegExp;
  replace: string;
  /** Only pages with this part of the template need the fix (the sidebar is optional). */
  when?: RegExp;
}

const FIXES: TemplateFix[] = [
  { name: "lang", done: /<html lang="/, find: /<html>/, replace: `<html lang="en">` },
  {
    name: "viewport zoom",
    done: /<meta name="viewport" content="width=device-width, initial-scale=1">/,
    find: /(<meta name="viewport" content="width=device-width, initial-scale=1), maximum-scale=1(">)/,
    replace: "$1$2",
  },
  {
    name: "sidebar label",
    when: /<nav id="observablehq-sidebar">/,
    done: /<label id="observablehq-sidebar-close"[^>]*><\/label>\s*<ol>/,
    find: /<ol>(\s*)(<label id="observablehq-sidebar-close"[^>]*><\/label>)/,
    replace: "$2$1<ol>",
  },
  { name: "skip link", done: /<body>\s*<a class="cc-skip-link"/, find: /<body>/, replace: `<body>\n${SKIP_LINK}` },
];

/** One built page with every fix applied; `file` names it in errors. */
export function fixPageTemplate(html: string, file: string): string {
  let out = html;
  for (const fix of FIXES) {
    if (fix.when && !fix.when.test(out)) continue;
    if (fix.done.test(out)) continue;
    if (!fix.find.test(out)) throw new TemplateFixError(fix.name, file);
    out = out.replace(fix.find, fix.replace);
  }
  return out;
}

/** Every page of a built site (not the files under _file/, _observablehq/, _npm/…), fixed in place. */
export async function fixSiteTemplate(dist: string): Promise<number> {
  return (await rewriteSitePages(dist, fixPageTemplate)).pages;
}
