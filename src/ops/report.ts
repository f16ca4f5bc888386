// What a workflow run tells its reader: the rejected pages (with their reasons) and the latest run
// report, as Markdown for the job summary, and the drift check's verdict. Reads only the files the
// scraper leaves beside the dataset (docs/ARCHITECTURE.md): `_rejects/date=D/<code>.json` and `_runs/*.json`.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { listRejects, type StoredReject } from "../ingest/evidence.ts";
import { runReportFiles, runsDir } from "../dataset/layout.ts";
import { terminalText } from "../lib/terminal.ts";

export type Reject = StoredReject;

export const DRIFT_PREFIX = "markup drift:";

/**
 * Whether a reject's reason is markup drift. The parser's reason starts with "markup drift:", but
 * the scraper (src/hkex/client.ts) and `reparse` store it behind the parse error, as
 * "no-result: markup drift: …", so the prefix may follow one `error: ` label.
 */
export function isDriftReason(reason: string): boolean {
  return /^(?:[a-z-]+: )?markup drift:/.test(reason);
}

/** The rejected pages, as the scraper keeps them (src/ingest/evidence.ts). */
export async function readRejects(out: string): Promise<Reject[]> {
  return listRejects(out);
}

/** The newest run report (run ids sort by start time), parsed, with its path; null when there is none. */
export async function latestRunReport(out: string): Promise<{ file: string; report: Record<string, unknown> } | null> {
  const newest = runReportFiles(out).at(-1);
  if (newest === undefined) return null;
  const file = path.join(runsDir(out), newest);
  return { file, report: JSON.parse(await readFile(file, "utf8")) as Record<string, unknown> };
}

/**
 * Markdown cell text: no pipes or line breaks from scraped text can break the table, and no
 * brackets, parentheses or "!" can turn a scraped label into a link or an image in the summary,
 * and no control character reaches the log that prints it.
 */
export function mdCell(s: string): string {
  // Cut before escaping: a cut after could leave a lone backslash that escapes the cell's own "|".
  return terminalText(s).replace(/\s+/g, " ").slice(0, 300).replace(/[|\\`<>[\]()!]/g, (c) => `\\${c}`);
}

export async function runSummaryMarkdown(out: string, title: string): Promise<string> {
  const lines = [`### ${mdCell(title)}`, ""];
  const run = await latestRunReport(out);
  if (run) {
    lines.push(`Run report \`${path.basename(run.file)}\`:`, "", "| field | value |", "| --- | --- |");
    for (const [k, v] of Object.entries(run.report)) {
      if (v === null || typeof v !== "object") lines.push(`| ${mdCell(k)} | ${mdCell(String(v))} |`);
      else if (!Array.isArray(v)) lines.push(`| ${mdCell(k)} | ${mdCell(JSON.stringify(v))} |`);
      else lines.push(`| ${mdCell(k)} | ${v.length} entries |`);
    }
    lines.push("");
  } else lines.push("No run report was written.", "");
  const rejects = await readRejects(out);
  if (rejects.length === 0) lines.push("No rejected pages.");
  else {
    lines.push(`**${rejects.length} rejected page(s)** (raw pages in the run's artifacts):`, "", "| date | page | reason |", "| --- | --- | --- |");
    for (const r of rejects.slice(0, 50)) lines.push(`| ${r.date} | ${mdCell(r.page)} | ${mdCell(r.reason)} |`);
    if (rejects.length > 50) lines.push(`| … | ${rejects.length - 50} more | |`);
  }
  return `${lines.join("\n")}\n`;
}

export interface DriftVerdict {
  ok: boolean;
  drift: Reject[];
  otherRejects: Reject[];
}

export async function driftVerdict(out: string): Promise<DriftVerdict> {
  const rejects = await readRejects(out);
  const drift = rejects.filter((r) => isDriftReason(r.reason));
  const otherRejects = rejects.filter((r) => !isDriftReason(r.reason));
  return { ok: rejects.length === 0, drift, otherRejects };
}
