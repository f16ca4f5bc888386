// Byte comparison of two exported trees: the incremental nightly's output must equal a cold build's
// of the same data, file for file (issue #11). Reports which files differ rather than failing, so
// the years bench can print them beside its timings.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

export interface TreeComparison {
  /** files present in both trees */
  compared: number;
  /** relative paths whose bytes differ, sorted */
  differing: string[];
  onlyInFirst: string[];
  onlyInSecond: string[];
}

/** Every regular file below `dir`, as a path relative to it, sorted. */
export async function relativeFiles(dir: string, rel = ""): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel === "" ? e.name : path.join(rel, e.name);
    if (e.isDirectory()) out.push(...(await relativeFiles(dir, r)));
    else if (e.isFile()) out.push(r);
  }
  return out.sort();
}

export async function compareTrees(first: string, second: string): Promise<TreeComparison> {
  const a = new Set(await relativeFiles(first));
  const b = new Set(await relativeFiles(second));
  const both = [...a].filter((f) => b.has(f)).sort();
  const differing: string[] = [];
  // One pair of files in memory at a time: the largest published file is a few tens of MB.
  for (const f of both) {
    const [x, y] = await Promise.all([readFile(path.join(first, f)), readFile(path.join(second, f))]);
    if (!x.equals(y)) differing.push(f);
  }
  return {
    compared: both.length,
    differing,
    onlyInFirst: [...a].filter((f) => !b.has(f)).sort(),
    onlyInSecond: [...b].filter((f) => !a.has(f)).sort(),
  };
}

/** One line: how many files differ, and the first few of each kind. */
export function describeComparison(c: TreeComparison, names: [string, string], shown = 5): string {
  const list = (xs: string[]) => xs.slice(0, shown).join(", ") + (xs.length > shown ? `, … (${xs.length - shown} more)` : "");
  if (c.differing.length === 0 && c.onlyInFirst.length === 0 && c.onlyInSecond.length === 0)
    return `${names[0]} and ${names[1]}: all ${c.compared} files byte-identical`;
  const parts = [`${names[0]} and ${names[1]}: ${c.differing.length} of ${c.compared} files differ`];
  if (c.differing.length > 0) parts.push(`differing: ${list(c.differing)}`);
  if (c.onlyInFirst.length > 0) parts.push(`only in ${names[0]}: ${list(c.onlyInFirst)}`);
  if (c.onlyInSecond.length > 0) parts.push(`only in ${names[1]}: ${list(c.onlyInSecond)}`);
  return parts.join("; ");
}
