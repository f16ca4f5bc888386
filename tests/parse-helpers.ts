// Shared by the parse tests: where the shared HKEX fixtures live, and how to read them.
// The tests run from the repo root; the shared folder sits beside the repo (../shared), in CI too.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

export const repoRoot = path.resolve(import.meta.dirname, "..");
export const sharedHkex = path.resolve(repoRoot, "..", "shared", "hkex");
export const fixturesDir = path.join(sharedHkex, "fixtures");
export const expectedDir = path.join(sharedHkex, "expected");

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

/** A page error without its free-text `reason`, the shape the shared expected files hold. */
export function withoutReason(x: object): object {
  const { reason: _reason, ...rest } = x as { reason?: unknown };
  return rest;
}
