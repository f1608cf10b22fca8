// The consumer-fleet steps, for the composition root to register.
import type { AnyStep } from "../../engine/step-contract.js";
import { consumersPauseStep } from "./pause.js";
import { consumersResumeStep } from "./resume.js";

export const consumerSteps: readonly AnyStep[] = [consumersPauseStep, consumersResumeStep];
