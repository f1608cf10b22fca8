// The run fence on the real Redis: a worker whose lease was taken by another worker, or whose
// target-lock grant was superseded, stops acting — no adapter call after it learnt, no save, no audit
// entry — while the new owner finishes the run with every step applied and audited once.
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { RedisRunStore } from "../../../src/adapters/redis/run-store.js";
import { RunEngine } from "../../../src/engine/engine.js";
import { MemoryAuditSink } from "../../../src/engine/ports/audit-sink.js";
import { systemClock } from "../../../src/engine/ports/clock.js";
import { MemoryLogger } from "../../../src/engine/ports/logger.js";
import { RunFenceLost } from "../../../src/engine/ports/run-fence.js";
import type { RunFence, StoreClaim } from "../../../src/engine/ports/run-fence.js";
import { parseRunbookOrThrow } from "../../../src/engine/runbook/parse-runbook.js";
import { defineStep } from "../../../src/steps/step-adapters.js";
import type { AnyStep } from "../../../src/engine/step-contract.js";
import { RunLeases } from "../../../src/queue/run-lease.js";
import type { Lease } from "../../../src/queue/run-lease.js";
import { TargetLocks } from "../../../src/queue/target-lock.js";
import { createStepRegistry } from "../../../src/steps/registry.js";
import { FakeHttp, targets } from "./fixtures.js";

const RUNBOOK = `apiVersion: switchover/v1
kind: Runbook
metadata: { name: fence-drill }
steps:
  - id: first
    uses: test.twoCalls
    with: { name: first }
  - id: second
    uses: test.twoCalls
    with: { name: second }
`;

let redis: Redis;
const prefixes: string[] = [];

beforeAll(() => {
  redis = new Redis("redis://127.0.0.1:6379", { maxRetriesPerRequest: 1 });
});

afterAll(async () => {
  for (const prefix of prefixes) {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== "0");
  }
  await redis.quit();
});

/** Holds the first step's apply between its two adapter calls until released. */
class Gate {
  private open: () => void = () => undefined;
  readonly opened = new Promise<void>((r) => (this.open = r));
  private reach: () => void = () => undefined;
  readonly reached = new Promise<void>((r) => (this.reach = r));
  wait(): Promise<void> {
    this.reach();
    return this.opened;
  }
  release(): void {
    this.open();
  }
}

/** A step whose apply makes two adapter calls ("<name>:1", "<name>:2"), the first step's split by a gate. */
function twoCallsStep(gate: Gate | undefined): AnyStep {
  return defineStep<{ name: string }, "http">({
    kind: "test.twoCalls",
    description: "two adapter calls per apply",
    adapters: ["http"],
    input: () => z.strictObject({ name: z.string() }),
    async plan(_ctx, inp) {
      return { changes: [{ resource: inp.name, field: "calls", from: 0, to: 2 }], outputs: {} };
    },
    async apply(ctx, _plan, inp) {
      await ctx.adapters.http.request({
        method: "POST",
        url: `http://127.0.0.1/hooks/${inp.name}/1`,
        signal: ctx.signal,
      });
      if (gate && inp.name === "first") await gate.wait();
      await ctx.adapters.http.request({
        method: "POST",
        url: `http://127.0.0.1/hooks/${inp.name}/2`,
        signal: ctx.signal,
      });
      return null;
    },
    async verify() {
      return undefined;
    },
  });
}

interface Worker {
  engine: RunEngine;
  http: FakeHttp;
  audit: MemoryAuditSink;
}

function worker(prefix: string, gate?: Gate): Worker {
  const registry = createStepRegistry([twoCallsStep(gate)]);
  const http = new FakeHttp();
  const audit = new MemoryAuditSink();
  const engine = new RunEngine({
    store: new RedisRunStore(redis, { prefix }),
    clock: systemClock,
    audit,
    logger: MemoryLogger.silent(),
    catalog: registry,
    targets,
    adapters: { http },
  });
  return { engine, http, audit };
}

function fenceOf(lease: Lease, lockClaims: readonly StoreClaim[] = []): RunFence {
  return {
    signal: lease.signal,
    check: () => lease.check(),
    confirm: () => lease.confirm(lockClaims),
    claims: () => [lease.claim, ...lockClaims],
  };
}

async function setup(): Promise<{ prefix: string; runId: string; leases: RunLeases; locks: TargetLocks }> {
  const prefix = `so-test-fence-${randomUUID()}`;
  prefixes.push(prefix);
  const registry = createStepRegistry([twoCallsStep(undefined)]);
  const runbook = parseRunbookOrThrow(RUNBOOK, { catalog: registry, targets });
  const created = await worker(prefix).engine.createRun({
    runbook,
    dryRun: false,
    id: `run-${randomUUID()}`,
  });
  return {
    prefix,
    runId: created.id,
    leases: new RunLeases(redis, prefix, 600),
    locks: new TargetLocks(redis, { prefix }),
  };
}

