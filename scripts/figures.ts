// The README's figures table from docs/figures.json (src/lib/figures.ts):
//   npm run figures                    render README's table from docs/figures.json
//   npm run figures -- --from bench-out   first record each bench-out/NAME.json's `readme_rows`
//   npm run figures -- --check         exit 1 if README's table is not what docs/figures.json renders
import { existsSync, readdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { writeFileAtomic } from "../src/lib/atomic.ts";
import { cliProgram, runCli } from "../src/lib/cli-options.ts";
import { currentBlock, FiguresError, mergeBenchRows, renderTable, replaceBlock, type Figures } from "../src/lib/figures.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const program = cliProgram("figures")
  .description("Render README's figures table from docs/figures.json (optionally recording bench-out/*.json first)")
  .option("--from <dir>", "record the `readme_rows` of every NAME.json in this folder (bench-out) into docs/figures.json first")
  .option("--check", "change nothing; exit 1 when README's table differs from docs/figures.json", false)
  .option("--readme <file>", "README to render into", path.join(ROOT, "README.md"))
  .option("--figures <file>", "the figures' source", path.join(ROOT, "docs", "figures.json"))
  .parse();
const opts = program.opts<{ from?: string; check: boolean; readme: string; figures: string }>();

await runCli("figures", async () => {
  let figures = JSON.parse(await readFile(opts.figures, "utf8")) as Figures;
  if (opts.from) {
    if (!existsSync(opts.from)) throw new FiguresError(`no such folder: ${opts.from}`);
    for (const f of readdirSync(opts.from).filter((x) => x.endsWith(".json")).sort()) {
      figures = mergeBenchRows(figures, f.slice(0, -".json".length), JSON.parse(await readFile(path.join(opts.from, f), "utf8")));
    }
  }
  const readme = await readFile(opts.readme, "utf8");
  const table = renderTable(figures);
  if (opts.check) {
    if (currentBlock(readme) !== table) throw new FiguresError(`${opts.readme}'s figures table differs from ${opts.figures}: run npm run figures`);
    console.log("figures: README agrees with docs/figures.json");
    return;
  }
  if (opts.from) await writeFileAtomic(opts.figures, `${JSON.stringify(figures, null, 1)}\n`);
  await writeFileAtomic(opts.readme, replaceBlock(readme, table));
  console.log(`figures: ${figures.rows.length} rows rendered into ${opts.readme}`);
});
