import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    // Tests start real processes and servers: give slow CI machines room, and keep
    // end-to-end files from competing for the two cores with everything else.
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
