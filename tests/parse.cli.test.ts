// The real `scrape.ts parse FILE` command, as a user runs it: stdout is exactly the expected JSON,
// exit 0 for a record and non-zero (with the error JSON still printed) for a page error.
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { fixturesDir, readExpected, readFixture, repoRoot } from "./parse-helpers.ts";

const run = promisify(execFile);

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function scrapeParse(...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", "scripts/scrape.ts", "parse", ...args], { cwd: repoRoot });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout: string; stderr: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout, stderr: e.stderr };
  }
}

// Each run starts tsx and the whole CLI (seconds each): run them side by side.
describe.concurrent("scrape.ts parse", () => {
  it("prints the large holdings page's expected JSON and exits 0", async () => {
    const name = "holdings-en-00700-large.html";
    const r = await scrapeParse(path.join(fixturesDir, name));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(readExpected(name));
  });

  it("a truncated page: exit 1, exactly {error: incomplete} on stdout, the reason on stderr", async () => {
    const name = "holdings-en-00388-truncated.html";
    const r = await scrapeParse(path.join(fixturesDir, name));
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual(readExpected(name));
    expect(r.stderr).toMatch(/incomplete: document ended early/);
  });

  it("--reason keeps the reason in the JSON; drift is reported as such", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "parse-cli-"));
    const drifted = path.join(dir, "drifted.html");
    writeFileSync(drifted, readFixture("holdings-en-08123-small.html").replaceAll("ccass-search-summary-table", "summary-grid"));
    const r = await scrapeParse("--reason", drifted);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { error: string; reason: string };
    expect(out.error).toBe("no-result");
    expect(out.reason).toMatch(/^markup drift:/);
  });

  it("a missing file: exit 2 and a message naming it", async () => {
    const r = await scrapeParse(path.join(fixturesDir, "no-such-page.html"));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot read .*no-such-page\.html/);
    expect(r.stdout).toBe("");
  });
});
