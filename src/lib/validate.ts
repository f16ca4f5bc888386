// Validation of untrusted values (scraped text, CLI arguments) before they reach a file path,
// a SQL string or a URL. Every failure is a typed error naming the offending value.
import { terminalJson } from "./terminal.ts";

export class InvalidValueError extends Error {
  override readonly name = "InvalidValueError";
  constructor(
    readonly what: string,
    readonly value: unknown,
  ) {
    // The value is often from a page, and the message ends up on a terminal: no raw control character.
    super(`invalid ${what}: ${terminalJson(value)}`);
  }
}

const STOCK_CODE = /^\d{5}$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const PARTICIPANT_ID = /^[A-Z]\d{5}$/;

export function isStockCode(x: unknown): x is string {
  return typeof x === "string" && STOCK_CODE.test(x);
}

/** A real calendar date in YYYY-MM-DD form (2026-02-30 is rejected). */
export function isIsoDate(x: unknown): x is string {
  if (typeof x !== "string") return false;
  const m = ISO_DATE.exec(x);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === x;
}

export function isParticipantId(x: unknown): x is string {
  return typeof x === "string" && PARTICIPANT_ID.test(x);
}

export function assertStockCode(x: unknown): string {
  if (!isStockCode(x)) throw new InvalidValueError("stock code (five digits)", x);
  return x;
}

export function assertIsoDate(x: unknown): string {
  if (!isIsoDate(x)) throw new InvalidValueError("date (YYYY-MM-DD)", x);
  return x;
}

export function assertParticipantId(x: unknown): string {
  if (!isParticipantId(x)) throw new InvalidValueError("participant ID (letter and five digits)", x);
  return x;
}
