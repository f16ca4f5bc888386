// Hong Kong settlement calendar: weekdays that are not Hong Kong public holidays.
// HKEX publishes holdings for every calendar day but repeats the previous settlement day's figures
// on weekends and holidays, so only these days carry new data. The holiday list comes from the
// date-holidays library (observed-day rules included) rather than a hand-kept table.
import Holidays from "date-holidays";
import { assertIsoDate } from "./validate.ts";

const hk = new Holidays("HK");
const holidayCache = new Map<number, Set<string>>();

function holidaysOf(year: number): Set<string> {
  let set = holidayCache.get(year);
  if (!set) {
    set = new Set(
      hk
        .getHolidays(year)
        .filter((h) => h.type === "public")
        .map((h) => h.date.slice(0, 10)),
    );
    holidayCache.set(year, set);
  }
  return set;
}

export function addDays(date: string, n: number): string {
  const d = new Date(`${assertIsoDate(date)}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

export function isHolidayHK(date: string): boolean {
  return holidaysOf(Number(date.slice(0, 4))).has(date);
}

export function isSettlementDay(date: string): boolean {
  const dow = new Date(`${assertIsoDate(date)}T00:00:00Z`).getUTCDay();
  return dow !== 0 && dow !== 6 && !isHolidayHK(date);
}

/** The settlement day on or before `date` (the day whose figures HKEX shows for `date`). */
export function settlementDayOnOrBefore(date: string): string {
  let d = date;
  while (!isSettlementDay(d)) d = addDays(d, -1);
  return d;
}

/** Settlement days from `from` to `to`, both inclusive, ascending. */
export function settlementDaysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = assertIsoDate(from); d <= assertIsoDate(to); d = addDays(d, 1)) if (isSettlementDay(d)) out.push(d);
  return out;
}

/** The last `count` settlement days ending on or before `end`, ascending. */
export function lastSettlementDays(end: string, count: number): string[] {
  const out: string[] = [];
  for (let d = settlementDayOnOrBefore(end); out.length < count; d = settlementDayOnOrBefore(addDays(d, -1))) out.push(d);
  return out.reverse();
}
