// Production code (the scraper, the ops steps, the loaders, the site, their CLIs) must never
// reach src/replica: the synthetic market is for tests, benchmarks and the demo only. The test
// follows every relative import (static, `export … from`, dynamic `import()`) from each production
// file, transitively, so a production module that imports a helper that imports the replica fails too.
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "..");
const REPLICA = path.join(root, "src", "replica") + path.sep;

/** Folders whose every module is production code. */
const PRODUCTION_DIRS = ["src/ingest", "src/dataset", "src/archive", "src/hkex", "src/ops", "src/lib", "src/pages", "data-loaders"];
/**
 * Scripts allowed to use the replica: they exist to run it, to make synthetic data, or to measure;
 * screenshots.ts is a hand-run docs tool that drives the browser test helpers (tests/helpers/).
 */
const NON_PRODUCTION_SCRIPTS = new Set(["replica.ts", "synth-dataset.ts", "demo.ts", "bench.ts", "screenshots.ts"]);
const SOURCE = /\.(ts|js|mjs)$/;

function walk(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      // Generated at build time (vendor bundles, exported API), git-ignored.
      if (entry.name === "node_modules" || entry.name === "vendor" || entry.name === "api" || entry.name.startsWith(".")) continue;
      walk(full, out);
    } else if (SOURCE.test(entry.name)) out.push(full);
  }
  return out;
}

function productionFiles(): string[] {
  const files = PRODUCTION_DIRS.flatMap((d) => walk(path.join(root, d)));
  for (const name of readdirSync(path.join(root, "scripts"))) {
    if (SOURCE.test(name) && !NON_PRODUCTION_SCRIPTS.has(name)) files.push(path.join(root, "scripts", name));
  }
  return files;
}

/** Relative module specifiers of one file, resolved to absolute paths (TypeScript's own scanner). */
function relativeImports(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
  return info.importedFiles
    .map((f) => f.fileName)
    .filter((spec) => spec.startsWith("./") || spec.startsWith("../"))
    .map((spec) => path.resolve(path.dirname(file), spec));
}

/** Every replica module reachable from `start`, with the import chain that reaches it. */
function replicaReach(start: string): string[][] {
  const found: string[][] = [];
  const seen = new Set<string>([start]);
  const queue: string[][] = [[start]];
  while (queue.length > 0) {
    const chain = queue.shift()!;
    for (const target of relativeImports(chain[chain.length - 1]!)) {
      if (seen.has(target)) continue;
      seen.add(target);
      const next = [...chain, target];
      if (target.startsWith(REPLICA)) found.push(next);
      else if (SOURCE.test(target) && statSync(target, { throwIfNoEntry: false })?.isFile()) queue.push(next);
    }
  }
  return found;
}

const rel = (f: string) => path.relative(root, f);

describe("module boundaries", () => {
  it("no production module imports src/replica, directly or through another module", () => {
    const files = productionFiles();
    // The scan must see the modules it guards (a wrong folder list would make it pass vacuously).
    expect(files.map(rel)).toEqual(expect.arrayContaining(["src/ingest/writer.ts", "src/ops/plan.ts", "data-loaders/publish/export.ts", "scripts/scrape.ts"]));
    const violations = files.flatMap(replicaReach).map((chain) => chain.map(rel).join(" → "));
    expect(violations).toEqual([]);
  });

  // One direction (docs/ARCHITECTURE.md): the dataset's contract stands on src/lib only, so every
  // writer and reader can use it; the analytics cache is computed without knowing who publishes it.
  it.each([
    ["src/dataset", ["src/lib"]],
    ["data-loaders/compute", ["data-loaders/compute", "src/lib", "src/dataset"]],
  ])("%s imports only %j", (dir, allowed) => {
    const files = walk(path.join(root, dir));
    expect(files.length).toBeGreaterThan(3);
    const outside = files.flatMap((f) =>
      relativeImports(f)
        .map(rel)
        .filter((t) => t !== rel(f) && !t.startsWith(`${dir}/`) && !allowed.some((a) => t.startsWith(`${a}/`)))
        .map((t) => `${rel(f)} → ${t}`),
    );
    expect(outside).toEqual([]);
  });

  it("the scanner does see an import of the replica (the replica's own scripts import it)", () => {
    const chains = replicaReach(path.join(root, "scripts", "synth-dataset.ts")).map((chain) => chain.map(rel).join(" → "));
    expect(chains).toContain("scripts/synth-dataset.ts → src/replica/dataset-writer.ts");
  });
});
