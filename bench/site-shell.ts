// What the site build adds around the exported API tree and the loaders' outputs: pages, the
// bundled Plot/Inputs/htl/hyparquet, the DuckDB-WASM engine (~34 MB), styles. It does not grow
// with the data, so the years bench measures it once, with `npm run build` on a small synthetic
// dataset, and adds it to each size's API tree and loader outputs instead of running Framework on
// the full market every time.
import { mkdtemp, rm } from "node:fs/promises";
import path from "node:path";
import { buildSite } from "../scripts/build-site.ts";
import { writeSyntheticDataset } from "../src/replica/dataset-writer.ts";
import { diskUsage } from "../src/lib/disk-usage.ts";

export interface SiteShell {
  /** dist/ less `_file/api/v1` and less the loaders' outputs (`_file/data/`) */
  bytes: number;
  dist_bytes: number;
  api_bytes: number;
  loader_output_bytes: number;
  build_seconds: number;
  dataset: { stocks: number; days: number };
}

async function bytesOf(dir: string): Promise<number> {
  return (await diskUsage(dir).catch(() => ({ bytes: 0, files: 0 }))).bytes;
}

/** Build the site once on `stocks` × `days` of the synthetic market, in a temporary folder under `work`. */
export async function measureSiteShell(work: string, stocks = 20, days = 10): Promise<SiteShell> {
  const tmp = await mkdtemp(path.join(work, "site-shell-"));
  const saved = process.env.CCASS_CACHE;
  // buildSite's children read CCASS_CACHE from this process: a private cold cache, not the repo's.
  process.env.CCASS_CACHE = path.join(tmp, "cache");
  try {
    const data = path.join(tmp, "parquet");
    await writeSyntheticDataset({ out: data, seed: 1, stocks, days, end: "2026-11-20" });
    const dist = path.join(tmp, "dist");
    const built = await buildSite({ data, out: dist, verbose: false });
    const distBytes = await bytesOf(dist);
    const apiBytes = await bytesOf(path.join(dist, "_file", "api", "v1"));
    const loaderBytes = await bytesOf(path.join(dist, "_file", "data"));
    return {
      bytes: distBytes - apiBytes - loaderBytes,
      dist_bytes: distBytes,
      api_bytes: apiBytes,
      loader_output_bytes: loaderBytes,
      build_seconds: built.seconds.total,
      dataset: { stocks, days },
    };
  } finally {
    if (saved === undefined) delete process.env.CCASS_CACHE;
    else process.env.CCASS_CACHE = saved;
    await rm(tmp, { recursive: true, force: true });
  }
}
