// Bytes and files under a folder: the site build's size guard (scripts/lib/site-size.ts) and the benchmarks' size figures.
import { readdir, stat } from "node:fs/promises";
import path from "node:path";

export interface DiskUsage {
  bytes: number;
  files: number;
}

/**
 * Every file below `dir` (or only those `file` accepts), descending into the folders `folder`
 * accepts.
 */
export async function diskUsage(
  dir: string,
  options: { file?: (name: string) => boolean; folder?: (name: string) => boolean } = {},
): Promise<DiskUsage> {
  const total: DiskUsage = { bytes: 0, files: 0 };
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (options.folder && !options.folder(e.name)) continue;
      const sub = await diskUsage(p, options);
      total.bytes += sub.bytes;
      total.files += sub.files;
    } else if (e.isFile() && (!options.file || options.file(e.name))) {
      total.bytes += (await stat(p)).size;
      total.files++;
    }
  }
  return total;
}

export const parquetOnly = { file: (name: string) => name.endsWith(".parquet") };
