// The README's figures table and its one source in git, docs/figures.json. bench-out/ is git-ignored
// (a run's raw output); a benchmark's headline rows are recorded into docs/figures.json (merge), and
// the README's table between its markers is rendered from that file (render), never typed by hand:
// tests/figures.test.ts fails while the two disagree.

export interface FigureRow {
  what: string;
  measured: string;
  goal: string;
  /** the `npm run bench -- NAME` that measures it, if any */
  bench: string | null;
}

export interface Figures {
  note?: string;
  rows: FigureRow[];
}

export const START = "<!-- figures:start (rendered from docs/figures.json by `npm run figures`; do not edit) -->";
export const END = "<!-- figures:end -->";

export class FiguresError extends Error {
  override readonly name = "FiguresError";
}

const cell = (s: string) => s.replaceAll("|", "\\|").replaceAll("\n", " ");

/** The markdown table of the rows. */
export function renderTable(f: Figures): string {
  return ["| what | measured | goal |", "| --- | --- | --- |", ...f.rows.map((r) => `| ${cell(r.what)} | ${cell(r.measured)} | ${cell(r.goal)} |`)].join("\n");
}

/** `readme` with the table between the markers replaced by `table`. */
export function replaceBlock(readme: string, table: string): string {
  const a = readme.indexOf(START);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new FiguresError(`README has no figures block (${START} … ${END})`);
  return `${readme.slice(0, a + START.length)}\n${table}\n${readme.slice(b)}`;
}

/** The table currently between the markers. */
export function currentBlock(readme: string): string {
  const a = readme.indexOf(START);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new FiguresError(`README has no figures block (${START} … ${END})`);
  return readme.slice(a + START.length, b).trim();
}

/**
 * Record a benchmark's rows (bench-out/NAME.json's `readme_rows`: [{what, measured, goal?}]): a row
 * with the same `what` is replaced in place (its goal kept unless given), a new one is appended.
 */
export function mergeBenchRows(f: Figures, bench: string, benchOut: unknown): Figures {
  const got = (benchOut as { readme_rows?: unknown }).readme_rows;
  if (got === undefined) return f;
  if (!Array.isArray(got)) throw new FiguresError(`bench-out/${bench}.json: readme_rows must be a list`);
  const rows = f.rows.map((r) => ({ ...r }));
  for (const g of got as { what?: unknown; measured?: unknown; goal?: unknown }[]) {
    if (typeof g.what !== "string" || typeof g.measured !== "string")
      throw new FiguresError(`bench-out/${bench}.json: each readme_rows entry needs a "what" and a "measured" text`);
    const at = rows.findIndex((r) => r.what === g.what);
    const goal = typeof g.goal === "string" ? g.goal : at >= 0 ? rows[at]!.goal : "";
    const row: FigureRow = { what: g.what, measured: g.measured, goal, bench };
    if (at >= 0) rows[at] = row;
    else rows.push(row);
  }
  return { ...f, rows };
}
