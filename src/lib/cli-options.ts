// Option parsers for the command lines (commander): a bad value is commander's usage error,
// naming the option and what it must be, before anything starts.
import { InvalidArgumentError } from "commander";
import { isIsoDate } from "./validate.ts";

function bounds(min: number, max: number, minExclusive: boolean): string {
  if (Number.isFinite(min) && Number.isFinite(max)) return ` from ${min} to ${max}`;
  if (Number.isFinite(min)) return minExclusive ? ` above ${min}` : ` of at least ${min}`;
  if (Number.isFinite(max)) return ` of at most ${max}`;
  return "";
}

/** A whole number in [min, max]. */
export function integerOption(name: string, min = -Infinity, max = Infinity): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === "" || !Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`${name} must be an integer${bounds(min, max, false)}`);
    return n;
  };
}

/** A finite number in [min, max], or in (min, max] with `minExclusive`. */
export function numberOption(name: string, min = -Infinity, max = Infinity, minExclusive = false): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === "" || !Number.isFinite(n) || n < min || (minExclusive && n === min) || n > max)
      throw new InvalidArgumentError(`${name} must be a number${bounds(min, max, minExclusive)}`);
    return n;
  };
}

/** A real calendar date written YYYY-MM-DD. */
export function isoDateOption(v: string): string {
  if (!isIsoDate(v)) throw new InvalidArgumentError("must be a date YYYY-MM-DD");
  return v;
}
