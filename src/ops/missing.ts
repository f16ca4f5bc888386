// Which dates a workflow still has to scrape, and scraping them within a time budget.
// A fresh CI checkout has the committed Parquet but not the scraper's resume journal (`_state/` is
// never committed), so the committed dataset is the record of what is done: a settlement day is
// stored when the `stocks` or `summary` table holds it (the writer writes a date's tables together,
// once every page of the date has an outcome). Each remaining run of consecutive settlement days
// is one `scrape.ts run`, oldest first, after the newest date if asked.
import { spawn } from "node:child_process";
import path from "node:path";
import { storedDates } from "../dataset/stored-dates.ts";
import { settlementDaysBetween } from "../lib/calendar.ts";

/** The dates `out` holds: those `stocks` or `summary` has (the writer writes a date's tables together). */
export async function storedDays(out: string): Promise<Set<string>> {
  return new Set([...(await storedDates(out, "stocks")), ...(await storedDates(out, "summary"))]);
}

export async function missingDates(out: string, from: string, to: string): Promise<string[]> {
  const stored = await storedDays(out);
  return settlementDaysBetween(from, to).filter((d) => !stored.has(d));
}

export interface DateRange {
  from: string;
  to: string;
}

/** Group dates into runs of consecutive settlement days (weekends and holidays do not break a run). */
export function consecutiveRanges(dates: readonly string[]): DateRange[] {
  const sorted = [...new Set(dates)].sort();
  const ranges: DateRange[] = [];
  for (const d of sorted) {
    const last = ranges.at(-1);
    // consecutive when no settlement day lies strictly between the run's end and d
    if (last && settlementDaysBetween(last.to, d).length === 2) last.to = d;
    else ranges.push({ from: d, to: d });
  }
  return ranges;
}

/** The order a nightly scrapes in: the newest date alone first (if missing), then the rest oldest first. */
export function nightlyRanges(missing: readonly string[], latest: string): DateRange[] {
  const rest = consecutiveRanges(missing.filter((d) => d !== latest));
  return missing.includes(latest) ? [{ from: latest, to: latest }, ...rest] : rest;
}

export interface BudgetResult {
  /**
   * done: every range scraped; budget: stopped at the deadline; incomplete: some dates still have
   * pending pages (the scraper's exit 3: those dates are not written, a later run resumes them);
   * failed: a scrape exited with another non-zero status
   */
  outcome: "done" | "budget" | "incomplete" | "failed";
  /** exit status for the workflow: 0, 124 (budget spent, like timeout(1)), 3 (incomplete) or the scraper's */
  exitCode: number;
  finished: DateRange[];
}

export interface BudgetOptions {
  ranges: readonly DateRange[];
  deadline: number; // epoch ms
  /** `scrape.ts run` options other than --from/--to */
  args: readonly string[];
  /** how long a stopped scrape gets to finish cleanly after SIGINT before SIGKILL */
  graceMs?: number;
  log?: (line: string) => void;
  scrapeScript?: string;
}

/**
 * The `scrape.ts run` options other than --from/--to. `scrape.ts run` refuses --stocks together with
 * --universe (commander `conflicts`), so --universe is passed only when no stock list is given.
 */
export function scrapeRunArgs(o: { out: string; baseUrl: string; universe: string; stocks?: string; rate?: string; concurrency?: string; cache?: string }): string[] {
  const args = ["--out", o.out, "--base-url", o.baseUrl];
  if (o.stocks !== undefined) args.push("--stocks", o.stocks);
  else args.push("--universe", o.universe);
  for (const [flag, v] of [["--rate", o.rate], ["--concurrency", o.concurrency], ["--cache", o.cache]] as const) if (v !== undefined) args.push(flag, v);
  return args;
}

/** setTimeout fires at once (TimeoutOverflowWarning) for delays above this. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** `scrape.ts run` exits 3 when it finished but some dates still have pending pages. */
export const INCOMPLETE = 3;

const SCRAPE = path.resolve(import.meta.dirname, "..", "..", "scripts", "scrape.ts");

/** Run `scrape.ts run` for each range in turn until the deadline; output passes through. */
export async function scrapeWithinBudget(o: BudgetOptions): Promise<BudgetResult> {
  const log = o.log ?? ((l: string) => console.log(l));
  const finished: DateRange[] = [];
  let incomplete = false;
  for (const r of o.ranges) {
    const left = o.deadline - Date.now();
    if (left <= 0) return { outcome: "budget", exitCode: 124, finished };
    log(`scrape ${r.from} → ${r.to} (${Math.round(left / 60000)} min left)`);
    const child = spawn(process.execPath, ["--import", "tsx", o.scrapeScript ?? SCRAPE, "run", "--from", r.from, "--to", r.to, ...o.args], {
      stdio: "inherit",
    });
    let stopped = false;
    const timer = setTimeout(() => {
      stopped = true;
      child.kill("SIGINT");
      setTimeout(() => child.kill("SIGKILL"), o.graceMs ?? 120_000).unref();
    }, Math.min(left, MAX_TIMER_MS));
    const code = await new Promise<number>((resolve, reject) => {
      child.on("error", reject);
      child.on("exit", (c, signal) => resolve(c ?? (signal ? 128 : 1)));
    });
    clearTimeout(timer);
    if (stopped) return { outcome: "budget", exitCode: 124, finished };
    if (code === INCOMPLETE) {
      incomplete = true; // complete dates of the range are written; go on with the next range
      continue;
    }
    if (code !== 0) return { outcome: "failed", exitCode: code, finished };
    finished.push(r);
  }
  return incomplete ? { outcome: "incomplete", exitCode: INCOMPLETE, finished } : { outcome: "done", exitCode: 0, finished };
}
