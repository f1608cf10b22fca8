// Drives Kafka/mirror steps through the step contract against the sandbox: parse input with the
// step's schema, plan, apply, verify — and build the revert step from the record, as the engine does.
import { createKafkaAdapter } from "../../src/adapters/kafka/kafka-adapter.js";
import type { KafkaAdapter } from "../../src/adapters/kafka/kafka-adapter.js";
import type { Config } from "../../src/config/schema.js";
import { ErrorCode, SwitchoverError } from "../../src/engine/errors.js";
import type { JsonObject, JsonValue } from "../../src/engine/json.js";
import { systemClock } from "../../src/engine/ports/clock.js";
import { MemoryLogger } from "../../src/engine/ports/logger.js";
import type { StepContext } from "../../src/steps/step-adapters.js";
import type { AnyStep, StepPlan } from "../../src/engine/step-contract.js";
import { applyPhase, planPhase, verifyPhase } from "../../src/engine/step-phases.js";
import { targetsFromConfig } from "../../src/engine/target-catalog.js";
import { createStepRegistry } from "../../src/steps/registry.js";
import { sandboxConfig } from "./sandbox.js";

export interface StepRun {
  input: unknown;
  plan: StepPlan;
  before: JsonValue;
  outputs: JsonObject;
}

export class StepHarness {
  readonly registry = createStepRegistry();
  readonly kafka: KafkaAdapter;
  readonly logger = new MemoryLogger();

  constructor(readonly config: Config = sandboxConfig()) {
    this.kafka = createKafkaAdapter(config);
  }

  step(kind: string): AnyStep {
    const def = this.registry.get(kind);
    if (!def) throw new Error(`no step ${kind}`);
    return def;
  }

  context(def: AnyStep, opts: { dryRun?: boolean; timeoutMs?: number } = {}): StepContext {
    const signal = AbortSignal.timeout(opts.timeoutMs ?? 120_000);
    return {
      runId: "test-run",
      stepId: def.kind,
      attempt: 1,
      dryRun: opts.dryRun ?? false,
      logger: this.logger.child({ step: def.kind }),
      signal,
      clock: systemClock,
      targets: targetsFromConfig(this.config),
      scope: { params: {}, steps: {}, run: { id: "test-run", dryRun: false, runbook: "test" } },
      adapters: { kafka: this.kafka } as StepContext["adapters"],
    };
  }

  parse(kind: string, raw: unknown): unknown {
    const def = this.step(kind);
    const parsed = def.input(targetsFromConfig(this.config)).safeParse(raw);
    if (!parsed.success) {
      throw new SwitchoverError(
        ErrorCode.StepInputInvalid,
        parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "),
      );
    }
    return parsed.data;
  }

  async plan(kind: string, raw: unknown, opts: { timeoutMs?: number } = {}): Promise<StepPlan> {
    const def = this.step(kind);
    return planPhase(def, this.context(def, { dryRun: true, ...opts }), this.parse(kind, raw));
  }

  /** plan → apply → verify, as a real run does. */
  async run(kind: string, raw: unknown, opts: { timeoutMs?: number } = {}): Promise<StepRun> {
    const def = this.step(kind);
    const input = this.parse(kind, raw);
    const ctx = this.context(def, opts);
    const plan = await planPhase(def, ctx, input);
    const before = await applyPhase(def, ctx, plan, input);
    const extra = await verifyPhase(def, ctx, input, plan);
    return { input, plan, before, outputs: { ...plan.outputs, ...(extra ?? {}) } };
  }

  /** The revert step the engine would build from this record, run for real. */
  async revert(
    kind: string,
    record: StepRun,
    opts: { timeoutMs?: number } = {},
  ): Promise<StepRun | undefined> {
    const def = this.step(kind);
    const reverse = def.revert?.({ input: record.input, plan: record.plan, before: record.before });
    if (!reverse) return undefined;
    return this.run(reverse.uses ?? kind, reverse.with, opts);
  }

  async close(): Promise<void> {
    await this.kafka.close();
  }
}

/** The error a promise rejects with (fails the test if it resolves). */
export async function failure(p: Promise<unknown>): Promise<SwitchoverError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof SwitchoverError) return err;
    throw err;
  }
  throw new Error("expected a failure, got success");
}
