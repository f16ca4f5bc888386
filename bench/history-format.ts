// Parquet (hyparquet + hyparquet-compressors, zstd) against Arrow IPC (apache-arrow) for one
// history file: bytes on disk (and gzip, as a server may send it) and decode time to plain
// columns, best of N in this process (V8, as in Chromium). Used by bench/history.bench.ts.
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { tableFromArrays, tableFromIPC, tableToIPC } from "apache-arrow";
import { parquetReadObjects } from "hyparquet";
import { compressors } from "hyparquet-compressors";

export interface FormatFigures {
  rows: number;
  parquet: { bytes: number; gzipBytes: number; decodeMs: number };
  arrow: { bytes: number; gzipBytes: number; decodeMs: number };
}

/** Best of n runs, in ms. */
export function best(n: number, f: () => unknown): number {
  let min = Infinity;
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    f();
    min = Math.min(min, performance.now() - t);
  }
  return min;
}

async function bestAsync(n: number, f: () => Promise<unknown>): Promise<number> {
  let min = Infinity;
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await f();
    min = Math.min(min, performance.now() - t);
  }
  return min;
}

export async function compareFormats(parquetFile: string, runs = 7): Promise<FormatFigures> {
  const buf = readFileSync(parquetFile);
  const file = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  const rows = await parquetReadObjects({ file, compressors });
  // The same columns as Arrow: dictionary-encoded keys (the default for strings), DATE as days, BIGINT.
  const table = tableFromArrays({
    participant_key: rows.map((r) => r.participant_key as string),
    date: Int32Array.from(rows, (r) => Math.round(new Date(r.date as Date).getTime() / 86_400_000)),
    shares: BigInt64Array.from(rows, (r) => BigInt(r.shares as bigint)),
  });
  const ipc = tableToIPC(table, "file");
  const parquetMs = await bestAsync(runs, () => parquetReadObjects({ file, compressors, columns: ["participant_key", "date", "shares"] }));
  const arrowMs = best(runs, () => {
    const t = tableFromIPC(ipc);
    // to plain arrays, as the page uses them
    t.getChild("participant_key")!.toArray();
    t.getChild("date")!.toArray();
    t.getChild("shares")!.toArray();
  });
  return {
    rows: rows.length,
    parquet: { bytes: buf.byteLength, gzipBytes: gzipSync(buf).byteLength, decodeMs: parquetMs },
    arrow: { bytes: ipc.byteLength, gzipBytes: gzipSync(ipc).byteLength, decodeMs: arrowMs },
  };
}

if (process.argv[1]?.endsWith("history-format.ts")) console.log(JSON.stringify(await compareFormats(process.argv[2]!), null, 1));
