// The trail of one stock from its yearly history parts (docs/DATASETS.md "history/"): the holdings of
// any stored date, the change between two dates, one participant's holding through every date.
// Pure functions over plain arrays (no imports), so the tests run them in Node on the same files.
//
// A history is {days, dates, keys, runStart, day, shares} over the parts loaded (any subset of the
// stock's years): `days` one object per stored date (from <code>/<YYYY>.days.parquet), `dates` their
// ISO strings; the change points sorted by participant then date as parallel arrays (`day` indexes
// `dates`), and `runStart[k]` where participant keys[k]'s rows begin (one more entry, the row count).

const iso = (d) => (d instanceof Date ? d.toISOString().slice(0, 10) : String(d));

/** From decoded rows: points [{participant_key, date, shares}] (sorted), days [{date, ...}] (sorted). */
export function buildHistory(points, days) {
  const dates = days.map((d) => iso(d.date));
  const dayOf = new Map(dates.map((d, i) => [d, i]));
  const n = points.length;
  const day = new Int32Array(n);
  const shares = new Float64Array(n);
  const keys = [];
  const runStart = [];
  let prev = null;
  for (let i = 0; i < n; i++) {
    const p = points[i];
    if (p.participant_key !== prev) {
      prev = p.participant_key;
      keys.push(prev);
      runStart.push(i);
    }
    const d = dayOf.get(iso(p.date));
    if (d === undefined) throw new Error(`history row on ${iso(p.date)}, not a stored date of the stock`);
    day[i] = d;
    shares[i] = Number(p.shares);
  }
  runStart.push(n);
  const plainDays = days.map(plainDay);
  return {days: plainDays, dates, keys, runStart, day, shares};
}

/** A decoded days row with numbers for its BIGINTs and an ISO date. */
function plainDay(d) {
  return {...d, date: iso(d.date), issued_shares: Number(d.issued_shares), ca_ratio: num(d.ca_ratio), basis: Number(d.basis ?? 1)};
}

/**
 * One history from yearly parts [{points, days}] (any years, in any order). Each part opens with a
 * snapshot of every position held on its first stored date, so a position held at the end of the
 * previous loaded part and missing from the snapshot ended in between: it gets a 0 row on the
 * part's first date, and a participant's series runs on across the boundary.
 */
