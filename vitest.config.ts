import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // Two cores here and in CI: two workers keep the suite fast without thrashing.
    maxWorkers: 2,
    testTimeout: 60_000,
    reporters: ["default"],
  },
});
