// Maps step kinds ("wait", "kafka.setTopicConfig", …) to their definitions. The composition root
// builds one registry with every kind; validation and the engine look kinds up here.
import type { AnyStep } from "../engine/step-contract.js";
import type { StepCatalog } from "../engine/step-catalog.js";
import { builtinSteps } from "./builtin/index.js";
import { kafkaSteps } from "./kafka/index.js";
import { mirrorSteps } from "./mirror/index.js";

export class StepRegistry implements StepCatalog {
  private readonly steps = new Map<string, AnyStep>();

  constructor(steps: readonly AnyStep[] = []) {
    for (const step of steps) this.register(step);
  }

  register(step: AnyStep): this {
    if (this.steps.has(step.kind)) throw new Error(`step kind ${step.kind} is registered twice`);
    this.steps.set(step.kind, step);
    return this;
  }

  get(kind: string): AnyStep | undefined {
    return this.steps.get(kind);
  }

  kinds(): string[] {
    return [...this.steps.keys()].sort();
  }

  list(): AnyStep[] {
    return this.kinds().map((k) => this.steps.get(k)!);
  }
}

/**
 * The generic steps every installation has, plus the Kafka DR and MirrorMaker steps (kafka.*,
 * mirror.*); DNS and consumer steps are added by the caller.
 */
export function createStepRegistry(extra: readonly AnyStep[] = []): StepRegistry {
  return new StepRegistry([...builtinSteps, ...kafkaSteps, ...mirrorSteps, ...extra]);
}
