// The GitHub workflows (.github/workflows/*.yml): schema-valid, and keeping the project's rules:
// every `npm run` script and `scripts/*.ts` they call exists, explicit least-privilege permissions,
// cron expressions that parse and match their Hong Kong-time comments, commits only under data/,
// actions pinned to a commit with its exact version, concurrency groups. Each rule is a checker
// function, first shown to catch a deliberately broken workflow so no check passes vacuously.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { CronExpressionParser } from "cron-parser";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";

const ROOT = path.resolve(import.meta.dirname, "..");
const WF_DIR = path.join(ROOT, ".github", "workflows");
const VALIDATOR = path.join(ROOT, "node_modules", ".bin", "action-validator");
const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };

type Yaml = Record<string, unknown>;
interface Step {
  uses?: string;
  run?: string;
  shell?: string;
  with?: Record<string, unknown>;
}
interface Job {
  permissions?: unknown;
  steps?: Step[];
  concurrency?: unknown;
}
interface Workflow {
  file: string;
  text: string;
  doc: Yaml & { on?: unknown; jobs?: Record<string, Job>; permissions?: unknown; concurrency?: unknown; defaults?: { run?: { shell?: string } } };
}

function load(file: string, text = readFileSync(file, "utf8")): Workflow {
  return { file: path.basename(file), text, doc: parseYaml(text) as Workflow["doc"] };
}

const workflows: Workflow[] = readdirSync(WF_DIR)
  .filter((f) => f.endsWith(".yml") || f.endsWith(".yaml"))
  .sort()
  .map((f) => load(path.join(WF_DIR, f)));
const byName = (name: string) => {
  const wf = workflows.find((w) => w.file === `${name}.yml`);
  if (!wf) throw new Error(`missing .github/workflows/${name}.yml`);
  return wf;
};

const uses = (wf: Workflow) => stepsOf(wf).map((s) => s.uses?.split("@")[0]);
const jobsOf = (wf: Workflow): [string, Job][] => Object.entries(wf.doc.jobs ?? {});
const stepsOf = (wf: Workflow): Step[] => jobsOf(wf).flatMap(([, j]) => j.steps ?? []);
/** Shell text of every run step, line continuations joined. */
const scriptsOf = (wf: Workflow): string[] => stepsOf(wf).flatMap((s) => (typeof s.run === "string" ? [s.run.replace(/\\\n\s*/g, " ")] : []));

/** Words of a shell command line: enough quoting support for our own scripts ('…' and "…"). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /'([^']*)'|"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) words.push(m[1] ?? m[2] ?? m[3]!);
  return words;
}

// ---- checkers: each returns the problems it finds ----

function validatorProblems(file: string): string[] {
  const r = spawnSync(VALIDATOR, [file], { encoding: "utf8" });
  return r.status === 0 ? [] : [`${path.basename(file)}: action-validator exit ${r.status}: ${(r.stdout + r.stderr).slice(0, 2000)}`];
}

function npmScriptProblems(wf: Workflow): string[] {
  const problems: string[] = [];
  for (const script of scriptsOf(wf)) {
    for (const m of script.matchAll(/\bnpm run(?:-script)? +([A-Za-z0-9:_-]+)/g)) {
      if (!(m[1]! in pkg.scripts)) problems.push(`${wf.file}: npm run ${m[1]} is not a package.json script`);
    }
    for (const m of script.matchAll(/\bnpm (test|start)\b/g)) if (!(m[1]! in pkg.scripts)) problems.push(`${wf.file}: npm ${m[1]} has no script`);
    for (const m of script.matchAll(/\b(?:npx )?tsx +((?:scripts|data-loaders|bench)\/[\w./-]+\.ts)/g)) {
      if (!existsSync(path.join(ROOT, m[1]!))) problems.push(`${wf.file}: ${m[1]} does not exist`);
    }
  }
  return problems;
}

/** A step that writes to the repository: git itself, the data-branch steps that push main and data-open (scripts/data-branch.ts), or publish-year (releases). */
const PUSHES = /\bgit push\b|\bscripts\/data-branch\.ts (?:sync|publish|close|retire)\b|\bnpm run publish-year\b/;

function isPermissionMap(p: unknown): boolean {
  if (p === null || typeof p !== "object" || Array.isArray(p)) return false;
  return Object.values(p).every((v) => v === "read" || v === "write" || v === "none");
}

function permissionProblems(wf: Workflow): string[] {
  const problems: string[] = [];
  // Top level: nothing granted by default; every job asks for its own.
  if (!isPermissionMap(wf.doc.permissions) || Object.keys(wf.doc.permissions as object).length > 0) {
    problems.push(`${wf.file}: top-level permissions must be {} (got ${JSON.stringify(wf.doc.permissions)})`);
  }
  for (const [name, job] of jobsOf(wf)) {
    if (!isPermissionMap(job.permissions)) problems.push(`${wf.file}: job ${name} has no explicit permissions map (got ${JSON.stringify(job.permissions)})`);
    const perms = (job.permissions ?? {}) as Record<string, string>;
    const pushes = (job.steps ?? []).some((s) => typeof s.run === "string" && PUSHES.test(s.run));
    if (perms.contents === "write" && !pushes) problems.push(`${wf.file}: job ${name} may write contents but never pushes`);
    if (pushes && perms.contents !== "write") problems.push(`${wf.file}: job ${name} pushes without contents: write`);
    const deploys = (job.steps ?? []).some((s) => s.uses?.startsWith("actions/deploy-pages@"));
    if ((perms.pages === "write" || perms["id-token"] === "write") && !deploys) problems.push(`${wf.file}: job ${name} has Pages/OIDC rights but does not deploy`);
  }
  return problems;
}

