// scripts/replica.ts: the base URL is the first line of stdout, the server answers there and stops
// on SIGTERM; bad options fail with a message naming the option, before anything is served.
import { spawn, spawnSync } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "..");
const script = path.join(root, "scripts", "replica.ts");

describe("replica CLI", () => {
  it("prints its base URL first, serves there, and exits 0 on SIGTERM", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", script, "--port", "0", "--seed", "1", "--stocks", "20", "--days", "5", "--end", "2026-11-20"], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      const first = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once("line", resolve);
        child.once("exit", (code) => reject(new Error(`exited early with ${code}`)));
      });
      expect(first).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const list = (await (await fetch(`${first}/sdw/search/stocklist.aspx?sortby=stockcode&shareholdingdate=20261120`)).json()) as unknown[];
      expect(list).toHaveLength(20);
      const exit = new Promise<number | null>((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      expect(await exit).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });

  it("defaults --end to the newest date HKEX shows: the settlement day before today in Hong Kong, not in UTC", async () => {
    // Tue 24 Nov 2026 01:30 in Hong Kong is still Monday 23rd in UTC: the newest date is Monday 23rd.
    const clock = `data:text/javascript,${encodeURIComponent(
      "const T = Date.parse('2026-11-23T17:30:00Z'); const D = Date; globalThis.Date = class extends D { constructor(...a) { if (a.length) super(...a); else super(T); } static now() { return T; } };",
    )}`;
    const child = spawn(process.execPath, ["--import", "tsx", "--import", clock, script, "--port", "0", "--stocks", "3", "--days", "2", "--no-warmup"], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      const summary = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stderr }).on("line", (l) => {
          if (l.includes("settlement days")) resolve(l);
        });
        child.once("exit", (code) => reject(new Error(`exited early with ${code}`)));
      });
      expect(summary).toMatch(/settlement days \d{4}-\d{2}-\d{2}\.\.2026-11-23 /);
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("rejects bad options with a message and a non-zero status", () => {
    for (const [args, message] of [
      [["--stocks", "0"], /stocks must be an integer/],
      [["--end", "2026-02-30"], /must be a date/],
      [["--fault-rate", "1.5"], /fault rate must be a number from 0 to 1/],
      [["--maintenance", "later"], /maintenance/],
    ] as const) {
      const r = spawnSync(process.execPath, ["--import", "tsx", script, "--port", "0", ...args], { cwd: root, encoding: "utf8", timeout: 30_000 });
      expect(r.status).not.toBe(0);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(message);
    }
  });
});
