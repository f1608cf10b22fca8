// A run start is acknowledged only once its audit entry is fsync'd and, when the Redis primary has a
// connected replica, the replica has it too (WAIT 1 <redis.replicaAckTimeoutMs>): an acknowledged run
// survives losing the primary. Without a replica nothing waits. A primary and a replica of the
// test's own (random ports 26400-26999), never the sandbox's Redis.
/* eslint-disable @typescript-eslint/no-unsafe-member-access -- response bodies are JSON the contract check has validated */
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { startOwnRedis } from "../lib/own-redis.js";
import type { OwnRedis } from "../lib/own-redis.js";
import { call } from "./contract.js";
import { eventually, startHarness } from "./harness.js";
import type { Harness } from "./harness.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function own(args: string[] = []): Promise<OwnRedis> {
  const r = await startOwnRedis({ appendonly: true, args });
  cleanups.push(() => r.close());
  return r;
}

async function harness(redisUrl: string): Promise<Harness> {
  const h = await startHarness({ redisUrl, redisConfig: { replicaAckTimeoutMs: 500 } });
  cleanups.push(() => h.close());
  return h;
}

/** How often the primary has run WAIT. */
async function waits(url: string): Promise<number> {
  const client = new Redis(url);
  try {
    const info = await client.info("commandstats");
    return Number(/cmdstat_wait:calls=(\d+)/.exec(info)?.[1] ?? 0);
  } finally {
    client.disconnect();
  }
}

const start = (h: Harness, key: string) =>
  call(h.service.app, "POST", "/v1/runbooks/touch-dc1/runs", {
    token: h.tokens.operator,
    body: { params: { key }, dryRun: false },
  });

describe("run start acknowledged by the Redis replica", () => {
  it("when no replica is attached, then a run start does not wait", async () => {
    const primary = await own();
    const h = await harness(primary.url);
    expect((await start(h, "alone")).status).toBe(202);
    expect(await waits(primary.url)).toBe(0);
  });

  it("when a replica is attached, then a run start is answered after WAIT; when the replica hangs, the start is refused (503) and the run does not go on", async () => {
    const primary = await own();
    const replica = await own(["--replicaof", "127.0.0.1", String(primary.port)]);
    const probe = new Redis(primary.url);
    cleanups.push(() => probe.disconnect());
    await eventually(async () =>
      /slave0:.*state=online/.test(await probe.info("replication")) ? true : undefined,
    );
    const h = await harness(primary.url);

    const ok = await start(h, "replicated");
    expect(ok.status, ok.text).toBe(202);
    expect(await waits(primary.url)).toBeGreaterThanOrEqual(1);
    await eventually(async () => {
      const run = await call(h.service.app, "GET", `/v1/runs/${ok.body.id as string}`, {
        token: h.tokens.viewer,
      });
      return run.body.state === "succeeded" ? true : undefined;
    }, 20_000);

    replica.pause();
    const t0 = Date.now();
    const refused = await start(h, "unreplicated");
    expect(refused.status, refused.text).toBe(503);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(500);
    expect(refused.body.detail).toMatch(/replica/);
    replica.resume();
    const runs = await call(h.service.app, "GET", "/v1/runs", { token: h.tokens.viewer });
    const unacked = (
      runs.body.items as Array<{ id: string; state: string; params?: { key?: string } }>
    ).filter((r) => r.state !== "succeeded");
    expect(unacked.map((r) => r.state)).toEqual(["cancelled"]);
    // Give the worker time: the refused run must never apply.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await h.touches("unreplicated")).toBe(0);
  });
});
