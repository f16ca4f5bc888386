// A night's scrape, simulated: copy some dates' daily files of every table (and the dimension) from
// a synthetic dataset into another dataset folder. The data-branch tests and the growth bench feed
// their nights with it.
import { existsSync } from "node:fs";
import { copyFile, mkdir } from "node:fs/promises";
import path from "node:path";
import { TABLES } from "../../src/dataset/layout.ts";

export async function copyDays(source: string, out: string, dates: readonly string[], opts: { dimension?: boolean } = {}): Promise<void> {
  for (const d of dates) {
    for (const t of TABLES) {
      const rel = path.join(t, `month=${d.slice(0, 7)}`, `${d}.parquet`);
      if (!existsSync(path.join(source, rel))) continue;
      await mkdir(path.dirname(path.join(out, rel)), { recursive: true });
      await copyFile(path.join(source, rel), path.join(out, rel));
    }
  }
  if (opts.dimension !== false) await copyFile(path.join(source, "participants_dim.parquet"), path.join(out, "participants_dim.parquet"));
}
