// Resume after a crash at every phase boundary, on the real Redis run store: the process dies
// before or after each persisted transition, and inside each step phase (before and after its side
// effect); a new process resumes the run. Each step's write must have happened exactly once, counted
// in Redis by the step's own Lua script, and a revert must restore exactly the state found.
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisRunStore } from "../../../src/adapters/redis/run-store.js";
import { RunEngine } from "../../../src/engine/engine.js";
import { MemoryAuditSink } from "../../../src/engine/ports/audit-sink.js";
import { systemClock } from "../../../src/engine/ports/clock.js";
import { MemoryLogger } from "../../../src/engine/ports/logger.js";
import { parseRunbookOrThrow } from "../../../src/engine/runbook/parse-runbook.js";
import type { Runbook } from "../../../src/engine/runbook/model.js";
import { createStepRegistry } from "../../../src/steps/registry.js";
import { FakeHttp, targets } from "./fixtures.js";
import { Crash, MortalStore, Process, redisSetStep } from "./redis-steps.js";
import type { StepCrashPoint } from "./redis-steps.js";

const RUNBOOK = `apiVersion: switchover/v1
kind: Runbook
metadata: { name: crash-drill }
steps:
  - id: lower-isr
    uses: test.redisSet
    with: { key: min-isr, value: "1" }
  - id: repoint
    uses: test.redisSet
    with: { key: dns, value: "\${{ steps.lower-isr.outputs.previous }}-to-dc2" }
  - id: gate
    uses: approval
    with: { message: consumers? }
  - id: mark
    uses: test.redisSet
    with: { key: marker, value: done }
`;
const KEYS = ["min-isr", "dns", "marker"];

let redis: Redis;
const prefixes: string[] = [];

beforeAll(() => {
  redis = new Redis("redis://127.0.0.1:6379", { lazyConnect: false, maxRetriesPerRequest: 1 });
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

function engineFor(prefix: string, proc: Process): { engine: RunEngine; runbook: Runbook } {
  const registry = createStepRegistry([redisSetStep(redis, prefix, proc)]);
  const engine = new RunEngine({
    store: new MortalStore(new RedisRunStore(redis, { prefix }), proc),
    clock: systemClock,
    audit: new MemoryAuditSink(),
    logger: MemoryLogger.silent(),
    catalog: registry,
    targets,
    adapters: { http: new FakeHttp() },
  });
  return { engine, runbook: parseRunbookOrThrow(RUNBOOK, { catalog: registry, targets }) };
}

async function world(prefix: string): Promise<Record<string, string | null>> {
  const out: Record<string, string | null> = {};
  for (const k of KEYS) out[k] = await redis.get(`${prefix}:world:${k}`);
  return out;
}

async function effects(prefix: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const k of KEYS) out[k] = Number((await redis.get(`${prefix}:effects:${k}`)) ?? 0);
  return out;
}

/** Runs the drill to the end, restarting the "process" after every crash; returns restarts. */
async function runToEnd(prefix: string, first: Process): Promise<{ runId: string; restarts: number }> {
  const initial = engineFor(prefix, first);
  const runbook = initial.runbook;
  let engine = initial.engine;
  const created = await engine.createRun({ runbook, dryRun: false, id: `run-${randomUUID()}` });
  let restarts = 0;
  for (;;) {
    try {
      let run = await engine.execute(created.id);
      if (run.state === "waiting_approval") {
        await engine.approve(run.id, { by: "test" });
        run = await engine.execute(run.id);
      }
      if (run.state === "succeeded") return { runId: run.id, restarts };
      throw new Error(`run ended ${run.state}: ${JSON.stringify(run.error)}`);
    } catch (err) {
      if (!(err instanceof Crash)) throw err;
      expect(restarts).toBe(0);
      restarts++;
      engine = engineFor(prefix, new Process()).engine;
    }
  }
}

async function seed(prefix: string): Promise<void> {
  prefixes.push(prefix);
  await redis.set(`${prefix}:world:min-isr`, "3");
}

const EXPECTED_WORLD = { "min-isr": "1", dns: "3-to-dc2", marker: "done" };
const ONE_EACH = { "min-isr": 1, dns: 1, marker: 1 };

describe("resume after a crash", () => {
  let totalSaves = 0;

  it("a run without crashes makes one write per step", async () => {
    const prefix = `so-test-crash-${randomUUID()}`;
    await seed(prefix);
    const proc = new Process();
    const { restarts } = await runToEnd(prefix, proc);
    expect(restarts).toBe(0);
    expect(await world(prefix)).toEqual(EXPECTED_WORLD);
    expect(await effects(prefix)).toEqual(ONE_EACH);
    totalSaves = proc.saves;
    expect(totalSaves).toBeGreaterThanOrEqual(16);
  });

  it("at every persisted transition, before and after the write, each effect happens exactly once", async () => {
    expect(totalSaves).toBeGreaterThan(0);
    const failures: string[] = [];
    for (let n = 1; n <= totalSaves; n++) {
      for (const when of ["before", "after"] as const) {
        const prefix = `so-test-crash-${randomUUID()}`;
        await seed(prefix);
        const { restarts } = await runToEnd(prefix, new Process({ n, when }));
        const got = { world: await world(prefix), effects: await effects(prefix) };
        if (
          restarts !== 1 ||
          JSON.stringify(got) !== JSON.stringify({ world: EXPECTED_WORLD, effects: ONE_EACH })
        ) {
          failures.push(`${when} save #${n}: restarts=${restarts} ${JSON.stringify(got)}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  const points: StepCrashPoint[] = ["plan", "apply-before-effect", "apply-after-effect", "verify"];
  const cases = ["lower-isr", "repoint", "mark"].flatMap((stepId) =>
    points.map((point) => ({ stepId, point })),
  );
  it.each(cases)(
    "inside $stepId at $point, and a revert still restores the state found",
    async ({ stepId, point }) => {
      const prefix = `so-test-crash-${randomUUID()}`;
      await seed(prefix);
      const { runId, restarts } = await runToEnd(prefix, new Process(undefined, { stepId, point }));
      expect(restarts).toBe(1);
      expect(await world(prefix)).toEqual(EXPECTED_WORLD);
      expect(await effects(prefix)).toEqual(ONE_EACH);

      const { engine } = engineFor(prefix, new Process());
      const revert = await engine.createRevert(runId, { dryRun: false });
      expect((await engine.execute(revert.id)).state).toBe("succeeded");
      expect(await world(prefix)).toEqual({ "min-isr": "3", dns: null, marker: null });
      expect(await effects(prefix)).toEqual({ "min-isr": 2, dns: 2, marker: 2 });
    },
  );
});
