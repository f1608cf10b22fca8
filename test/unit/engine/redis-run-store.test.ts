// RedisRunStore against the real Redis: round trip, compare-and-set under concurrent writers,
// listing, prefixes kept apart, and clean-up through the store's own API.
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisRunStore } from "../../../src/adapters/redis/run-store.js";
import type { RunRecord } from "../../../src/engine/run-record.js";

let redis: Redis;
const stores: RedisRunStore[] = [];

beforeAll(() => {
  redis = new Redis("redis://127.0.0.1:6379", { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  for (const s of stores) await s.clear();
  await redis.quit();
});

function store(): { store: RedisRunStore; prefix: string } {
  const prefix = `so-test-store-${randomUUID()}`;
  const s = new RedisRunStore(redis, { prefix });
  stores.push(s);
  return { store: s, prefix };
}

const record = (id: string, createdAt = 1): RunRecord => ({
  id,
  version: 0,
  runbook: {
    apiVersion: "switchover/v1",
    kind: "Runbook",
    metadata: { name: "x", labels: {} },
    params: {},
    steps: [],
  },
  params: {},
  dryRun: true,
  state: "queued",
  steps: [],
  createdAt,
});

describe("RedisRunStore", () => {
  it("creates once, reads back, and saves with compare-and-set", async () => {
    const { store: s, prefix } = store();
    const created = await s.create(record("r1"));
    expect(created.version).toBe(1);
    await expect(s.create(record("r1"))).rejects.toThrow("run r1 already exists");
    expect(await s.get("r1")).toEqual(created);
    expect(await s.get("nope")).toBeUndefined();

    const saved = await s.save({ ...created, state: "running" });
    expect(saved.version).toBe(2);
    expect((await s.get("r1"))?.state).toBe("running");
    await expect(s.save({ ...created, state: "failed" })).rejects.toMatchObject({
      code: "CONFLICT",
      message: "run r1 changed concurrently (expected version 1, found 2)",
    });
    await expect(s.save(record("ghost"))).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await redis.exists(`${prefix}:run:r1`)).toBe(1);
  });

  it("lets exactly one of many concurrent writers of the same version win", async () => {
    const { store: s } = store();
    const base = await s.create(record("r2"));
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, k) => s.save({ ...base, reason: `writer ${k}` })),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect((await s.get("r2"))?.version).toBe(2);
  });

  it("lists newest first and keeps prefixes apart", async () => {
    const a = store().store;
    const b = store().store;
    await a.create(record("old", 1));
    await a.create(record("new", 2));
    await b.create(record("other", 3));
    expect((await a.list()).map((r) => r.id)).toEqual(["new", "old"]);
    expect((await a.list({ limit: 1 })).map((r) => r.id)).toEqual(["new"]);
    expect((await b.list()).map((r) => r.id)).toEqual(["other"]);
    await a.clear();
    expect(await a.list()).toEqual([]);
    expect(await b.get("other")).toBeDefined();
  });

  it("counts every run by state and mode exactly, past any listing bound, and a refused save moves nothing", async () => {
    const { store: s } = store();
    const runs = await Promise.all(
      Array.from({ length: 1_200 }, (_, i) => s.create({ ...record(`c${i}`, i), dryRun: i % 3 !== 0 })),
    );
    // 400 real and 800 dry runs; 300 real ones run, 100 of those fail; one dry run is cancelled.
    const running = await Promise.all(
      runs
        .slice(0, 900)
        .filter((r) => !r.dryRun)
        .map((r) => s.save({ ...r, state: "running" })),
    );
    await Promise.all(running.slice(0, 100).map((r) => s.save({ ...r, state: "failed" })));
    await s.save({ ...runs[1]!, state: "cancelled" });
    // A save that changes nothing about the state, and a stale one, leave the counts alone.
    await s.save({ ...running[150]!, reason: "still running" });
    await expect(s.save({ ...running[0]!, state: "succeeded" })).rejects.toMatchObject({ code: "CONFLICT" });
    expect(await s.countByState()).toEqual([
      { state: "cancelled", mode: "dry", count: 1 },
      { state: "failed", mode: "real", count: 100 },
      { state: "queued", mode: "dry", count: 799 },
      { state: "queued", mode: "real", count: 100 },
      { state: "running", mode: "real", count: 200 },
    ]);
    await s.clear();
    expect(await s.countByState()).toEqual([]);
  });
});
