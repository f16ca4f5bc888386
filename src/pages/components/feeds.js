// Links to the static API's Atom feeds (docs/DATASETS.md "feeds/"). The market-wide pages announce
// theirs in <head> through front matter (`feed:`, observablehq.config.ts); a stock or participant
// page learns its item from the address, so it adds the <link rel="alternate"> when it runs.
import {html} from "./vendor/htl.js";
import {participantFileName} from "./api.js";
import {isParticipantKey, isStockCode} from "./validate.js";

export const FEEDS_BASE = "./_file/api/v1/feeds/";

/** feeds/<rel> of a stock ("stocks/00700.xml") or a participant ("participants/ip-0123456789ab.xml"); null when not valid. */
export function stockFeed(code) {
  return isStockCode(code) ? `stocks/${code}.xml` : null;
}
export function participantFeed(key) {
  return isParticipantKey(key) ? `participants/${participantFileName(key)}.xml` : null;
}

/** A visible link to a feed (text `label`). */
export function feedLink(rel, label) {
  return html`<p class="cc-muted"><a href=${FEEDS_BASE + rel} type="application/atom+xml" data-testid="feed-link">${label}</a></p>`;
}

/** Announce a feed in <head> (once per page), for browsers and feed readers that run scripts. */
export function announceFeed(rel, title) {
  const href = FEEDS_BASE + rel;
  if (document.head.querySelector(`link[rel~="alternate"][type="application/atom+xml"][href="${CSS.escape(href)}"]`)) return;
  const link = document.createElement("link");
  link.rel = "alternate";
  link.type = "application/atom+xml";
  link.title = title;
  link.href = href;
  document.head.append(link);
}