async function until(what: string, probe: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const urls = (w: Worker): string[] =>
  w.http.requests.map((r) => r.url.replace("http://127.0.0.1/hooks/", ""));

describe("run fence", () => {
  it("a worker whose lease expired and was taken stops before its next adapter call; the new owner finishes", async () => {
    const { prefix, runId, leases, locks } = await setup();
    const gate = new Gate();
    const a = worker(prefix, gate);
    const leaseA = (await leases.tryAcquire(runId, "worker-a"))!;
    const lockA = await locks.acquire(["cluster:dc1"], runId);
    if (!lockA.ok) throw new Error("lock");
    const runA = a.engine.execute(runId, fenceOf(leaseA, lockA.claims));
    const outcomeA = runA.then(
      () => "finished",
      (err: unknown) => err,
    );
    await gate.reached;
    const versionAtTheft = (await a.engine.get(runId))!.version;
    const auditAtTheft = a.audit.events.length;
    // Worker A stalls: its lease expires (renewals stop reaching Redis) and worker B takes the run.
    leaseA.abandon();
    await redis.del(leases.key(runId));
    const leaseB = (await leases.tryAcquire(runId, "worker-b"))!;
    expect(leaseB).toBeDefined();
    const lockB = await locks.acquire(["cluster:dc1"], runId);
    if (!lockB.ok) throw new Error("lock");
    expect(lockB.fence).toBeGreaterThan(lockA.fence);
    // A wakes up: past its lease's validity it cannot assume ownership, whatever Redis says later.
    await until("worker A's lease to be past its validity", () => {
      try {
        leaseA.check();
        return false;
      } catch {
        return true;
      }
    });
    gate.release();
    const errA = await outcomeA;
    expect(errA).toBeInstanceOf(RunFenceLost);
    expect(urls(a)).toEqual(["first/1"]);
    expect(a.audit.events.length).toBe(auditAtTheft);
    expect((await a.engine.get(runId))!.version).toBe(versionAtTheft);

    const b = worker(prefix);
    const done = await b.engine.execute(runId, fenceOf(leaseB, lockB.claims));
    await leaseB.release();
    expect(done.state).toBe("succeeded");
    expect(urls(b)).toEqual(["first/1", "first/2", "second/1", "second/2"]);
    const applied = [...a.audit.events, ...b.audit.events].filter((e) => e.type === "step.applied");
    expect(applied.map((e) => e.stepId)).toEqual(["first", "second"]);
  });

  it("a save is refused atomically once the lease key holds another worker's token", async () => {
    const { prefix, runId, leases } = await setup();
    const gate = new Gate();
    const a = worker(prefix, gate);
    const leaseA = (await leases.tryAcquire(runId, "worker-a"))!;
    const outcomeA = a.engine.execute(runId, fenceOf(leaseA)).then(
      () => "finished",
      (err: unknown) => err,
    );
    await gate.reached;
    const versionAtTheft = (await a.engine.get(runId))!.version;
    // Overwritten behind A's back (A has not noticed yet: its next renewal is still to come).
    await redis.set(leases.key(runId), "worker-b", "PX", 60_000);
    gate.release();
    const errA = await outcomeA;
    expect(errA).toBeInstanceOf(RunFenceLost);
    expect((errA as Error).message).toContain("lease");
    expect((await a.engine.get(runId))!.version).toBe(versionAtTheft);
    expect(a.audit.events.filter((e) => e.type === "step.applied")).toEqual([]);
  });

  it("a holder whose target-lock fence was superseded cannot act: no save, no apply, no audit", async () => {
    const { prefix, runId, leases, locks } = await setup();
    const a = worker(prefix);
    const leaseA = (await leases.tryAcquire(runId, "worker-a"))!;
    const lockA = await locks.acquire(["cluster:dc1"], runId);
    if (!lockA.ok) throw new Error("lock");
    // The run's targets are granted again (another worker resumed the run): A's grant is stale,
    // though A's own lease is intact.
    const lockB = await locks.acquire(["cluster:dc1"], runId);
    if (!lockB.ok) throw new Error("lock");
    expect(lockB.fence).toBeGreaterThan(lockA.fence);
    const before = (await a.engine.get(runId))!;
    await expect(a.engine.execute(runId, fenceOf(leaseA, lockA.claims))).rejects.toThrow(
      /no longer owns the run \(.*lock:target:cluster:dc1 is no longer held/,
    );
    await expect(leaseA.confirm(lockA.claims)).rejects.toBeInstanceOf(RunFenceLost);
    await leaseA.release();
    expect((await a.engine.get(runId))!.version).toBe(before.version);
    expect(a.http.requests).toEqual([]);
    expect(a.audit.events).toEqual([]);
    // The current grant acts normally, once A's lease expired (A stopped renewing it).
    let leaseB: Lease | undefined;
    for (let i = 0; i < 100 && !leaseB; i++) {
      leaseB = await leases.tryAcquire(runId, "worker-b");
      if (!leaseB) await new Promise((r) => setTimeout(r, 50));
    }
    if (!leaseB) throw new Error("worker A's lease never expired");
    const done = await worker(prefix).engine.execute(runId, fenceOf(leaseB, lockB.claims));
    await leaseB.release();
    expect(done.state).toBe("succeeded");
  });
});
