// Every Redis client the service creates logs its connection errors through the service's logger,
// with the password redacted, instead of ioredis printing "Unhandled error event" on stderr (as it
// did while the reliability suite restarted Redis). Redis here is a closed port.
import { createServer } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { configSchema } from "../../../src/config/schema.js";
import { MemoryLogger } from "../../../src/engine/ports/logger.js";
import { buildService } from "../../../src/main.js";
import type { Service } from "../../../src/main.js";
import { redactRedisError } from "../../../src/queue/redis-connection.js";

const PASSWORD = "s3cret-redis-pw-7781";

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

let service: Service | undefined;
afterEach(async () => {
  // close() waits for BullMQ to reach Redis, which never answers here: bounded, then dropped.
  if (service) {
    const s = service;
    void s.close(0).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 500));
    s.redis.disconnect();
    void s.queue.queue.disconnect().catch(() => undefined);
  }
  service = undefined;
  vi.restoreAllMocks();
});

describe("Redis connection errors", () => {
  it("redacts credentials in a Redis URL and the configured password", () => {
    expect(redactRedisError("cannot reach redis://app:hunter2@redis:6379/0", undefined)).toBe(
      "cannot reach redis://app:[redacted]@redis:6379/0",
    );
    expect(redactRedisError(`NOAUTH bad password ${PASSWORD}`, PASSWORD)).toBe(
      "NOAUTH bad password [redacted]",
    );
  });

  it("each client the service creates logs through the logger, redacted; nothing unhandled reaches stderr", async () => {
    const stderr: string[] = [];
    vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => void stderr.push(args.join(" ")));
    const port = await closedPort();
    const config = configSchema.parse({
      apiVersion: "switchover/v1",
      kind: "Environment",
      clusters: { dc1: { bootstrapServers: ["127.0.0.1:1"] } },
      replication: {},
      redis: { url: `redis://app:${PASSWORD}@127.0.0.1:${port}`, prefix: "so-test-redis-errors" },
      service: { auth: { tokens: [] } },
    });
    const logger = new MemoryLogger();
    service = await buildService({ config, mode: "all", logger, readinessChecks: [] });
    const events = service.deps.eventFollower();
    const clients = (): Set<unknown> =>
      new Set(logger.entries.filter((e) => e.msg === "redis connection error").map((e) => e.fields.client));
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && !["main", "events", "queue", "worker"].every((c) => clients().has(c))) {
      await new Promise((r) => setTimeout(r, 100));
    }
    events.close();
    expect([...clients()].sort()).toEqual(["events", "main", "queue", "worker"]);
    expect(stderr.filter((l) => l.includes("Unhandled error event"))).toEqual([]);
    expect(JSON.stringify(logger.entries)).not.toContain(PASSWORD);
  }, 30_000);
});
