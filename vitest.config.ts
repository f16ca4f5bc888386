import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    // Makes .venv-check (the dataset check's pandas/pyarrow/Polars) when missing or stale: tests/setup/check-python.ts.
    globalSetup: ["tests/setup/check-python.ts"],
    // End-to-end tests start a replica server and scrape through it; browser tests build a site.
    testTimeout: 120_000,
    hookTimeout: 600_000,
    // Two cores: running heavy end-to-end files side by side only makes each slower.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
