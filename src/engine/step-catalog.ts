// What the engine needs from the step registry: look a kind up, list the kinds. The registry itself
// lives in src/steps so the engine never imports a concrete step.
import type { AnyStep } from "./step-contract.js";

export interface StepCatalog {
  get(kind: string): AnyStep | undefined;
  kinds(): string[];
}
