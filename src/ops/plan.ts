// Planning for the scheduled workflows: which dates the nightly scrapes, how the backfill splits a
// date range across runners and what request rate each runner may use. Pure functions, so the
// workflows compute these in a step (scripts/ops.ts) instead of by hand, and tests can check them.
import { addDays, settlementDayOnOrBefore, settlementDaysBetween } from "../lib/calendar.ts";
import { assertIsoDate } from "../lib/validate.ts";

export class PlanError extends Error {
  override readonly name = "PlanError";
}

/** Today's date in Hong Kong (UTC+8 all year). */
export function hkToday(now: Date = new Date()): string {
  return new Date(now.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}

/**
 * The latest settlement date HKEX shows: the settlement day before Hong Kong's today (the search
 * form's hidden `today` field is one day past the newest date it accepts).
 */
export function latestPublishedDate(now: Date = new Date()): string {
  return settlementDayOnOrBefore(addDays(hkToday(now), -1));
}

export interface NightlyPlan {
  /** the newest date, scraped first */
  latest: string;
  /** start of the window in which missing dates are filled in, oldest first */
  windowFrom: string;
}

export function nightlyPlan(windowDays: number, now: Date = new Date()): NightlyPlan {
  if (!Number.isInteger(windowDays) || windowDays < 0 || windowDays > 366) {
    throw new PlanError(`window must be 0–366 calendar days, got ${windowDays}`);
  }
  const latest = latestPublishedDate(now);
  return { latest, windowFrom: addDays(latest, -windowDays) };
}

export interface Shard {
  index: number;
  from: string;
  to: string;
  /** settlement days in [from, to] */
  days: number;
  /** months covered, so no two shards ever write the same month file */
  months: string[];
}

export interface BackfillPlan {
  shards: Shard[];
  /** requests per second for each shard: ceiling ÷ shards, rounded down */
  perShardRate: number;
  ceiling: number;
  settlementDays: number;
}

/**
 * Split [from, to] into at most `maxShards` contiguous runs of whole calendar months, balanced by
 * settlement days. Month-aligned shards never write the same compacted month file, so merging
 * their outputs is a plain copy. The combined rate stays within `ceiling`: each shard gets
 * ceiling ÷ (shards actually used), rounded down to 1/1000 req/s.
 */
export function backfillPlan(from: string, to: string, maxShards: number, ceiling: number): BackfillPlan {
  assertIsoDate(from);
  assertIsoDate(to);
  if (from > to) throw new PlanError(`from (${from}) is after to (${to})`);
  if (!Number.isInteger(maxShards) || maxShards < 1 || maxShards > 64) throw new PlanError(`shards must be an integer 1–64, got ${maxShards}`);
  if (!Number.isFinite(ceiling) || ceiling <= 0 || ceiling > 50) throw new PlanError(`rate ceiling must be > 0 and ≤ 50 requests/s, got ${ceiling}`);
  const days = settlementDaysBetween(from, to);
  if (days.length === 0) throw new PlanError(`no settlement day between ${from} and ${to}`);

  const byMonth = new Map<string, string[]>();
  for (const d of days) {
    const m = d.slice(0, 7);
    byMonth.set(m, [...(byMonth.get(m) ?? []), d]);
  }
  const months = [...byMonth.keys()];
  const count = Math.min(maxShards, months.length);
  // Greedy contiguous split: close a shard once it holds its share of the remaining days.
  const groups: string[][] = [];
  let remainingDays = days.length;
  let i = 0;
  for (let s = 0; s < count; s++) {
    const shardsLeft = count - s;
    const target = remainingDays / shardsLeft;
    const group: string[] = [];
    let taken = 0;
    while (i < months.length && (group.length === 0 || (taken < target && months.length - i > shardsLeft - 1))) {
      const m = months[i]!;
      const n = byMonth.get(m)!.length;
      // Stop before a month that overshoots the target by more than it would undershoot.
      if (group.length > 0 && taken + n - target > target - taken) break;
      group.push(m);
      taken += n;
      i++;
    }
    remainingDays -= taken;
    groups.push(group);
  }
  // Any months left (rounding) go to the last shard.
  while (i < months.length) groups[groups.length - 1]!.push(months[i++]!);

  const shards = groups.map((g, index): Shard => {
    const shardDays = g.flatMap((m) => byMonth.get(m)!);
    return { index, from: shardDays[0]!, to: shardDays[shardDays.length - 1]!, days: shardDays.length, months: g };
  });
  const perShardRate = Math.floor((ceiling / shards.length) * 1000) / 1000;
  if (perShardRate <= 0) throw new PlanError(`a ceiling of ${ceiling} req/s over ${shards.length} shards leaves each less than 0.001 req/s`);
  return { shards, perShardRate, ceiling, settlementDays: days.length };
}
