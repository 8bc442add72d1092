import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // web/: the dashboard's pure modules (no DOM), run in node like the rest.
    include: ["src/**/*.test.ts", "test/**/*.test.ts", "web/**/*.test.ts"],
    // Real test images (scripts/setup/images.sh) are built under test/.images: their rootfs trees (with /proc mounted
    // while debootstrap runs) must never be searched for tests.
    exclude: ["**/node_modules/**", "test/.images/**", "bench/.work/**"],
    // One embedded PostgreSQL for the run, started only if a test asks for it (test/support/postgres.ts).
    globalSetup: ["test/support/postgres-global-setup.ts"],
    // Two cores here and in CI: two workers keep the suite fast without thrashing.
    maxWorkers: 2,
    testTimeout: 60_000,
    reporters: ["default"],
  },
});
