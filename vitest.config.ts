import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    // Tests start real processes and servers: give slow CI machines room, and keep
    // end-to-end files from competing for the two cores with everything else.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // The JSON report is what .ci/run counts from: CI cannot read vitest's own summary.
    reporters: ["default", "json"],
    outputFile: { json: "test-results/vitest.json" },
  },
});
