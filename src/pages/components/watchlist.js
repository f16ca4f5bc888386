// "My stocks" and "my participants", kept in this browser only (localStorage, no account), and
// shareable as an address: watchlist?stocks=00700,00005&participants=C00019. Storage may be blocked
// (private modes, strict settings, a sandboxed frame): every function then says so instead of
// failing, and the list still works for the page's lifetime and through its address.
import {html} from "./vendor/htl.js";
import {isParticipantKey, isStockCode} from "./validate.js";

export const WATCHLIST_KEY = "ccass-watchlist";
const MAX_ITEMS = 200;

/** A list from untrusted input: valid codes and keys only, each once, sorted, at most MAX_ITEMS. */
export function cleanWatchlist(list) {
  const clean = (xs, ok) => [...new Set((Array.isArray(xs) ? xs : []).filter(ok))].sort().slice(0, MAX_ITEMS);
  return {stocks: clean(list?.stocks, isStockCode), participants: clean(list?.participants, isParticipantKey)};
}

/** {stocks, participants, stored}: stored is false when the browser refuses storage. */
export function readWatchlist() {
  try {
    const text = window.localStorage.getItem(WATCHLIST_KEY);
    return {...cleanWatchlist(text ? JSON.parse(text) : {}), stored: true};
  } catch {
    return {...cleanWatchlist({}), stored: false};
  }
}

/** Save; returns false when storage is blocked (nothing kept). */
export function writeWatchlist(list) {
  try {
    window.localStorage.setItem(WATCHLIST_KEY, JSON.stringify(cleanWatchlist(list)));
    return true;
  } catch {
    return false;
  }
}

/** The list named by an address's ?stocks=…&participants=… (null when it names none). */
export function watchlistFromParams(params) {
  if (!params.has("stocks") && !params.has("participants")) return null;
  const split = (name) => (params.get(name) ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  return cleanWatchlist({stocks: split("stocks"), participants: split("participants")});
}

/** The shareable address of a list, relative to the site root's pages. */
export function watchlistHref(list) {
  const p = new URLSearchParams();
  const l = cleanWatchlist(list);
  if (l.stocks.length) p.set("stocks", l.stocks.join(","));
  if (l.participants.length) p.set("participants", l.participants.join(","));
  // commas stay readable: codes and keys never contain one
  return `./watchlist?${p.toString().replaceAll("%2C", ",").replaceAll("%3A", ":")}`;
}

/**
 * The star button of a stock (kind "stocks") or participant ("participants") page: adds or removes
 * it from the reader's list. aria-pressed says whether it is in; a note says when storage is blocked.
 */
export function starButton(kind, id, what) {
  const note = html`<span class="cc-muted" role="status" data-testid="star-status"></span>`;
  const button = html`<button type="button" class="cc-star" data-testid="star-button"></button>`;
  const render = () => {
    const list = readWatchlist();
    const on = list[kind].includes(id);
    button.setAttribute("aria-pressed", String(on));
    button.textContent = on ? `★ In my watchlist` : `☆ Add to my watchlist`;
    button.title = on ? `Remove ${what} from your watchlist` : `Add ${what} to your watchlist (kept in this browser only)`;
    if (!list.stored) {
      button.disabled = true;
      note.textContent = " Your browser blocks storage for this site, so a watchlist cannot be kept here; a watchlist address (watchlist?stocks=…) still works.";
    }
  };
  button.onclick = () => {
    const list = readWatchlist();
    const has = list[kind].includes(id);
    list[kind] = has ? list[kind].filter((x) => x !== id) : [...list[kind], id];
    if (!writeWatchlist(list)) note.textContent = " Could not save: your browser blocks storage for this site.";
    else note.textContent = has ? ` Removed from your watchlist.` : ` Added to your watchlist.`;
    render();
  };
  render();
  return html`<p class="cc-star-line">${button} <a href="./watchlist">My watchlist</a>${note}</p>`;
}
