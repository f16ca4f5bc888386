// Shared by the parse tests: where the HKEX sample pages and their expected parses live in the
// repository (tests/fixtures/hkex, described in docs/HKEX.md), and how to read them.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

export const repoRoot = path.resolve(import.meta.dirname, "..");
export const hkexFixtures = path.join(repoRoot, "tests", "fixtures", "hkex");
export const fixturesDir = path.join(hkexFixtures, "pages");
export const expectedDir = path.join(hkexFixtures, "expected");

/** Every fixture file name (with extension), sorted. */
export function fixtureNames(): string[] {
  return readdirSync(fixturesDir).sort();
}

export function readFixture(name: string): string {
  return readFileSync(path.join(fixturesDir, name), "utf8");
}

/** The expected parse of a fixture: expected/<name without extension>.json. */
export function readExpected(fixtureName: string): unknown {
  const base = fixtureName.replace(/\.[^.]+$/, "");
  return JSON.parse(readFileSync(path.join(expectedDir, `${base}.json`), "utf8"));
}

/** A page error without its free-text `reason`, the shape the expected files hold. */
export function withoutReason(x: object): object {
  const { reason: _reason, ...rest } = x as { reason?: unknown };
  return rest;
}
