// Projects: fast unit tests (no services), API tests (real Redis), the web page in a real browser
// (real Redis), integration tests (sandbox).
// Integration files run one at a time, after the other projects: they share one sandbox and some
// of them restart its Redis or stop datacenters.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    reporters: ["./test/reliability/table-reporter.ts", "default"],
    projects: [
      {
        test: {
          name: "unit",
          include: ["src/**/*.test.ts", "test/unit/**/*.test.ts"],
          testTimeout: 20_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        // The service over HTTP (supertest) against a real Redis (the sandbox's, 127.0.0.1:16379);
        // no Kafka needed except where /readyz is tested. Each file owns its key prefix and queue.
        test: {
          name: "api",
          include: ["test/api/**/*.test.ts"],
          // Runs before the integration files, which restart the sandbox's Redis and stop DCs.
          sequence: { groupOrder: 0 },
          globalSetup: ["test/integration/global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 30_000,
        },
      },
      {
        // The web page in headless Chromium (/usr/bin/chromium, or SWITCHOVER_CHROMIUM) against the
        // real service, like the api project: real Redis, real worker, the app on an ephemeral port.
        test: {
          name: "browser",
          include: ["test/browser/**/*.test.ts"],
          sequence: { groupOrder: 0 },
          globalSetup: ["test/integration/global-setup.ts"],
          testTimeout: 90_000,
          hookTimeout: 90_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          sequence: { groupOrder: 1 },
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 240_000,
          globalSetup: ["test/integration/global-setup.ts"],
        },
      },
      {
        // Crashes, restarts, outages, concurrency and hostile input against the real service
        // (child processes killed with SIGKILL) and the sandbox; prints the figures table at the end.
        test: {
          name: "reliability",
          include: ["test/reliability/**/*.test.ts"],
          sequence: { groupOrder: 2 },
          fileParallelism: false,
          testTimeout: 600_000,
          hookTimeout: 240_000,
          globalSetup: ["test/integration/global-setup.ts", "test/reliability/global-setup.ts"],
        },
      },
    ],
  },
});
