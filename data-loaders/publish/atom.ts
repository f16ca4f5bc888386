// Atom (RFC 4287) serialisation for the static API's feeds (feeds.ts). Hand-written: five
// characters to escape and one document shape, not worth a dependency. Every text here may come
// from a scraped page (names), so it is escaped, and characters XML 1.0 cannot carry at all (C0
// controls other than tab/LF/CR, lone surrogates, U+FFFE/U+FFFF) are dropped rather than written.

/** Text or attribute value, escaped for XML 1.0 (`&`, `<`, `>`, `"`, `'`), invalid characters removed. */
export function xmlEscape(s: string): string {
  return s
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

/** RFC 3339 date-time of a Hong Kong settlement date (`2026-11-20` → `2026-11-20T00:00:00+08:00`). */
export function settlementDateTime(date: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new RangeError(`not an ISO date: ${JSON.stringify(date)}`);
  return `${date}T00:00:00+08:00`;
}

export interface AtomEntry {
  /** A URI that never changes for this item (built from the data, never from the build). */
  id: string;
  title: string;
  /** Settlement date, YYYY-MM-DD. */
  date: string;
  /** Link to the page that shows the item, relative to the site root (the feed's xml:base). */
  href: string;
  summary: string;
}

export interface AtomFeed {
  id: string;
  title: string;
  subtitle: string;
  /** The feed's own path under the site root (`_file/api/v1/feeds/transfers.xml`). */
  self: string;
  /** The page the feed follows, relative to the site root (`transfers`). */
  alternate: string;
  /** `updated` when there is no entry (the dataset's latest date), YYYY-MM-DD. */
  latestDate: string | null;
  entries: readonly AtomEntry[];
}

/**
 * The feed document. xml:base climbs from the feed's folder to the site root, so every link is
 * relative and the same file works wherever the site is served. `updated` is the newest entry's
 * date (or the latest stored date): the bytes depend on the data only.
 */
export function atomXml(feed: AtomFeed): string {
  const depth = feed.self.split("/").length - 1;
  const base = "../".repeat(depth);
  const newest = feed.entries.reduce<string | null>((m, e) => (m === null || e.date > m ? e.date : m), null) ?? feed.latestDate ?? "1970-01-01";
  const lines = [
    '<?xml version="1.0" encoding="utf-8"?>',
    `<feed xmlns="http://www.w3.org/2005/Atom" xml:base="${xmlEscape(base)}">`,
    `  <id>${xmlEscape(feed.id)}</id>`,
    `  <title>${xmlEscape(feed.title)}</title>`,
    `  <subtitle>${xmlEscape(feed.subtitle)}</subtitle>`,
    `  <updated>${settlementDateTime(newest)}</updated>`,
    "  <author><name>CCASS Observatory</name></author>",
    `  <link rel="self" type="application/atom+xml" href="${xmlEscape(feed.self)}"/>`,
    `  <link rel="alternate" type="text/html" href="${xmlEscape(feed.alternate)}"/>`,
  ];
  for (const e of feed.entries) {
    lines.push(
      "  <entry>",
      `    <id>${xmlEscape(e.id)}</id>`,
      `    <title>${xmlEscape(e.title)}</title>`,
      `    <updated>${settlementDateTime(e.date)}</updated>`,
      `    <link rel="alternate" type="text/html" href="${xmlEscape(e.href)}"/>`,
      `    <summary>${xmlEscape(e.summary)}</summary>`,
      "  </entry>",
    );
  }
  lines.push("</feed>", "");
  return lines.join("\n");
}
