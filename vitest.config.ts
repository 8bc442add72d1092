import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // One embedded PostgreSQL for the run, started only if a test asks for it (test/support/postgres.ts).
    globalSetup: ["test/support/postgres-global-setup.ts"],
    // Two cores here and in CI: two workers keep the suite fast without thrashing.
    maxWorkers: 2,
    testTimeout: 60_000,
    reporters: ["default"],
  },
});
