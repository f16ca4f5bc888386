import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    // End-to-end tests start a replica server and scrape through it; browser tests build a site.
    testTimeout: 120_000,
    hookTimeout: 600_000,
    // Two cores: running heavy end-to-end files side by side only makes each slower.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
