// A digest of every published byte of a dataset: the static export (scripts/export-api.ts) and every
// Framework loader's output (src/pages/data/*.json.ts), each file's SHA-256. A refactor that must not change
// what is published (issue 20, item 6) writes the digest before, then compares after:
//   npx tsx scripts/published-digest.ts --data DIR --write before.json
//   npx tsx scripts/published-digest.ts --data DIR --compare before.json   (exit 1 on any difference)
// Uses a fresh cache folder and CCASS_TODAY (default 2026-11-23) so two runs differ only by the code.
// One field is left out on purpose: index.json's `parts`, each year's key of reuse, hashes the code
// that made the year's files (so that a code change re-exports every year): its values are compared
// as "same years", not as bytes.
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { writeFileAtomic } from "../src/lib/atomic.ts";
import { cliProgram, isoDateOption, runCli } from "../src/lib/cli-options.ts";

class DigestMismatchError extends Error {
  override readonly name = "DigestMismatchError";
}

const program = cliProgram("published-digest")
  .description("SHA-256 of every published file (export tree + loader outputs) of a dataset; write it or compare with a saved one")
  .requiredOption("--data <dir>", "Parquet dataset")
  .option("--write <file>", "write the digest (JSON) here")
  .option("--compare <file>", "compare with this saved digest; exit 1 naming the files that differ")
  .option("--today <date>", "the build's date (CCASS_TODAY)", isoDateOption, "2026-11-23")
  .parse();
const opts = program.opts<{ data: string; write?: string; compare?: string; today: string }>();

const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

/** index.json with each year's key of reuse blanked (the years stay). */
function withoutPartKeys(text: string): string {
  const index = JSON.parse(text) as { parts?: Record<string, string> };
  if (index.parts) for (const year of Object.keys(index.parts)) index.parts[year] = "(code key)";
  return JSON.stringify(index);
}

await runCli("published-digest", async () => {
  if (!opts.write && !opts.compare) throw new Error("give --write FILE or --compare FILE");
  const before = opts.compare ? (JSON.parse(await readFile(opts.compare, "utf8")) as Record<string, string>) : null;
  process.env.CCASS_TODAY = opts.today;
  const scratch = await mkdtemp(path.join(tmpdir(), "ccass-digest-"));
  process.env.CCASS_CACHE = path.join(scratch, "cache");
  try {
    // imported after CCASS_CACHE/CCASS_TODAY are set: the loaders read them
    const { openAnalytics } = await import("../data-loaders/compute/cache.ts");
    const { exportApi } = await import("../data-loaders/publish/export.ts");
    const digest: Record<string, string> = {};
    const a = await openAnalytics(path.resolve(opts.data));
    try {
      const out = path.join(scratch, "api");
      await exportApi(a, out, () => {});
      const entries = await readdir(out, { recursive: true, withFileTypes: true });
      for (const e of entries.filter((x) => x.isFile())) {
        const full = path.join(e.parentPath, e.name);
        const name = `api/${path.relative(out, full).split(path.sep).join("/")}`;
        digest[name] = sha(name === "api/index.json" ? withoutPartKeys(await readFile(full, "utf8")) : await readFile(full));
      }
      // each loader's output, as runLoader prints it (data-loaders/publish/run-loader.ts)
      const publish = path.join(import.meta.dirname, "..", "data-loaders", "publish");
      for (const name of ["attention", "concentration", "health", "meta", "participants", "southbound", "stocks", "transfers", "trends"]) {
        const file = name === "trends" ? path.join(publish, "trends.ts") : path.join(publish, "page-data", `${name}.ts`);
        const mod = (await import(file)) as Record<string, (x: typeof a) => Promise<unknown>>;
        digest[`loader/${name}.json`] = sha(JSON.stringify(await mod[name]!(a)));
      }
    } finally {
      a.db.close();
    }
    const sorted = Object.fromEntries(Object.entries(digest).sort(([x], [y]) => (x < y ? -1 : 1)));
    if (opts.write) await writeFileAtomic(opts.write, `${JSON.stringify(sorted, null, 1)}\n`);
    if (before) {
      const names = [...new Set([...Object.keys(before), ...Object.keys(sorted)])].sort();
      const differ = names.filter((n) => before[n] !== sorted[n]);
      if (differ.length > 0) throw new DigestMismatchError(`${differ.length} of ${names.length} files differ: ${differ.slice(0, 10).join(", ")}`);
      console.log(`published-digest: all ${names.length} files identical`);
    } else console.log(`published-digest: ${Object.keys(sorted).length} files`);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
});
