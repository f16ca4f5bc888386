// Tests that set one environment variable for the code they call (which reads process.env), and
// put it back afterwards whether the work succeeds or throws.

/** `work()` with `process.env[name] = value`; the variable restored (or removed) after. */
export async function withEnv<T>(name: string, value: string, work: () => Promise<T>): Promise<T> {
  const saved = process.env[name];
  process.env[name] = value;
  try {
    return await work();
  } finally {
    if (saved === undefined) delete process.env[name];
    else process.env[name] = saved;
  }
}
