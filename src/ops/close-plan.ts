// When a month leaves data-open for main (src/ops/data-branch.ts): the rule, apart from git so it
// can be read (and tested) on a dataset folder alone. A month closes once it can no longer change
// in the normal course: all its settlement days are stored, or HKEX can no longer show the missing
// ones. Closing a month that may still change would rewrite its file on main (history grows by a
// month file each time); keeping a finished one open costs only data-open's size.
import { tableLayout } from "../dataset/layout.ts";
import { isMonth, monthOf, TABLES } from "../dataset/layout.ts";
import { addDays, settlementDaysBetween } from "../lib/calendar.ts";
import { InvalidValueError } from "../lib/validate.ts";
import { storedDays } from "./missing.ts";

/** Days after which a month with missing settlement days closes anyway: HKEX shows 12 months, so older days can never be scraped. */
export const DEFAULT_FINAL_DAYS = 366;

/** First and last calendar day of a month. */
function monthBounds(month: string): [string, string] {
  const [y, m] = month.split("-").map(Number) as [number, number];
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return [`${month}-01`, `${month}-${String(last).padStart(2, "0")}`];
}

/** Months that still have daily files, in any table. */
async function monthsWithDailyFiles(out: string): Promise<string[]> {
  const months = new Set<string>();
  for (const t of TABLES) for (const d of (tableLayout(out, t)).daily.keys()) months.add(monthOf(d));
  return [...months].sort();
}

export interface ClosePlan {
  newest: string | null;
  /** months that close now, with why */
  close: { month: string; why: "complete" | "final" | "asked" }[];
  /** months that keep their daily files (on data-open) */
  open: string[];
}

/**
 * Which months close: every month before the newest stored date's month whose settlement days are
 * all stored (HKEX's calendar, src/lib/calendar.ts; stored as the workflows count it, missing.ts), or whose last day is more than `finalDays`
 * before the newest date (HKEX can no longer show its missing days), or that is asked for.
 * The newest date's month never closes on its own: its days are still coming.
 */
export async function planClose(out: string, opts: { finalDays?: number; months?: readonly string[] } = {}): Promise<ClosePlan> {
  const finalDays = opts.finalDays ?? DEFAULT_FINAL_DAYS;
  for (const m of opts.months ?? []) if (!isMonth(m)) throw new InvalidValueError("month (YYYY-MM)", m);
  const stored = await storedDays(out);
  const newest = [...stored].sort().at(-1) ?? null;
  const plan: ClosePlan = { newest, close: [], open: [] };
  const asked = new Set(opts.months ?? []);
  for (const month of await monthsWithDailyFiles(out)) {
    const [first, last] = monthBounds(month);
    if (asked.has(month)) plan.close.push({ month, why: "asked" });
    else if (newest === null || month >= monthOf(newest)) plan.open.push(month);
    else if (settlementDaysBetween(first, last).every((d) => stored.has(d))) plan.close.push({ month, why: "complete" });
    else if (last < addDays(newest, -finalDays)) plan.close.push({ month, why: "final" });
    else plan.open.push(month);
  }
  return plan;
}
