// Number and date formats readers expect: shares with thousands separators, percentages to
// 2–4 places, signed changes. Missing values show as an em dash, never as 0 or "NaN".

const isNum = (x) => typeof x === "number" && Number.isFinite(x);

// Whole numbers with thousands separators, as Intl.NumberFormat("en-US", {maximumFractionDigits: 0})
// writes them (halves rounded away from zero, "-0" for a negative that rounds to zero), done by hand:
// a page's first Intl.NumberFormat loads ICU's number data, 40–200 ms of a fresh tab's main thread
// before the participant page's first table (docs/SITE.md "The participant page on a date").
// Beyond 2^53 (never a share count) Intl itself, made on first use. Checked against Intl in
// tests/site-format.test.ts.
let intlFormats = null;
const intl = () => (intlFormats ??= {
  plain: new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 }),
  signed: new Intl.NumberFormat("en-US", { maximumFractionDigits: 0, signDisplay: "exceptZero" })
});

/** The digits of |x| rounded half away from zero, grouped by three; null when x is too large to do by hand. */
function groupedDigits(x) {
  const r = Math.round(Math.abs(x));
  if (r > Number.MAX_SAFE_INTEGER) return null;
  const d = String(r);
  let out = d.slice(0, d.length % 3 || 3);
  for (let i = out.length; i < d.length; i += 3) out += `,${d.slice(i, i + 3)}`;
  return out;
}

/** 1234567 → "1,234,567". */
export function fmtShares(x) {
  if (!isNum(x)) return "—";
  const d = groupedDigits(x);
  if (d === null) return intl().plain.format(x);
  return x < 0 || Object.is(x, -0) ? `-${d}` : d;
}

/** Signed change in shares: "+1,200", "−300", "0". */
export function fmtSharesDelta(x) {
  if (!isNum(x)) return "—";
  const d = groupedDigits(x);
  if (d === null) return intl().signed.format(x).replace("-", "−");
  return d === "0" ? "0" : `${x < 0 ? "−" : "+"}${d}`;
}

/**
 * A percentage given in percent (the data's unit: 0.5 means 0.5 %) → "0.50%"; values under 0.1 %
 * get 4 places so a small holder does not read as 0.
 */
export function fmtPct(pct, digits) {
  if (!isNum(pct)) return "—";
  const d = digits ?? (Math.abs(pct) < 0.1 && pct !== 0 ? 4 : 2);
  // a holding too small for 4 places is still a holding: "<0.0001%", not "0.0000%"
  if (digits == null && pct !== 0 && Math.abs(pct) < 0.00005) return `${pct < 0 ? "-" : ""}<0.0001%`;
  return `${pct.toFixed(d)}%`;
}

/** A change in percentage points: "+0.25 pp", "−0.0012 pp". */
export function fmtPctDelta(pp, digits) {
  if (!isNum(pp)) return "—";
  const d = digits ?? (Math.abs(pp) < 0.1 && pp !== 0 ? 4 : 2);
  // a change that rounds to zero keeps its sign and does not read as "−0.0000"
  if (digits == null && pp !== 0 && Math.abs(pp) < 0.00005) return `${pp > 0 ? "+" : "−"}<0.0001 pp`;
  const s = pp.toFixed(d);
  return `${pp > 0 ? "+" : ""}${s.replace("-", "−")} pp`;
}

/** Compact counts: 1234 → "1,234". */
export function fmtCount(x) {
  return fmtShares(x);
}

/** Seconds → "1 m 05 s" / "12.3 s". */
export function fmtDuration(seconds) {
  if (!isNum(seconds)) return "—";
  if (seconds < 59.95) return `${seconds.toFixed(1)} s`;
  // round first, so 119.6 s reads "2 m 00 s", not "1 m 60 s"
  const total = Math.round(seconds);
  const m = Math.floor(total / 60);
  return `${m} m ${String(total - m * 60).padStart(2, "0")} s`;
}

/** Bytes → "1.2 MB". */
export function fmtBytes(x) {
  if (!isNum(x)) return "—";
  const units = ["B", "KB", "MB", "GB"];
  let v = x;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/** "2026-11-20" → Date at UTC midnight (charts use UTC so a date never shifts by a time zone). */
export function parseDate(iso) {
  return new Date(`${iso}T00:00:00Z`);
}
