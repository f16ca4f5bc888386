// The resume journal: one NDJSON file per date under `<out>/_state/`, one line per page outcome.
// A line is appended as soon as a page has its final outcome; an `ok` line carries the parsed page
// until the date is written to Parquet, after which the file is rewritten (atomically) without the
// page bodies and with `written: true`. A run killed anywhere leaves at worst a torn last line,
// which reading ignores and appending cuts off, so the next run redoes exactly the missing pages.
import { appendFileSync, existsSync, readFileSync, readdirSync, truncateSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { HoldingsPage, ParticipantListPage, SouthboundPage, StockListPage } from "../hkex/types.ts";
import { writeFileAtomic } from "../lib/atomic.ts";
import { assertIsoDate, isIsoDate } from "../lib/validate.ts";
import { stateDir } from "../dataset/layout.ts";

/**
 * Which page of a date a line is about: a stock code, or one of the date's three list pages.
 * `plan` is not a page: its line records the stock codes the latest run planned for the date.
 */
export type PageId = string; // "00700" | "stocklist" | "partlist" | "southbound" | "plan"
export const LIST_PAGES = ["stocklist", "partlist", "southbound"] as const;

export type PageStatus = "ok" | "alert" | "rejected";
export const PLAN = "plan";

export interface JournalLine {
  page: PageId;
  status: PageStatus;
  /** alert message or reject reason */
  detail?: string;
  /** the parsed page, until the date is written */
  data?: HoldingsPage | StockListPage | ParticipantListPage | SouthboundPage;
  written?: boolean;
  /** `plan` lines: the codes planned */
  codes?: string[];
}

export interface DateJournal {
  date: string;
  /** last outcome per page */
  pages: Map<PageId, JournalLine>;
}

export function journalFile(root: string, date: string): string {
  return path.join(stateDir(root), `date=${assertIsoDate(date)}.ndjson`);
}

/** Read a date's journal; a torn (unparseable) last line is ignored. */
export function readJournal(root: string, date: string): DateJournal {
  const file = journalFile(root, date);
  const pages = new Map<PageId, JournalLine>();
  if (existsSync(file)) {
    const lines = readFileSync(file, "utf8").split("\n");
    lines.forEach((text, i) => {
      if (text.trim() === "") return;
      try {
        const line = JSON.parse(text) as JournalLine;
        pages.set(line.page, line);
      } catch (err) {
        // Only the last line can be torn (a kill mid-append); anything else is real corruption.
        if (i < lines.length - 1 && lines.slice(i + 1).some((l) => l.trim() !== ""))
          throw new Error(`journal ${file} line ${i + 1} is corrupt: ${(err as Error).message}`);
      }
    });
  }
  return { date, pages };
}

/** Dates that have a journal, ascending. */
export function journalDates(root: string): string[] {
  const dir = stateDir(root);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((f) => /^date=(.+)\.ndjson$/.exec(f)?.[1])
    .filter((d): d is string => isIsoDate(d))
    .sort();
}

/** Appends outcome lines to one date's journal, after cutting off a torn last line. */
export class JournalWriter {
  private constructor(private readonly file: string) {}

  static async open(root: string, date: string): Promise<JournalWriter> {
    const file = journalFile(root, date);
    await mkdir(path.dirname(file), { recursive: true });
    if (existsSync(file)) {
      const text = readFileSync(file, "utf8");
      if (text.length > 0 && !text.endsWith("\n")) truncateSync(file, Buffer.byteLength(text.slice(0, text.lastIndexOf("\n") + 1)));
    }
    return new JournalWriter(file);
  }

  /** One line per call, in one write(2): a kill leaves it whole or torn at the end, never interleaved. */
  append(line: JournalLine): void {
    appendFileSync(this.file, JSON.stringify(line) + "\n");
  }
}

/**
 * After the date is in Parquet: drop the page bodies and mark every ok line written. The stock
 * list keeps its body (small), so a later run asking for more stocks of the date can plan them.
 */
export async function markWritten(root: string, journal: DateJournal): Promise<void> {
  for (const l of journal.pages.values()) {
    if (l.page !== "stocklist") delete l.data;
    if (l.status === "ok" && l.page !== PLAN) l.written = true;
  }
  const lines = [...journal.pages.values()].map((l) => JSON.stringify(l));
  await writeFileAtomic(journalFile(root, journal.date), lines.join("\n") + "\n");
}