function schedulesOf(wf: Workflow): string[] {
  const on = wf.doc.on as Record<string, unknown> | undefined;
  const schedule = (on && typeof on === "object" ? on.schedule : undefined) as { cron?: string }[] | undefined;
  return (schedule ?? []).map((s) => String(s.cron));
}

/** Cron strings must parse, have GitHub's five fields, and be preceded by a comment giving the same time in Hong Kong. */
function cronProblems(wf: Workflow): string[] {
  const problems: string[] = [];
  for (const expr of schedulesOf(wf)) {
    if (expr.trim().split(/\s+/).length !== 5) problems.push(`${wf.file}: cron "${expr}" must have five fields`);
    let first: Date | undefined;
    try {
      first = CronExpressionParser.parse(expr, { tz: "UTC", currentDate: new Date("2026-11-23T00:00:00Z") }).next().toDate();
    } catch (err) {
      problems.push(`${wf.file}: cron "${expr}" does not parse: ${(err as Error).message}`);
      continue;
    }
    // The comment right above the cron line: "HH:MM UTC … = HH:MM Hong Kong time".
    const lines = wf.text.split("\n");
    const at = lines.findIndex((l) => l.includes(expr));
    let start = at;
    while (start > 0 && /^\s*#/.test(lines[start - 1]!)) start--;
    const comment = lines.slice(start, at).map((l) => l.replace(/^\s*#\s?/, "")).join(" ");
    const m = /(\d{2}):(\d{2}) UTC.*=\s*(\d{2}):(\d{2}) Hong Kong/.exec(comment);
    if (!m) {
      problems.push(`${wf.file}: cron "${expr}" lacks a comment "HH:MM UTC … = HH:MM Hong Kong time" just above`);
      continue;
    }
    const utc = `${first.getUTCHours().toString().padStart(2, "0")}:${first.getUTCMinutes().toString().padStart(2, "0")}`;
    const hk = new Date(first.getTime() + 8 * 3600_000);
    const hkTime = `${hk.getUTCHours().toString().padStart(2, "0")}:${hk.getUTCMinutes().toString().padStart(2, "0")}`;
    if (`${m[1]}:${m[2]}` !== utc) problems.push(`${wf.file}: comment says ${m[1]}:${m[2]} UTC, cron runs at ${utc} UTC`);
    if (`${m[3]}:${m[4]}` !== hkTime) problems.push(`${wf.file}: comment says ${m[3]}:${m[4]} Hong Kong, cron runs at ${hkTime} Hong Kong`);
  }
  return problems;
}

/** Every `git add` names paths under data/ only (exclusions `:!data/…` allowed); no `.`, `-A` alone or `--all` without paths. */
function gitAddProblems(wf: Workflow): string[] {
  const problems: string[] = [];
  for (const script of scriptsOf(wf)) {
    for (const line of script.split("\n")) {
      for (const cmd of line.split(/&&|\|\||;/)) {
        const words = shellWords(cmd.trim());
        const i = words.findIndex((w, k) => w === "git" && words[k + 1] === "add");
        if (i < 0) continue;
        const paths = words.slice(i + 2).filter((w) => !w.startsWith("-"));
        if (paths.length === 0) problems.push(`${wf.file}: "${cmd.trim()}" adds without naming paths`);
        for (const p of paths) {
          const target = p.replace(/^:(?:!|\(exclude\))/, "");
          const excluded = target !== p;
          if (!excluded && !/^data\/[^\s]*$/.test(p)) problems.push(`${wf.file}: git add ${p} is outside data/`);
          if (excluded && !target.startsWith("data/")) problems.push(`${wf.file}: odd exclusion ${p}`);
          if (p.includes("..")) problems.push(`${wf.file}: git add ${p} climbs out of data/`);
        }
      }
    }
  }
  return problems;
}

const GIT_ADDS = (wf: Workflow) => scriptsOf(wf).filter((s) => /\bgit add\b/.test(s)).length;

/**
 * scripts/data-branch.ts commits what is under its --out folder: every call names the dataset as
 * `--out "$DATA"`, and the workflow's DATA is under data/, so its commits stay there too.
 */
function dataBranchProblems(wf: Workflow): string[] {
  const problems: string[] = [];
  const data = (wf.doc as { env?: Record<string, unknown> }).env?.DATA;
  for (const script of scriptsOf(wf)) {
    for (const line of script.split("\n")) {
      if (!/scripts\/data-branch\.ts/.test(line)) continue;
      const words = shellWords(line);
      const out = words[words.indexOf("--out") + 1];
      if (!words.includes("--out") || out !== "$DATA") problems.push(`${wf.file}: "${line.trim()}" must pass --out "$DATA"`);
      if (typeof data !== "string" || !/^data\/[\w/-]+$/.test(data)) problems.push(`${wf.file}: data-branch.ts runs but env.DATA (${JSON.stringify(data)}) is not a folder under data/`);
    }
  }
  return problems;
}

/** `uses:` pinned to a full commit SHA with the exact version in a comment (`@<sha> # vX.Y.Z`). */
function pinProblems(wf: Workflow): string[] {
  const problems: string[] = [];
  for (const line of wf.text.split("\n")) {
    const m = /^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/.exec(line);
    if (!m) continue;
    const [, ref, rest] = m;
    if (ref!.startsWith("./")) continue; // local action: versioned with the repository
    if (!/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/.test(ref!)) problems.push(`${wf.file}: ${ref} is not pinned to a commit SHA`);
    if (!/#\s*v\d+\.\d+\.\d+\b/.test(rest!)) problems.push(`${wf.file}: ${ref} lacks its exact version comment (# vX.Y.Z)`);
  }
  for (const step of stepsOf(wf)) if (step.uses && !wf.text.includes(step.uses)) problems.push(`${wf.file}: ${step.uses} not found in the text`);
  return problems;
}

function concurrencyProblems(wf: Workflow): string[] {
  const c = wf.doc.concurrency as { group?: unknown } | string | undefined;
  const group = typeof c === "string" ? c : c?.group;
  return typeof group === "string" && group.trim() !== "" ? [] : [`${wf.file}: no top-level concurrency group`];
}

function setupNodeCacheProblems(wf: Workflow): string[] {
  return stepsOf(wf)
    .filter((s) => s.uses?.startsWith("actions/setup-node@"))
    .flatMap((s) => (s.with?.cache === "npm" ? [] : [`${wf.file}: setup-node without cache: npm`]));
}

/**
 * No user-controlled expression spliced into shell text: workflow_dispatch inputs and event payloads
 * (titles, branch names) reach `run:` scripts through `env:` only, so their text is never code.
 */
function injectionProblems(wf: Workflow): string[] {
  const problems: string[] = [];
  for (const step of stepsOf(wf)) {
    if (typeof step.run !== "string") continue;
    for (const m of step.run.matchAll(/\$\{\{([^}]*)\}\}/g)) {
      if (/\b(?:inputs\.|github\.event\.|github\.head_ref\b)/.test(m[1]!)) problems.push(`${wf.file}: "${m[0]}" is used directly in a run script; pass it through env`);
    }
  }
  return problems;
}

/** Scripts run with pipefail: `shell: bash` (GitHub's implicit default is `bash -e`, so `cmd | tee` hides cmd's failure). */
function shellProblems(wf: Workflow): string[] {
  if (wf.doc.defaults?.run?.shell === "bash") return [];
  return stepsOf(wf)
    .filter((s) => typeof s.run === "string" && s.shell !== "bash")
    .map((s) => `${wf.file}: step "${String(s.run).split("\n")[0]}" runs without pipefail (set defaults.run.shell: bash)`);
}

/** upload-artifact ≥ 4.4 silently leaves out hidden files and folders unless include-hidden-files is set. */
function hiddenUploadProblems(wf: Workflow): string[] {
  return stepsOf(wf)
    .filter((s) => s.uses?.startsWith("actions/upload-artifact@"))
    .flatMap((s) => {
      const paths = String(s.with?.path ?? "").split("\n").map((p) => p.trim()).filter(Boolean);
      const hidden = paths.some((p) => p.split("/").some((part) => part.startsWith(".") && part !== "." && part !== ".."));
      return hidden && s.with?.["include-hidden-files"] !== true ? [`${wf.file}: upload of ${paths.join(", ")} needs include-hidden-files: true`] : [];
    });
}

/**
 * No write token lies around while untrusted work runs (npm ci, hours of parsing HKEX's pages):
 * every checkout keeps none in .git/config, and the token appears only in the env of a step that
 * pushes (which needs it, so each pushing step must have it).
 */
function credentialProblems(wf: Workflow): string[] {
  const problems: string[] = [];
  const TOKEN = /\$\{\{\s*(?:github\.token|secrets\.GITHUB_TOKEN)\s*\}\}/g;
  for (const step of stepsOf(wf)) {
    if (step.uses?.startsWith("actions/checkout@") && step.with?.["persist-credentials"] !== false)
      problems.push(`${wf.file}: ${step.uses} without persist-credentials: false leaves the token in .git/config`);
  }
  let allowed = 0;
  for (const step of stepsOf(wf) as (Step & { env?: Record<string, unknown> })[]) {
    if (typeof step.run !== "string" || !PUSHES.test(step.run)) continue;
    const given = Object.values(step.env ?? {}).filter((v) => typeof v === "string" && new RegExp(TOKEN.source).test(v)).length;
    if (given === 0) problems.push(`${wf.file}: a step pushes but is given no token in its env`);
    allowed += given;
  }
  const anywhere = [...wf.text.matchAll(TOKEN)].length;
  if (anywhere > allowed) problems.push(`${wf.file}: the token is used ${anywhere - allowed} time(s) outside a pushing step's env`);
  return problems;
}

/** Container images by digest (a tag can be re-pointed), with the tag kept beside it for people. */
function imageProblems(wf: Workflow): string[] {
  const problems: string[] = [];
  for (const [name, job] of jobsOf(wf) as [string, Job & { container?: unknown; services?: Record<string, unknown> }][]) {
    const images = [job.container, ...Object.values(job.services ?? {})].flatMap((c) =>
      typeof c === "string" ? [c] : c && typeof c === "object" && typeof (c as { image?: unknown }).image === "string" ? [(c as { image: string }).image] : [],
    );
    for (const image of images) {
      if (!/^[\w./-]+:[\w.-]+@sha256:[0-9a-f]{64}$/.test(image)) problems.push(`${wf.file}: job ${name} image ${image} is not name:tag@sha256:<64 hex>`);
    }
  }
  return problems;
}

/** A job may read `needs.X` only for an X it lists in `needs`: GitHub gives it no other job's outputs (they read as empty). */
function needsProblems(wf: Workflow): string[] {
  const problems: string[] = [];
  for (const [name, job] of jobsOf(wf)) {
    const direct = new Set([(job as { needs?: unknown }).needs ?? []].flat().map(String));
    const read = new Set([...JSON.stringify(job).matchAll(/\bneeds\.([\w-]+)\./g)].map((m) => m[1]!));
    for (const n of read) if (!direct.has(n)) problems.push(`${wf.file}: job ${name} reads needs.${n} without needing ${n}`);
  }
  return problems;
}

const CHECKS = {
  needsProblems,
  npmScriptProblems,
  permissionProblems,
  cronProblems,
  gitAddProblems,
  dataBranchProblems,
  pinProblems,
  concurrencyProblems,
  setupNodeCacheProblems,
  injectionProblems,
  shellProblems,
  hiddenUploadProblems,
  credentialProblems,
  imageProblems,
};

// A workflow that breaks every rule once.
const BROKEN = `name: broken
on:
  schedule:
    # 17:30 UTC = 02:30 Hong Kong time
    - cron: "30 17 * * 1-5"
    - cron: "61 25 * * *"
permissions: write-all
jobs:
  a:
    runs-on: ubuntu-24.04
    container:
      image: node:20-bookworm
    steps:
      - uses: actions/checkout@v4
      - run: gh release list
        env:
          GH_TOKEN: \${{ github.token }}
      - uses: actions/setup-node@49933ea5288caeca8642d1e84afbd3f7d6820020
      - run: npm run no-such-script && npx tsx scripts/no-such.ts
      - run: git add . && git add -A && git add data/x ':!src' && git push
      - run: npx tsx scripts/data-branch.ts overlay --out .
      - run: echo "\${{ inputs.from }}" | tee out.txt
      - uses: actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02 # v4.6.2
        with:
          path: .cache/pages/
  b:
    needs: a
    runs-on: ubuntu-24.04
    permissions: {}
    steps:
      - run: echo "\${{ needs.c.outputs.x }}"
`;

describe("the checkers catch a broken workflow", () => {
  const broken = load("broken.yml", BROKEN);
  it.each(Object.entries(CHECKS))("%s", (_name, check) => {
    expect(check(broken).length).toBeGreaterThan(0);
  });
  it("action-validator rejects a schema error", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "wf-"));
    try {
      const file = path.join(dir, "bad.yml");
      writeFileSync(file, "name: bad\non: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    stepz: []\n");
      expect(validatorProblems(file).length).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("every workflow", () => {
  it("exists: nightly, backfill, ci, drift-check", () => {
    expect(workflows.map((w) => w.file)).toEqual(expect.arrayContaining(["nightly.yml", "backfill.yml", "ci.yml", "drift-check.yml"]));
  });

  describe.each(workflows.map((w) => [w.file, w] as const))("%s", (_file, wf) => {
    it("passes action-validator's schema", () => {
      expect(validatorProblems(path.join(WF_DIR, wf.file))).toEqual([]);
    });
    it.each(Object.entries(CHECKS))("%s finds nothing", (_name, check) => {
      expect(check(wf)).toEqual([]);
    });
  });
});

describe("nightly", () => {
  const wf = byName("nightly");
  it("runs on weekday nights in Hong Kong and on demand", () => {
    const on = wf.doc.on as Record<string, unknown>;
    expect(on).toHaveProperty("workflow_dispatch");
    const [expr] = schedulesOf(wf);
    const it = CronExpressionParser.parse(expr!, { tz: "UTC", currentDate: new Date("2026-11-22T00:00:00Z") });
    // Two weeks of runs, seen in Hong Kong: after midnight following a weekday, Tuesday to Saturday.
    for (let i = 0; i < 10; i++) {
      const d = it.next().toDate();
      const hk = new Date(d.getTime() + 8 * 3600_000);
      expect([2, 3, 4, 5, 6]).toContain(hk.getUTCDay());
      expect(hk.getUTCHours()).toBeLessThan(6);
    }
  });
  type NStep = Step & { id?: string; if?: string; name?: string; env?: Record<string, unknown>; "continue-on-error"?: unknown };
  type NJob = Job & { needs?: unknown; if?: string; env?: Record<string, unknown>; steps?: NStep[] };
  const jobs = wf.doc.jobs as Record<string, NJob>;
  const scrapeSteps = jobs.scrape?.steps ?? [];
  const at = (steps: NStep[], test: (s: NStep) => boolean) => steps.findIndex(test);
  const runs = (re: RegExp) => (s: NStep) => typeof s.run === "string" && re.test(s.run);
  const deployJob = Object.entries(jobs).find(([, j]) => (j.steps ?? []).some((s) => s.uses?.startsWith("actions/deploy-pages@")))!;

  const commitSteps = jobs.commit?.steps ?? [];

  it("overlays data-open after the layout migration and before the scrape, and hands the dataset on after the drift gate, read-only", () => {
    const checkout = at(scrapeSteps, (s) => s.uses?.startsWith("actions/checkout@") === true && s.with?.ref === "data-open");
    expect(checkout).toBeGreaterThan(0);
    // The first night of a fork has no data-open: its checkout may fail, and publish then leases on "absent".
    expect(scrapeSteps[checkout]?.["continue-on-error"]).toBe(true);
    expect(scrapeSteps[checkout]?.with?.path).toBe(".data-open");
    const migrate = at(scrapeSteps, runs(/compact -- --migrate/));
    const overlay = at(scrapeSteps, runs(/data-branch\.ts overlay --from \.data-open/));
    const scrape = at(scrapeSteps, runs(/scrape-missing/));
    const verdict = at(scrapeSteps, runs(/drift-verdict/));
    const upload = at(scrapeSteps, (s) => s.uses?.startsWith("actions/upload-artifact@") === true && s.with?.name === "nightly-dataset-${{ github.run_id }}");
    expect(overlay).toBeGreaterThan(Math.max(checkout, migrate));
    expect(scrape).toBeGreaterThan(overlay);
    expect(verdict).toBeGreaterThan(scrape);
    expect(upload).toBeGreaterThan(verdict);
    expect(scrapeSteps[upload]?.with?.path).toBe("data/parquet/");
    // handed on only when every step before passed: never after a failed scrape or drift gate
    expect(String(scrapeSteps[upload]?.if ?? "")).not.toMatch(/always\(\)|failure\(\)/);
    // the scrape runs for hours with third-party code: it may read, never write
    expect(jobs.scrape?.permissions).toEqual({ contents: "read" });
    expect(scrapeSteps.some(runs(/data-branch\.ts (?:sync|publish)\b/))).toBe(false);
    expect(JSON.stringify(scrapeSteps)).not.toContain("github.token");
    // The sync closes months itself: no plain compaction of the checkout is left to commit daily files' months early.
    expect(scrapeSteps.some(runs(/npm run compact -- --out/))).toBe(false);
    const outputs = (jobs.scrape as { outputs?: Record<string, string> }).outputs ?? {};
    // the overlay prints data_open=<commit> (empty when there is none): the commit job leases on it
    expect(scrapeSteps[overlay]?.run).toMatch(/tee -a "\$GITHUB_OUTPUT"$/);
    expect(outputs.overlaid).toBe(`\${{ steps.${scrapeSteps[overlay]?.id}.outputs.data_open }}`);
  });

  it("commits in a job of its own: the data-open commit the scrape overlaid, then the scraped dataset in its place, then the sync", () => {
    const job = jobs.commit!;
    expect(job.permissions).toEqual({ contents: "write" });
    expect([job.needs].flat()).toEqual(["scrape"]);
    expect(String(job.if)).toContain("needs.scrape.outputs.enabled == 'true'");
    const open = at(commitSteps, (s) => s.uses?.startsWith("actions/checkout@") === true && s.with?.ref === "${{ needs.scrape.outputs.overlaid }}");
    const overlay = at(commitSteps, runs(/data-branch\.ts overlay --from \.data-open/));
    const download = at(commitSteps, (s) => s.uses?.startsWith("actions/download-artifact@") === true && s.with?.name === "nightly-dataset-${{ github.run_id }}");
    const replace = at(commitSteps, runs(/rm -rf "\$DATA"\s*\nmv \.scraped "\$DATA"/));
    const sync = at(commitSteps, runs(/data-branch\.ts sync\b/));
    expect(open).toBeGreaterThanOrEqual(0);
    expect(String(commitSteps[open]?.if)).toBe("needs.scrape.outputs.overlaid != ''");
    expect(overlay).toBeGreaterThan(open);
    expect(download).toBeGreaterThan(overlay);
    expect(commitSteps[download]?.with?.path).toBe(".scraped");
    expect(replace).toBeGreaterThan(download);
    expect(sync).toBeGreaterThan(replace);
    expect(commitSteps[sync]?.run).toMatch(/--main "\$GITHUB_REF_NAME"/);
    expect(commitSteps[sync]?.run).toMatch(/>> "\$GITHUB_OUTPUT"|tee -a "\$GITHUB_OUTPUT"/);
    expect(commitSteps[sync]?.env?.GIT_PUSH_TOKEN).toBe("${{ github.token }}");
    // the token reaches that step only
    expect(commitSteps.filter((s) => JSON.stringify(s).includes("github.token")).length).toBe(1);
    // Its printed main= and data_open= are the job's outputs, which the build and publish jobs check out.
    const outputs = (job as { outputs?: Record<string, string> }).outputs ?? {};
    expect(outputs.committed).toBe(`\${{ steps.${commitSteps[sync]?.id}.outputs.main }}`);
    expect(outputs.data_open).toBe(`\${{ steps.${commitSteps[sync]?.id}.outputs.data_open }}`);
  });

  it("builds from main's commit with that night's data-open overlaid", () => {
    const steps = (deployJob[1].steps ?? []) as NStep[];
    const main = at(steps, (s) => s.uses?.startsWith("actions/checkout@") === true && s.with?.ref === "${{ needs.commit.outputs.committed }}");
    const open = at(steps, (s) => s.uses?.startsWith("actions/checkout@") === true && s.with?.ref === "${{ needs.commit.outputs.data_open }}");
    const overlay = at(steps, runs(/data-branch\.ts overlay --from \.data-open/));
    const build = at(steps, runs(/npm run build/));
    expect(main).toBeGreaterThanOrEqual(0);
    expect(open).toBeGreaterThan(main);
    expect(steps[open]?.["continue-on-error"]).toBeUndefined(); // the commit exists: failing to read it must stop the build
    expect(overlay).toBeGreaterThan(open);
    expect(build).toBeGreaterThan(overlay);
  });

  it("builds with the fork's data host, full-years and month-end-years settings from repository variables (empty when unset: the defaults)", () => {
    const steps = (deployJob[1].steps ?? []) as NStep[];
    const build = steps.find(runs(/npm run build/))!;
    expect(build.env?.CCASS_DATA_HOST).toBe("${{ vars.CCASS_DATA_HOST }}");
    expect(build.env?.CCASS_SITE_FULL_YEARS).toBe("${{ vars.CCASS_SITE_FULL_YEARS }}");
    expect(build.env?.CCASS_SITE_MONTH_END_YEARS).toBe("${{ vars.CCASS_SITE_MONTH_END_YEARS }}");
    // through env only, never spliced into the shell text
    expect(build.run).not.toMatch(/\$\{\{/);
  });

  it("copies the older years to the data host after the build and before the upload, only when the fork sets a host and a remote; its secret in that step only", () => {
    const steps = (deployJob[1].steps ?? []) as NStep[];
    const at = (p: RegExp) => steps.findIndex((s) => p.test(String(s.run ?? "")) || p.test(String(s.uses ?? "")));
    const copy = at(/rclone .*copy dist-data-host "\$REMOTE"/);
    expect(copy).toBeGreaterThan(at(/npm run build/));
    expect(copy).toBeLessThan(at(/upload-pages-artifact/));
    const step = steps[copy]!;
    expect(String(step.if)).toMatch(/vars\.CCASS_DATA_HOST != ''/);
    expect(String(step.if)).toMatch(/vars\.CCASS_DATA_HOST_REMOTE != ''/);
    expect(step.env?.RCLONE_CONF).toBe("${{ secrets.CCASS_DATA_HOST_RCLONE_CONF }}");
    expect(step.run).not.toMatch(/\$\{\{/); // through env only
    expect(step.run).not.toMatch(/rclone (sync|move|delete|purge)/); // never deletes on the host
    const withSecret = steps.filter((s) => JSON.stringify(s).includes("CCASS_DATA_HOST_RCLONE_CONF"));
    expect(withSecret).toEqual([step]);
  });

  it("keeps the analytics state between runs: CCASS_CACHE set, restored before the build, saved only after a successful deploy", () => {
    const [, job] = deployJob;
    const steps = (job.steps ?? []) as NStep[];
    const cacheDir = job.env?.CCASS_CACHE;
    expect(typeof cacheDir).toBe("string");
    expect(String(cacheDir)).not.toBe("");
    const restore = at(steps, (s) => s.uses?.startsWith("actions/cache/restore@") === true);
    const build = at(steps, runs(/npm run build/));
    const deploy = at(steps, (s) => s.uses?.startsWith("actions/deploy-pages@") === true);
    const save = at(steps, (s) => s.uses?.startsWith("actions/cache/save@") === true);
    expect(restore).toBeGreaterThanOrEqual(0);
    expect(build).toBeGreaterThan(restore);
    expect(deploy).toBeGreaterThan(build);
    expect(save).toBe(steps.length - 1);
    expect(save).toBeGreaterThan(deploy);
    const hash = "${{ hashFiles('data-loaders/**', 'src/dataset/schema.ts') }}";
    const r = steps[restore]!;
    expect(r.with?.path).toBe("${{ env.CCASS_CACHE }}");
    expect(r.with?.key).toBe(`analytics-${hash}-\${{ github.run_id }}`);
    expect(String(r.with?.["restore-keys"]).trim().split("\n")).toEqual([`analytics-${hash}-`, "analytics-"]);
    // A missing state is a full rebuild, not a failure.
    expect(r.with?.["fail-on-cache-miss"]).toBeUndefined();
    expect(r["continue-on-error"]).toBeUndefined();
    const sv = steps[save]!;
    expect(sv.if).toBe("success()");
    expect(sv.with?.path).toBe(r.with?.path);
    expect(sv.with?.key).toBe(`\${{ steps.${r.id}.outputs.cache-primary-key }}`);
  });

  it("deploys only after a successful build that follows the scrape", () => {
    const [, job] = deployJob;
    const steps = (job.steps ?? []) as NStep[];
    const upload = at(steps, (s) => s.uses?.startsWith("actions/upload-pages-artifact@") === true);
    const deploy = at(steps, (s) => s.uses?.startsWith("actions/deploy-pages@") === true);
    const build = at(steps, runs(/npm run build/));
    expect(upload).toBeGreaterThan(build);
    expect(deploy).toBeGreaterThan(upload);
    // No step before the deploy may run on failure (GitHub then skips the deploy when the build fails).
    for (const s of steps.slice(0, deploy + 1)) expect(String(s.if ?? "")).not.toMatch(/always\(\)|failure\(\)/);
    // Plain `needs` without always(): GitHub skips the job when the scrape fails.
    expect([job.needs].flat()).toEqual(expect.arrayContaining(["scrape", "commit"]));
    expect(String(job.if ?? "")).not.toMatch(/always\(\)/);
    expect(uses(wf)).toEqual(expect.arrayContaining(["actions/upload-pages-artifact", "actions/deploy-pages"]));
  });

  it("fetches the published years the scrape's window reaches after the overlay and before the scrape; keeps closed months on data-open", () => {
    const overlay = at(scrapeSteps, runs(/data-branch\.ts overlay --from \.data-open/));
    const fetch = at(scrapeSteps, runs(/npm run fetch-dataset -- --from "\$\{WINDOW_FROM:0:4\}" --out "\$DATA"/));
    const scrape = at(scrapeSteps, runs(/scrape-missing/));
    expect(fetch).toBeGreaterThan(overlay);
    expect(scrape).toBeGreaterThan(fetch);
    expect(JSON.stringify(scrapeSteps[fetch]?.env)).toContain("steps.plan.outputs.window_from");
    // a fork that never published a year has no manifest: nothing to fetch, not a failure
    expect(scrapeSteps[fetch]?.run).toMatch(/^if \[ -f data\/releases\.json \]; then/);
    expect(commitSteps.find(runs(/data-branch\.ts sync\b/))?.run).toMatch(/--months-on data-open/);
  });

  it("the build fetches every published year (checksums verified) after the overlay and before the loaders, and does not wait for the publish job", () => {
    const [, job] = deployJob;
    const steps = (job.steps ?? []) as NStep[];
    const overlay = at(steps, runs(/data-branch\.ts overlay --from \.data-open/));
    const fetch = at(steps, runs(/npm run fetch-dataset -- --out \.cache\/closed-years/));
    const build = at(steps, runs(/npm run build/));
    expect(fetch).toBeGreaterThan(overlay);
    expect(build).toBeGreaterThan(fetch);
    expect(steps[fetch]?.run).not.toMatch(/--from/);
    // linked into the dataset folder after the fetch, from the folder a cache keyed on the manifest restores
    expect(steps[fetch]?.run).toMatch(/fetch-dataset[^\n]*\n\s*cp -alf \.cache\/closed-years\/\. "\$DATA"\//);
    const cache = at(steps, (s) => s.uses?.startsWith("actions/cache@") === true && s.with?.path === ".cache/closed-years");
    expect(cache).toBeGreaterThanOrEqual(0);
    expect(cache).toBeLessThan(fetch);
    expect(steps[cache]?.with?.key).toBe("closed-years-${{ hashFiles('data/releases.json') }}");
    expect([job.needs].flat()).not.toContain("publish");
    expect((job.permissions as Record<string, string>).contents).toBe("read");
  });

  it("publishes closed years in one job, the only one besides the commit job with contents: write, with retries, then retires them from both branches", () => {
    const [name, job] = Object.entries(jobs).find(([, j]) => (j.steps ?? []).some(runs(/npm run publish-year\b/)))!;
    expect(job.permissions).toEqual({ contents: "write" });
    expect([job.needs].flat().sort()).toEqual(["commit", "scrape"]);
    expect(String(job.if)).toContain("needs.scrape.outputs.enabled == 'true'");
    const writers = Object.entries(jobs).filter(([, j]) => (j.permissions as Record<string, string> | undefined)?.contents === "write").map(([n]) => n).sort();
    expect(writers).toEqual([name, "commit"].sort());
    const steps = (job.steps ?? []) as NStep[];
    const main = at(steps, (s) => s.uses?.startsWith("actions/checkout@") === true && s.with?.ref === "${{ needs.commit.outputs.committed }}");
    const open = at(steps, (s) => s.uses?.startsWith("actions/checkout@") === true && s.with?.ref === "${{ needs.commit.outputs.data_open }}");
    const overlay = at(steps, runs(/data-branch\.ts overlay --from \.data-open/));
    const publish = at(steps, runs(/npm run publish-year\b/));
    const retire = at(steps, runs(/data-branch\.ts retire\b/));
    expect(main).toBeGreaterThanOrEqual(0);
    expect(open).toBeGreaterThan(main);
    expect(overlay).toBeGreaterThan(open);
    expect(publish).toBeGreaterThan(overlay);
    expect(retire).toBeGreaterThan(publish);
    // retried as a whole (every step of publish-year is safe to repeat), failing after the last try
    expect(steps[publish]?.run).toMatch(/for attempt in 1 2 3; do[\s\S]*then exit 0; fi[\s\S]*done\s*\nexit 1\s*$/);
    expect(steps[publish]?.env?.GITHUB_TOKEN).toBe("${{ github.token }}");
    expect(steps[retire]?.run).toMatch(/--main "\$GITHUB_REF_NAME"/);
    // both may re-run on the next night: no step of the job is allowed to fail silently
    for (const s of steps) expect(s["continue-on-error"]).toBeUndefined();
  });

  it("writes a job summary when nothing is published", () => {
    expect(wf.text).toMatch(/GITHUB_STEP_SUMMARY/);
    const explain = Object.values(jobs).find((j) => [j.needs].flat().includes(deployJob[0]) && /always\(\)/.test(String(j.if)));
    expect(explain).toBeDefined();
    expect(String(explain?.if)).toContain(`needs.${deployJob[0]}.result != 'success'`);
  });
});

describe("backfill", () => {
  const wf = byName("backfill");
  const jobs = wf.doc.jobs as Record<string, Job & { needs?: unknown; strategy?: { matrix?: unknown } }>;
  it("shards with a matrix computed in a step, and each shard's rate comes from that step", () => {
    expect(String(jobs.shard?.strategy?.matrix)).toMatch(/fromJSON\(needs\.plan\.outputs\.matrix\)/);
    const scrape = (jobs.shard?.steps ?? []).find((s) => s.run?.includes("scrape-missing"));
    expect(scrape?.run).toMatch(/--rate "\$RATE"/);
    expect(JSON.stringify(scrape)).toMatch(/needs\.plan\.outputs\.rate/);
    const plan = (jobs.plan?.steps ?? []).find((s) => s.run?.includes("backfill-plan"));
    expect(plan?.run).toMatch(/--ceiling/);
  });
  it("restores and uploads each shard's state, and merges all shards in a final job that commits", () => {
    const uses = (jobs.shard?.steps ?? []).map((s) => s.uses?.split("@")[0]);
    expect(uses).toEqual(expect.arrayContaining(["actions/download-artifact", "actions/upload-artifact"]));
    expect([jobs.merge?.needs].flat()).toContain("shard");
    expect((jobs.merge?.steps ?? []).some((s) => s.run?.includes("merge-shards"))).toBe(true);
    expect((jobs.merge?.steps ?? []).some((s) => PUSHES.test(s.run ?? ""))).toBe(true);
  });
  it("shards and the merge overlay data-open first; a shard uploads only what neither branch holds; the merge syncs both branches", () => {
    type BStep = Step & { "continue-on-error"?: unknown };
    const index = (steps: BStep[], re: RegExp) => steps.findIndex((s) => re.test(s.run ?? ""));
    for (const job of [jobs.shard, jobs.merge]) {
      const steps = (job?.steps ?? []) as BStep[];
      const checkout = steps.findIndex((s) => s.uses?.startsWith("actions/checkout@") && s.with?.ref === "data-open");
      expect(steps[checkout]?.["continue-on-error"]).toBe(true);
      const overlay = index(steps, /data-branch\.ts overlay --from \.data-open/);
      expect(overlay).toBeGreaterThan(checkout);
      const work = index(steps, /scrape-missing|merge-shards/);
      expect(work).toBeGreaterThan(overlay);
    }
    const shard = jobs.shard?.steps ?? [];
    const collect = shard.find((s) => /\.shard-files/.test(s.run ?? ""));
    expect(collect?.run).toMatch(/data-branch\.ts changed --out "\$DATA" > \.shard-files/);
    expect(collect?.run).not.toMatch(/git ls-files/);
    const merge = jobs.merge?.steps ?? [];
    expect(index(merge, /data-branch\.ts sync\b/)).toBeGreaterThan(index(merge, /merge-shards/));
    expect(merge.some((s) => /npm run compact -- --out/.test(s.run ?? ""))).toBe(false);
  });
  it("shards and the merge fetch the published years their range reaches before they scrape or merge; closed months stay on data-open", () => {
    type BStep = Step & { env?: Record<string, unknown> };
    const index = (steps: BStep[], re: RegExp) => steps.findIndex((s) => re.test(s.run ?? ""));
    const shard = (jobs.shard?.steps ?? []) as BStep[];
    const fetch = index(shard, /npm run fetch-dataset -- --from "\$\{FROM:0:4\}" --to "\$\{TO:0:4\}"/);
    expect(fetch).toBeGreaterThan(index(shard, /data-branch\.ts overlay/));
    expect(index(shard, /scrape-missing/)).toBeGreaterThan(fetch);
    expect(shard[fetch]?.env).toEqual({ FROM: "${{ matrix.from }}", TO: "${{ matrix.to }}" });
    const merge = (jobs.merge?.steps ?? []) as BStep[];
    const mfetch = index(merge, /npm run fetch-dataset -- --from/);
    expect(mfetch).toBeGreaterThan(index(merge, /data-branch\.ts overlay/));
    expect(index(merge, /merge-shards/)).toBeGreaterThan(mfetch);
    expect(merge.find((s) => /data-branch\.ts sync\b/.test(s.run ?? ""))?.run).toMatch(/--months-on data-open/);
  });

  it("commits the good shards, then fails the run when a shard with rejected pages was left out", () => {
    const steps = (jobs.merge?.steps ?? []) as (Step & { id?: string; if?: string })[];
    const merge = steps.findIndex((s) => s.run?.includes("merge-shards"));
    const commit = steps.findIndex((s) => PUSHES.test(s.run ?? ""));
    expect(steps[merge]?.run).toMatch(/left_out=\$left_out" >> "\$GITHUB_OUTPUT"/);
    const fail = steps.findIndex((s) => String(s.if ?? "").includes(`steps.${steps[merge]?.id}.outputs.left_out != '0'`) && /\bexit 1\b/.test(s.run ?? ""));
    expect(fail).toBeGreaterThan(commit);
    expect(commit).toBeGreaterThan(merge);
  });
});

describe("ci", () => {
  const wf = byName("ci");
  it("runs .ci/run, which installs chromium from apt, runs npm ci, the tests and the demo build", () => {
    expect(scriptsOf(wf).some((s) => /^\s*\.ci\/run\s*$/m.test(s))).toBe(true);
    const all = readFileSync(path.join(ROOT, ".ci", "run"), "utf8");
    expect(all).toMatch(/apt-get install[^\n]*chromium/);
    expect(all).toMatch(/npm ci/);
    expect(all).toMatch(/npm test/);
    expect(all).toMatch(/npm run demo -- --no-serve/);
    const on = wf.doc.on as Record<string, unknown>;
    expect(Object.keys(on)).toEqual(expect.arrayContaining(["push", "pull_request"]));
  });
  it(".ci/run works in a fresh clone in an empty temporary folder, so nothing beside the repository is reachable", () => {
    const run = readFileSync(path.join(ROOT, ".ci", "run"), "utf8");
    const lines = run.split("\n").filter((l) => !l.trim().startsWith("#"));
    const mktemp = lines.findIndex((l) => /\$\(mktemp -d\)/.test(l));
    const clone = lines.findIndex((l) => /\bgit\b.*\bclone\b/.test(l));
    const cd = lines.findIndex((l, i) => i > clone && /^cd\s/.test(l.trim()));
    const firstNpm = lines.findIndex((l) => /\bnpm (ci|test|run)\b/.test(l));
    expect(mktemp).toBeGreaterThanOrEqual(0);
    expect(clone).toBeGreaterThan(mktemp);
    expect(cd).toBeGreaterThan(clone);
    expect(firstNpm).toBeGreaterThan(cd);
  });
});

describe("drift-check", () => {
  const wf = byName("drift-check");
  it("is scheduled, scrapes two stocks with a page cache and keeps the raw pages on failure", () => {
    expect(schedulesOf(wf).length).toBeGreaterThan(0);
    const all = scriptsOf(wf).join("\n");
    expect(all).toMatch(/scrape\.ts run[^\n]*--stocks 00700,00005[^\n]*--cache/);
    expect(all).toMatch(/drift-verdict/);
    const upload = stepsOf(wf).find((s) => s.uses?.startsWith("actions/upload-artifact@")) as (Step & { if?: string }) | undefined;
    expect(upload?.if).toMatch(/failure\(\)/);
    expect(String(upload?.with?.path)).toMatch(/_rejects/);
  });
});
