// vitest globalSetup: before any test file runs, make the dataset check's Python environment
// (.venv-check: pandas, pyarrow, Polars) when it is missing or its requirements changed, so that the
// README's `npm test` needs nothing set up first. When it cannot be made, the run stops with one line
// saying how to fix it, instead of the dataset tests failing (or skipping) one by one.
import { CheckPythonEnvError, ensureCheckPython } from "../../scripts/lib/check-python-env.ts";

export default async function setup(): Promise<void> {
  try {
    const r = await ensureCheckPython({ log: (line) => console.error(`npm test: ${line}`) });
    if (r.state === "made") console.error(`npm test: made ${r.python}`);
  } catch (err) {
    if (!(err instanceof CheckPythonEnvError)) throw err;
    // One line, no stack: the message says what to do.
    console.error(`npm test: ${err.message}`);
    process.exit(1);
  }
}
