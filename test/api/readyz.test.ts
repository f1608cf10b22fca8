// /readyz against real dependencies: Redis and every configured Kafka cluster. A cluster nobody
// listens for makes the service not ready and is named; the sandbox's clusters (when the sandbox is
// up) make it ready. The only API test that touches Kafka.
/* eslint-disable @typescript-eslint/no-unsafe-member-access -- response bodies are JSON the contract check has validated */
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { kafkaClusterCheck } from "../../src/api/kafka-check.js";
import { clusterSchema } from "../../src/config/schema.js";
import { call } from "./contract.js";
import { REDIS_URL, startHarness } from "./harness.js";
import type { Harness } from "./harness.js";
import { port } from "../../sandbox/topology.js";

const harnesses: Harness[] = [];
const probe = new Redis(REDIS_URL);
afterAll(async () => {
  for (const h of harnesses) await h.close();
  probe.disconnect();
});

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

async function harnessWith(clusters: Record<string, { bootstrapServers: string[] }>): Promise<Harness> {
  const checks = Object.entries(clusters).map(([name, c]) =>
    kafkaClusterCheck(name, clusterSchema.parse(c), 1_500),
  );
  // The harness probes Redis only by default; add the Kafka probes the service builds from config.
  const redisCheck = { name: "redis", check: async () => void (await probe.ping()) };
  const h = await startHarness({ mode: "api", clusters, readinessChecks: [redisCheck, ...checks] });
  harnesses.push(h);
  return h;
}

describe("GET /readyz", () => {
  it("when a configured Kafka cluster does not answer, then 503 naming it, quickly", async () => {
    const port = await closedPort();
    const h = await harnessWith({ gone: { bootstrapServers: [`127.0.0.1:${port}`] } });
    const t0 = Date.now();
    const res = await call(h.service.app, "GET", "/readyz");
    expect(res.status).toBe(503);
    expect(res.body.status).toBe("not_ready");
    expect(res.body.checks.redis.ok).toBe(true);
    expect(res.body.checks["kafka:gone"]).toMatchObject({ ok: false });
    expect(Date.now() - t0).toBeLessThan(3_000);
  });

  // The api project's global setup brings the sandbox up, so this runs (and fails) rather than skips.
  it("when the sandbox's clusters answer describeCluster, then 200", async () => {
    const h = await harnessWith({
      dc1: { bootstrapServers: [`127.0.0.1:${port(19092)}`] },
      dc2: { bootstrapServers: [`127.0.0.1:${port(29092)}`] },
    });
    const res = await call(h.service.app, "GET", "/readyz");
    expect(res.status, res.text).toBe(200);
    expect(Object.keys(res.body.checks as object).sort()).toEqual(["kafka:dc1", "kafka:dc2", "redis"]);
  });
});