export function buildHistoryFromParts(parts) {
  const loaded = parts.filter((p) => p.days.length).sort((a, b) => (iso(a.days[0].date) < iso(b.days[0].date) ? -1 : 1));
  const rows = [];
  let held = new Map();
  for (const part of loaded) {
    const first = iso(part.days[0].date);
    const inSnapshot = new Set();
    const end = new Map();
    for (const p of part.points) {
      const date = iso(p.date);
      rows.push({participant_key: p.participant_key, date, shares: p.shares});
      if (date === first) inSnapshot.add(p.participant_key);
      end.set(p.participant_key, Number(p.shares)); // rows ascend by date within a participant: the last one stays
    }
    for (const [key, shares] of held) if (shares > 0 && !inSnapshot.has(key)) rows.push({participant_key: key, date: first, shares: 0});
    held = end;
  }
  rows.sort((a, b) => (a.participant_key < b.participant_key ? -1 : a.participant_key > b.participant_key ? 1 : a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  return buildHistory(rows, loaded.flatMap((p) => p.days));
}

function num(x) {
  return x == null ? null : Number(x);
}

/** Shares of run k on day index d (0 when not held). Rows of a run ascend by day. */
function sharesOn(h, k, d) {
  let value = 0;
  for (let i = h.runStart[k], end = h.runStart[k + 1]; i < end && h.day[i] <= d; i++) value = h.shares[i];
  return value;
}

/** Index of an ISO date among the stock's stored dates, or -1. */
export function dayIndex(h, date) {
  return h.dates.indexOf(date);
}

/** Every participant holding on day d, as HKEX listed it that day: [{participant_key, shares, pct}], largest first. */
export function holdingsOn(h, d) {
  const issued = h.days[d].issued_shares;
  const out = [];
  for (let k = 0; k < h.keys.length; k++) {
    const shares = sharesOn(h, k, d);
    if (shares > 0) out.push({participant_key: h.keys[k], shares, pct: issued ? (shares / issued) * 100 : null});
  }
  return out.sort(bySharesThenKey);
}

function bySharesThenKey(a, b) {
  return b.shares - a.shares || (a.participant_key < b.participant_key ? -1 : a.participant_key > b.participant_key ? 1 : 0);
}

/** basis(d1) / basis(d0): multiplies day d0's shares into day d1's basis (1 with no split between). */
export function basisRatio(h, d0, d1) {
  return h.days[d1].basis / h.days[d0].basis;
}

/**
 * The splits and consolidations after ISO date0 up to and including date1 among `days` (the days
 * parts of every year between, which may be more than the history has loaded).
 */
export function basisChangesBetween(days, date0, date1) {
  return days.map(plainDay).filter((d) => d.date > date0 && d.date <= date1 && (d.ca_kind === "split" || d.ca_kind === "consolidation"))
    .sort((a, b) => (a.date < b.date ? -1 : 1));
}

/** The shares of every participant listed on day d (intermediaries and consenting investor participants). */
export function listedSharesOn(h, d) {
  let total = 0;
  for (let k = 0; k < h.keys.length; k++) total += sharesOn(h, k, d);
  return total;
}

/**
 * The change from day d0 to day d1 for every participant holding on either: both in day d1's basis
 * (d0's shares times basisRatio, rounded), largest absolute change first.
 * → [{participant_key, shares_before, shares_after, change, pct_before, pct_after, change_pp, status}]
 */
export function compareDays(h, d0, d1) {
  const ratio = basisRatio(h, d0, d1);
  const issued0 = h.days[d0].issued_shares;
  const issued1 = h.days[d1].issued_shares;
  const out = [];
  for (let k = 0; k < h.keys.length; k++) {
    const raw0 = sharesOn(h, k, d0);
    const after = sharesOn(h, k, d1);
    if (raw0 === 0 && after === 0) continue;
    const before = Math.round(raw0 * ratio);
    // % of issued is the same in either basis: the raw figures against that day's issued shares
    const pctBefore = issued0 ? (raw0 / issued0) * 100 : null;
    const pctAfter = issued1 ? (after / issued1) * 100 : null;
    out.push({
      participant_key: h.keys[k], shares_before: before, shares_after: after, change: after - before,
      pct_before: pctBefore, pct_after: pctAfter, change_pp: pctBefore == null || pctAfter == null ? null : pctAfter - pctBefore,
      status: raw0 === 0 ? "entered" : after === 0 ? "left" : ""
    });
  }
  return out.sort((a, b) => Math.abs(b.change) - Math.abs(a.change) || (a.participant_key < b.participant_key ? -1 : 1));
}

/** One participant through every stored date: [{date, shares, pct}] (shares 0 on days it held none). */
export function participantHistory(h, key) {
  const k = runOf(h, key);
  const out = [];
  let i = k < 0 ? 0 : h.runStart[k];
  const end = k < 0 ? 0 : h.runStart[k + 1];
  let value = 0;
  for (let d = 0; d < h.dates.length; d++) {
    while (i < end && h.day[i] <= d) value = h.shares[i++];
    const issued = h.days[d].issued_shares;
    out.push({date: h.dates[d], shares: value, pct: issued ? (value / issued) * 100 : null});
  }
  return out;
}

/** Has this participant ever held the stock (on any stored date)? */
export function everHeld(h, key) {
  return runOf(h, key) >= 0;
}

/** Run index of a participant key, or -1 (keys are sorted: binary search). */
function runOf(h, key) {
  let lo = 0;
  let hi = h.keys.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const k = h.keys[mid];
    if (k === key) return mid;
    if (k < key) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/**
 * One participant across stocks on an ISO date: [{stock_code, shares, pct}] for every stock of
 * `histories` (Map code → history) it held that day (a stock without that stored date is skipped).
 */
export function portfolioOn(histories, key, date) {
  const out = [];
  for (const [code, h] of histories) {
    const d = h.dates.indexOf(date);
    const k = runOf(h, key);
    if (d < 0 || k < 0) continue;
    const shares = sharesOn(h, k, d);
    const issued = h.days[d].issued_shares;
    if (shares > 0) out.push({stock_code: code, shares, pct: issued ? (shares / issued) * 100 : null});
  }
  return out.sort((a, b) => (b.pct ?? 0) - (a.pct ?? 0) || (a.stock_code < b.stock_code ? -1 : 1));
}

/**
 * One participant's change across stocks from date0 to date1 (ISO, date0 earlier): each stock in
 * date1's basis (a stock not listed on date0 starts from 0; one gone by date1 ends at 0),
 * largest absolute change in % of issued first.
 */
export function portfolioChange(histories, key, date0, date1) {
  const out = [];
  for (const [code, h] of histories) {
    const k = runOf(h, key);
    if (k < 0) continue;
    const d0 = h.dates.indexOf(date0);
    const d1 = h.dates.indexOf(date1);
    const raw0 = d0 >= 0 ? sharesOn(h, k, d0) : 0;
    const after = d1 >= 0 ? sharesOn(h, k, d1) : 0;
    if (raw0 === 0 && after === 0) continue;
    const before = d0 >= 0 && d1 >= 0 ? Math.round(raw0 * basisRatio(h, d0, d1)) : raw0;
    const pctBefore = d0 >= 0 && h.days[d0].issued_shares ? (raw0 / h.days[d0].issued_shares) * 100 : 0;
    const pctAfter = d1 >= 0 && h.days[d1].issued_shares ? (after / h.days[d1].issued_shares) * 100 : 0;
    out.push({stock_code: code, shares_before: before, shares_after: after, change: after - before,
      pct_before: pctBefore, pct_after: pctAfter, change_pp: pctAfter - pctBefore,
      status: raw0 === 0 ? "entered" : after === 0 ? "left" : "",
      basis_changed: d0 >= 0 && d1 >= 0 && basisRatio(h, d0, d1) !== 1});
  }
  return out.sort((a, b) => Math.abs(b.change_pp) - Math.abs(a.change_pp) || (a.stock_code < b.stock_code ? -1 : 1));
}
