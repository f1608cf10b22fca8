// A test step whose world is real Redis: `test.redisSet` converges a key to a value and, in the same
// Lua script, counts the write it really made — so "exactly one side effect" is counted outside the
// process, where a crash cannot lose or double it. A Process object simulates dying at any point.
import type { Redis } from "ioredis";
import { z } from "zod";
import type { JsonObject } from "../../../src/engine/json.js";
import { defineStep } from "../../../src/engine/step-contract.js";
import type { AnyStep, StepPlan } from "../../../src/engine/step-contract.js";
import type { RunRecord } from "../../../src/engine/run-record.js";
import type { RunStore, SaveOptions } from "../../../src/engine/ports/run-store.js";

/** Thrown when the simulated process dies; nothing after it may reach Redis. */
export class Crash extends Error {
  constructor(where: string) {
    super(`simulated crash ${where}`);
  }
}

export type StepCrashPoint = "plan" | "apply-before-effect" | "apply-after-effect" | "verify";

export class Process {
  dead = false;
  saves = 0;
  constructor(
    readonly crashAtSave?: { n: number; when: "before" | "after" },
    readonly crashInStep?: { stepId: string; point: StepCrashPoint },
  ) {}
  check(): void {
    if (this.dead) throw new Crash("(process already dead)");
  }
  die(where: string): never {
    this.dead = true;
    throw new Crash(where);
  }
  maybeDieInStep(stepId: string, point: StepCrashPoint): void {
    this.check();
    if (this.crashInStep?.stepId === stepId && this.crashInStep.point === point)
      this.die(`in ${stepId} at ${point}`);
  }
}

/** A store that dies with its process: before or after the n-th save, and for ever after. */
export class MortalStore implements RunStore {
  constructor(
    private readonly inner: RunStore,
    private readonly proc: Process,
  ) {}
  async create(run: RunRecord): Promise<RunRecord> {
    this.proc.check();
    return this.inner.create(run);
  }
  async get(id: string): Promise<RunRecord | undefined> {
    this.proc.check();
    return this.inner.get(id);
  }
  async list(opts?: { limit?: number }): Promise<RunRecord[]> {
    this.proc.check();
    return this.inner.list(opts);
  }
  async save(run: RunRecord, opts?: SaveOptions): Promise<RunRecord> {
    this.proc.check();
    const n = ++this.proc.saves;
    const crash = this.proc.crashAtSave;
    if (crash?.n === n && crash.when === "before") this.proc.die(`before save #${n}`);
    const saved = await this.inner.save(run, opts);
    if (crash?.n === n && crash.when === "after") this.proc.die(`after save #${n}`);
    return saved;
  }
}

// ARGV[2] = "1" converges to "absent" (a revert of a key that did not exist).
const CONVERGE = `
local cur = redis.call('GET', KEYS[1])
if ARGV[2] == '1' then
  if cur then
    redis.call('DEL', KEYS[1])
    redis.call('INCR', KEYS[2])
  end
elseif cur ~= ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1])
  redis.call('INCR', KEYS[2])
end
return cur`;

export function redisSetStep(redis: Redis, prefix: string, proc: Process): AnyStep {
  const input = () => z.strictObject({ key: z.string(), value: z.string().nullable() });
  return defineStep<{ key: string; value: string | null }>({
    kind: "test.redisSet",
    description: "converge a Redis key, counting real writes",
    adapters: [],
    input,
    async plan(ctx, inp): Promise<StepPlan> {
      proc.maybeDieInStep(ctx.stepId, "plan");
      const current = await redis.get(`${prefix}:world:${inp.key}`);
      return {
        changes:
          current === inp.value ? [] : [{ resource: inp.key, field: "value", from: current, to: inp.value }],
        outputs: { previous: current },
      };
    },
    async apply(ctx, plan) {
      const before: JsonObject = {};
      for (const c of plan.changes) {
        proc.maybeDieInStep(ctx.stepId, "apply-before-effect");
        const found = (await redis.eval(
          CONVERGE,
          2,
          `${prefix}:world:${c.resource}`,
          `${prefix}:effects:${c.resource}`,
          typeof c.to === "string" ? c.to : "",
          c.to === null ? "1" : "0",
        )) as string | null;
        before[c.resource] = found;
        proc.maybeDieInStep(ctx.stepId, "apply-after-effect");
      }
      return before;
    },
    async verify(ctx, inp) {
      proc.maybeDieInStep(ctx.stepId, "verify");
      const now = await redis.get(`${prefix}:world:${inp.key}`);
      if (now !== inp.value) throw new Error(`${inp.key} is ${now}`);
    },
    revert({ input: inp, plan, before }) {
      const recorded =
        before !== null && typeof before === "object" && !Array.isArray(before) ? before[inp.key] : undefined;
      const from = recorded !== undefined ? recorded : (plan.changes[0]?.from ?? null);
      return {
        uses: "test.redisSet",
        with: { key: inp.key, value: typeof from === "string" ? from : null },
      };
    },
  });
}
