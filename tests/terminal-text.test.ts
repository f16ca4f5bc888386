// Page text printed to a terminal carries no control characters: an alert with `&#27;` (ESC)
// or a raw U+009B (8-bit CSI) in it reaches the screen neither from `scrape parse`, nor from
// `scrape status`, nor from the JSON progress lines. JSON output keeps the exact text (escaped).
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { saveReject } from "../src/ingest/evidence.ts";
import { createProgress } from "../src/ingest/progress.ts";
import { terminalJson, terminalText } from "../src/lib/terminal.ts";
import { InvalidValueError } from "../src/lib/validate.ts";
import { renderSearchPage } from "../src/replica/render.ts";
import { TokenIssuer } from "../src/replica/tokens.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const run = promisify(execFile);
const work = mkdtempSync(path.join(tmpdir(), "terminal-text-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * An attacker's alert: clear screen, set the window title, bell, a raw 8-bit CSI (HTML maps
 * `&#155;` to "›", so the C1 byte comes in as itself), DEL; and what it decodes to.
 */
const HOSTILE_ENTITIES = "Bad date&#27;[2J&#27;]0;owned&#7;\u009b31m red&#127;";
const HOSTILE = "Bad date\x1b[2J\x1b]0;owned\x07\x9b31m red\x7f";

/** Every control character in `s` except the ones layout needs (listed in `allowed`). */
function controls(s: string, allowed = "\n"): string[] {
  return [...s].filter((c) => /[\u0000-\u001f\u007f-\u009f]/.test(c) && !allowed.includes(c)).map((c) => `U+${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

async function cli(script: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", script, ...args], { cwd: ROOT });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout: string; stderr: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("terminal text", () => {
  it("drops C0, DEL and C1 controls, keeps every other character, turns line breaks into spaces", () => {
    expect(terminalText(HOSTILE)).toBe("Bad date[2J]0;owned31m red");
    expect(terminalText("a\tb\r\nc 中文 é")).toBe("a b  c 中文 é");
    const json = terminalJson({ m: HOSTILE });
    expect(controls(json, "")).toEqual([]);
    expect(JSON.parse(json)).toEqual({ m: HOSTILE });
    expect(terminalJson(undefined)).toBe("undefined");
  });

  it("keeps a page's bad value out of the terminal in a validation error too", () => {
    const err = new InvalidValueError("stock code", HOSTILE);
    expect(controls(err.message, "")).toEqual([]);
    expect(err.message).toContain("invalid stock code: ");
  });
});

describe.concurrent("commands printing page text", () => {
  it("scrape parse: an alert with &#27; prints no control character, and the JSON keeps its exact text", async () => {
    const marker = "ALERT-MARKER";
    const page = renderSearchPage({
      lang: "en",
      action: "searchsdw.aspx",
      tokens: new TokenIssuer(0).issue(Date.now()),
      today: "2026-11-23",
      shareholdingDate: "2026-11-20",
      alertMsg: marker,
    }).replace(marker, HOSTILE_ENTITIES);
    const file = path.join(work, "alert.html");
    writeFileSync(file, page);
    const r = await cli("scripts/scrape.ts", "parse", file);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({ error: "alert", message: HOSTILE });
    expect(controls(r.stdout)).toEqual([]);
    expect(r.stderr).toContain("parse: alert: Bad date[2J]0;owned31m red");
    expect(controls(r.stderr)).toEqual([]);
  });

  it("scrape status: a reject reason from a page prints with no control character, text or JSON", async () => {
    const out = path.join(work, "status");
    await saveReject(out, { date: "2026-11-20", page: "00700", reason: `inconsistent: name ${HOSTILE}`, attempts: 1, runId: "t", at: "2026-11-21T00:00:00Z" }, "<html></html>");
    const text = await cli("scripts/scrape.ts", "status", "--out", out);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("2026-11-20 00700: inconsistent: name Bad date[2J]0;owned31m red");
    expect(controls(text.stdout, "\n\t")).toEqual([]);
    const json = await cli("scripts/scrape.ts", "status", "--out", out, "--json");
    expect(controls(json.stdout)).toEqual([]);
    expect((JSON.parse(json.stdout) as { rejects: { reason: string }[] }).rejects[0]?.reason).toBe(`inconsistent: name ${HOSTILE}`);
  });
});

describe("run progress as JSON lines", () => {
  it("writes an alert's text with its controls escaped, parsing back to the same text", () => {
    const lines: string[] = [];
    const progress = createProgress({ tty: false, write: (l) => lines.push(l) });
    progress.onEvent({ type: "page", date: "2026-11-20", page: "00700", status: "alert", detail: HOSTILE, attempts: 1, cached: false });
    progress.stop();
    expect(lines).toHaveLength(1);
    expect(controls(lines[0]!, "")).toEqual([]);
    expect((JSON.parse(lines[0]!) as { detail: string }).detail).toBe(HOSTILE);
  });
});
