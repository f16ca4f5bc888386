#!/usr/bin/env -S npx tsx
// The git steps of the workflows that keep the dataset in two branches (src/ops/data-branch.ts,
// docs/OPERATIONS.md "Where the data lives"): main holds compacted months, or, as the workflows run
// it (`--months-on data-open`), only the manifest of the closed years published as releases
// (data/releases.json); the orphan branch data-open (one commit, force-pushed) the open month's daily
// files, and then the open year's compacted months too.
//   overlay  write data-open's files over the checkout (before scraping or building)
//   sync     publish data-open, close complete months (onto main, or kept on data-open with
//            --months-on data-open, as the workflows run it), publish again (after scraping)
//   publish  / close   the two halves of sync, for recovery by hand
//   plan     which months would close, and why
//   changed  dataset files neither branch holds as they are (a backfill shard's output)
//   retire   after publish-year: commit the manifest to main, and drop the published years' files
//            from both branches (docs/OPERATIONS.md "Closed years")
// Outputs meant for $GITHUB_OUTPUT are printed as key=value lines.
import { InvalidArgumentError } from "commander";
import { isMonth } from "../src/dataset/layout.ts";
import { cliProgram, integerOption, runCli } from "../src/lib/cli-options.ts";
import { close, changedFiles, currentBranch, DataBranchError, DEFAULT_FINAL_DAYS, openDataRepo, overlay, planClose, publish, retire, sync, type DataRepo } from "../src/ops/data-branch.ts";

interface Common {
  out?: string;
  remote: string;
  branch: string;
  manifest?: string;
}
interface CloseOptions extends Common {
  main?: string;
  message: string;
  finalDays: number;
  month?: string[];
  monthsOn: "main" | "data-open";
}

const program = cliProgram("data-branch").description("Keep the dataset on main (compacted months) and data-open (the open month, one commit)");

function common<T extends ReturnType<typeof program.command>>(cmd: T): T {
  return cmd
    .option("--out <dir>", "the dataset folder inside the work tree", "data/parquet")
    .option("--remote <name>", "the remote both branches live on", "origin")
    .option("--branch <name>", "the data branch", "data-open")
    .option("--manifest <file>", "the manifest of closed years published as releases (their files belong to neither branch)", "data/releases.json") as T;
}

function closing<T extends ReturnType<typeof program.command>>(cmd: T): T {
  return common(cmd)
    .option("--main <branch>", "the branch compacted months are committed to (default: the checked-out branch)")
    .option("--message <text>", "message of the commit on main", "data: compacted months")
    .option("--final-days <n>", "close a month with missing days once its last day is this many days old", integerOption("final days", 0), DEFAULT_FINAL_DAYS)
    .option("--month <YYYY-MM>", "also close this month, complete or not (repeatable)", monthList)
    .option("--months-on <branch>", "where a closed month's file goes: main, or data-open until its year is published (issue #22)", monthsOn, "main") as T;
}

function monthsOn(v: string): "main" | "data-open" {
  if (v !== "main" && v !== "data-open") throw new InvalidArgumentError("must be main or data-open");
  return v;
}

function monthList(v: string, previous: string[] = []): string[] {
  if (!isMonth(v)) throw new InvalidArgumentError("month must be YYYY-MM");
  return [...previous, v];
}

const repoOf = (o: Common): Promise<DataRepo> => openDataRepo({ out: o.out, remote: o.remote, branch: o.branch, manifest: o.manifest, log: (l) => console.error(l) });

async function mainBranchOf(repo: DataRepo, o: CloseOptions): Promise<string> {
  const main = o.main ?? (await currentBranch(repo));
  if (!main) throw new DataBranchError("the checkout is on a detached HEAD: pass --main <branch>");
  return main;
}

common(program.command("overlay"))
  .description("fetch the data branch and write its files over the checkout's dataset; print data_open=<commit or empty>")
  .option("--from <dir>", "a clone already holding the data branch's commit (the workflows' second checkout); absent folder = no data branch")
  .action(async (o: Common & { from?: string }) => {
    const r = await overlay(await repoOf(o), { from: o.from });
    console.log(`data_open=${r.commit ?? ""}`);
  });

common(program.command("publish"))
  .description("replace the data branch by one commit holding what main lacks (leased on the overlaid commit); print data_open=<commit>")
  .action(async (o: Common) => {
    const r = await publish(await repoOf(o));
    console.log(`data_open=${r.commit}`);
  });

closing(program.command("close"))
  .description("compact the months that are complete (or final, or named), commit them to main (or, with --months-on data-open, keep them there) and push; print main=<commit>")
  .action(async (o: CloseOptions) => {
    const repo = await repoOf(o);
    const r = await close(repo, { mainBranch: await mainBranchOf(repo, o), message: o.message, finalDays: o.finalDays, months: o.month, monthsOnMain: o.monthsOn === "main" });
    console.log(`main=${r.commit}`);
  });

closing(program.command("sync"))
  .description("publish, close, publish: the step after a scrape or merge; print main=<commit> and data_open=<commit>")
  .action(async (o: CloseOptions) => {
    const repo = await repoOf(o);
    const r = await sync(repo, { mainBranch: await mainBranchOf(repo, o), message: o.message, finalDays: o.finalDays, months: o.month, monthsOnMain: o.monthsOn === "main" });
    console.log(`main=${r.close.commit}\ndata_open=${r.dataOpen.commit}`);
  });

closing(program.command("plan"))
  .description("print which months would close now, and why (changes nothing)")
  .action(async (o: CloseOptions) => {
    const repo = await repoOf(o);
    const p = await planClose(repo.out, { finalDays: o.finalDays, months: o.month });
    console.log(`newest=${p.newest ?? ""}`);
    for (const c of p.close) console.log(`close=${c.month} (${c.why})`);
    for (const m of p.open) console.log(`open=${m}`);
  });

common(program.command("retire"))
  .description("after publish-year: commit the manifest to main, drop the published years' files from main and data-open; print main= and data_open=")
  .option("--main <branch>", "the branch the manifest is committed to (default: the checked-out branch)")
  .option("--message <text>", "message of the commit on main", "data: closed years published as releases")
  .action(async (o: Common & { main?: string; message: string }) => {
    const repo = await repoOf(o);
    const main = o.main ?? (await currentBranch(repo));
    if (!main) throw new DataBranchError("the checkout is on a detached HEAD: pass --main <branch>");
    const r = await retire(repo, { mainBranch: main, message: o.message });
    console.error(`retired ${r.years.length ? r.years.join(", ") : "nothing"} (${r.removed} files left main)`);
    console.log(`main=${r.commit}\ndata_open=${r.dataOpen.commit}`);
  });

common(program.command("changed"))
  .description("list the dataset files that neither main nor the overlaid data branch holds as they are, one per line")
  .action(async (o: Common) => {
    for (const f of await changedFiles(await repoOf(o))) console.log(f);
  });

await runCli("data-branch", () => program.parseAsync(process.argv));
