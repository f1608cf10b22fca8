// Test steps and an engine factory for engine tests. `test.set` converges a key of an in-memory
// world to a value and counts the writes it really made; its revert restores the recorded value.
import { z } from "zod";
import { RunEngine } from "../../../src/engine/engine.js";
import { ErrorCode, SwitchoverError } from "../../../src/engine/errors.js";
import type { JsonObject, JsonValue } from "../../../src/engine/json.js";
import { MemoryAuditSink } from "../../../src/engine/ports/audit-sink.js";
import type { Clock } from "../../../src/engine/ports/clock.js";
import { systemClock } from "../../../src/engine/ports/clock.js";
import { MemoryLogger } from "../../../src/engine/ports/logger.js";
import { MemoryRunStore } from "../../../src/engine/ports/memory-run-store.js";
import type { RunStore } from "../../../src/engine/ports/run-store.js";
import type { EngineResources } from "../../../src/engine/resources.js";
import { parseRunbookOrThrow } from "../../../src/engine/runbook/parse-runbook.js";
import type { Runbook } from "../../../src/engine/runbook/model.js";
import { defineStep } from "../../../src/engine/step-contract.js";
import type { AnyStep, StepPlan } from "../../../src/engine/step-contract.js";
import type { TargetCatalog } from "../../../src/engine/target-catalog.js";
import { createStepRegistry } from "../../../src/steps/registry.js";
import type { HttpClient, HttpRequest, HttpResponse } from "../../../src/steps/builtin/http-client.js";
import type { StepRegistry } from "../../../src/steps/registry.js";

export const targets: TargetCatalog = {
  clusters: ["dc1", "dc2"],
  dnsZones: ["primary"],
  consumerFleets: ["orders-consumers"],
  replicationFlows: ["dc1-to-dc2"],
  connectWorkers: [],
  httpAllow: ["http://127.0.0.1/hooks/"],
  secrets: [],
};

export class World {
  readonly values = new Map<string, JsonValue>();
  readonly writes: { key: string; value: JsonValue }[] = [];
  /** Fail the next n plan/apply/verify calls with this error (per phase). */
  failures: Partial<Record<"plan" | "apply" | "verify", { times: number; error: () => Error }>> = {};
  /** A verify that lies once: the write did not stick. */
  hangApply = false;

  fail(phase: "plan" | "apply" | "verify"): void {
    const f = this.failures[phase];
    if (f && f.times > 0) {
      f.times--;
      throw f.error();
    }
  }
}

const setInput = () =>
  z.strictObject({
    key: z.string(),
    value: z.union([z.string(), z.number(), z.boolean()], { error: "expected string, number or boolean" }),
  });
type SetInput = z.infer<ReturnType<typeof setInput>>;

export function setStep(world: World): AnyStep {
  return defineStep<SetInput>({
    kind: "test.set",
    description: "converge a key of the test world",
    adapters: [],
    input: setInput,
    async plan(_ctx, input): Promise<StepPlan> {
      world.fail("plan");
      const current = world.values.get(input.key) ?? null;
      const changes =
        current === input.value
          ? []
          : [{ resource: input.key, field: "value", from: current, to: input.value }];
      return { changes, outputs: { previous: current, key: input.key } };
    },
    async apply(ctx, plan) {
      ctx.logger.info({ changes: plan.changes.length }, "applying");
      world.fail("apply");
      if (world.hangApply) await ctx.clock.sleep(3_600_000, ctx.signal);
      const before: Record<string, JsonValue> = {};
      for (const c of plan.changes) {
        const current = world.values.get(c.resource) ?? null;
        before[c.resource] = current;
        if (current !== c.to) {
          world.values.set(c.resource, c.to);
          world.writes.push({ key: c.resource, value: c.to });
        }
      }
      return before;
    },
    async verify(_ctx, input) {
      world.fail("verify");
      if (world.values.get(input.key) !== input.value) {
        throw new SwitchoverError(ErrorCode.VerifyFailed, `${input.key} is not ${String(input.value)}`);
      }
      return { verified: true };
    },
    revert({ input, plan, before }): { uses?: string; with: JsonObject } {
      const recorded = (before as Record<string, JsonValue> | null)?.[input.key];
      const from = recorded !== undefined ? recorded : plan.changes[0]?.from;
      if (from === undefined || from === null) return { uses: "test.delete", with: { key: input.key } };
      return { with: { key: input.key, value: from } };
    },
  });
}

export function deleteStep(world: World): AnyStep {
  return defineStep<{ key: string }>({
    kind: "test.delete",
    description: "remove a key from the test world",
    adapters: [],
    input: () => z.strictObject({ key: z.string() }),
    async plan(_ctx, input): Promise<StepPlan> {
      const current = world.values.get(input.key);
      return {
        changes:
          current === undefined ? [] : [{ resource: input.key, field: "value", from: current, to: null }],
        outputs: {},
      };
    },
    async apply(_ctx, plan) {
      for (const c of plan.changes) {
        if (world.values.delete(c.resource)) world.writes.push({ key: c.resource, value: null });
      }
      return null;
    },
    async verify() {},
  });
}

export interface Harness {
  engine: RunEngine;
  store: RunStore;
  audit: MemoryAuditSink;
  logger: MemoryLogger;
  registry: StepRegistry;
  world: World;
  runbook(yaml: string): Runbook;
}

/** Records requests and answers from a script; the real client is tested against a real server. */
export class FakeHttp implements HttpClient {
  readonly requests: HttpRequest[] = [];
  constructor(
    private readonly answer: (req: HttpRequest) => HttpResponse = () => ({ status: 200, body: {} }),
  ) {}
  async request(req: HttpRequest): Promise<HttpResponse> {
    this.requests.push(req);
    return this.answer(req);
  }
}

export function harness(
  opts: {
    clock?: Clock;
    store?: RunStore;
    steps?: AnyStep[];
    world?: World;
    http?: HttpClient;
    targets?: TargetCatalog;
    cancelPollMs?: number;
  } = {},
): Harness {
  const world = opts.world ?? new World();
  const registry = createStepRegistry([setStep(world), deleteStep(world), ...(opts.steps ?? [])]);
  const store = opts.store ?? new MemoryRunStore();
  const audit = new MemoryAuditSink();
  const logger = new MemoryLogger();
  let n = 0;
  const res: EngineResources = {
    store,
    clock: opts.clock ?? systemClock,
    audit,
    logger,
    catalog: registry,
    targets: opts.targets ?? targets,
    adapters: { http: opts.http ?? new FakeHttp() },
    newId: () => `run-${++n}-${Math.random().toString(36).slice(2, 8)}`,
    ...(opts.cancelPollMs !== undefined ? { cancelPollMs: opts.cancelPollMs } : {}),
  };
  return {
    engine: new RunEngine(res),
    store,
    audit,
    logger,
    registry,
    world,
    runbook: (yaml) => parseRunbookOrThrow(yaml, { catalog: registry, targets: opts.targets ?? targets }),
  };
}
