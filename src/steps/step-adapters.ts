// The one list of adapters a step may ask for, by name, and the step-defining helpers that read it:
// a step kind names what it needs (`defineStep<Input, "kafka">`) and its context carries exactly those.
import type { ConsumerFleets } from "../adapters/consumers/consumer-fleets.js";
import type { GroupObserver } from "../adapters/consumers/group-observer.js";
import type { DnsZones } from "../adapters/dns/providers/dns-zones.js";
import type { KafkaAdapter } from "../adapters/kafka/kafka-adapter.js";
import { defineStep as defineEngineStep } from "../engine/step-contract.js";
import type {
  ActionStepDefinition as EngineActionStep,
  AnyActionStep,
  AnyCheckStep,
  AnyStep,
  CheckStepDefinition as EngineCheckStep,
  EvaluateContext as EngineEvaluateContext,
  StepContext as EngineStepContext,
} from "../engine/step-contract.js";
import type { HttpClient } from "./builtin/http-client.js";

export interface StepAdapters {
  kafka: KafkaAdapter;
  dns: DnsZones;
  consumers: ConsumerFleets;
  consumerGroups: GroupObserver;
  http: HttpClient;
}

export type AdapterName = keyof StepAdapters;

export type StepContext<A extends AdapterName = AdapterName> = EngineStepContext<Pick<StepAdapters, A>>;
export type EvaluateContext<A extends AdapterName = AdapterName> = EngineEvaluateContext<
  Pick<StepAdapters, A>
>;
export type ActionStepDefinition<I, A extends AdapterName = never> = EngineActionStep<
  I,
  Pick<StepAdapters, A>
>;
export type CheckStepDefinition<I, A extends AdapterName = never> = EngineCheckStep<I, Pick<StepAdapters, A>>;

/** A step kind using the adapters named `A`, erased for the registry. */
export function defineStep<I, A extends AdapterName = never>(step: ActionStepDefinition<I, A>): AnyActionStep;
export function defineStep<I, A extends AdapterName = never>(step: CheckStepDefinition<I, A>): AnyCheckStep;
export function defineStep<I, A extends AdapterName = never>(
  step: ActionStepDefinition<I, A> | CheckStepDefinition<I, A>,
): AnyStep {
  return defineEngineStep(step);
}
