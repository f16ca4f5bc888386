// Option parsers for the command lines (commander): a bad value is commander's usage error,
// naming the option and what it must be, before anything starts. And the error conventions every
// script shares: a usage error or an error from the work is one line on stderr and exit status 1.
import { Command, InvalidArgumentError } from "commander";
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

/** Text folded to one line (commander's messages may carry a "Did you mean" line). */
function oneLine(text: string): string {
  return text.trim().replace(/\s*\n\s*/g, " ");
}

/**
 * A command line with the shared conventions: a usage error (unknown option, bad or missing value)
 * is `NAME: error: …` on one line of stderr, exit 1, without the help text after it. Subcommands
 * added to it afterwards inherit this.
 */
export function cliProgram(name: string): Command {
  return new Command().name(name).configureOutput({
    outputError: (text, write) => write(`${name}: ${oneLine(text)} (--help lists the options)\n`),
  });
}

/** Built-in errors that mean a bug in the code, not bad input: they keep their stack trace. */
const BUG_ERRORS: readonly ErrorConstructor[] = [TypeError, ReferenceError, SyntaxError, EvalError, URIError];

/**
 * Run a script's work (typically `program.parseAsync()`). An error it throws (bad input: a typed
 * error such as MarketOptionsError or RunLockedError, a missing folder…) is one line on stderr,
 * `NAME: ErrorName: message`, and exit status 1: a stack trace would bury the message. Plain
 * TypeErrors and the like are bugs and keep their stack; CCASS_DEBUG=1 keeps every stack.
 */
export async function runCli(name: string, work: () => unknown): Promise<void> {
  try {
    await work();
  } catch (err) {
    const bug = !(err instanceof Error) || BUG_ERRORS.some((E) => err.constructor === E);
    if (bug || process.env.CCASS_DEBUG) console.error(err);
    else process.stderr.write(`${name}: ${err.name === "Error" ? "" : `${err.name}: `}${oneLine(err.message)}\n`);
    process.exit(1);
  }
}
