// Two projects: fast unit tests (no services) and integration tests against the real sandbox.
// Integration files run one at a time: they share one sandbox and some of them stop datacenters.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["src/**/*.test.ts", "test/unit/**/*.test.ts"],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 240_000,
          globalSetup: ["test/integration/global-setup.ts"],
        },
      },
    ],
  },
});
