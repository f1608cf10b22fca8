// The built-in generic steps, in the order the registry lists them.
import type { AnyStep } from "../../engine/step-contract.js";
import { approvalStep } from "./approval.js";
import { assertStep } from "./assert.js";
import { httpRequestStep } from "./http-request.js";
import { notifyStep } from "./notify.js";
import { waitStep } from "./wait.js";

export const builtinSteps: readonly AnyStep[] = [
  approvalStep,
  assertStep,
  httpRequestStep,
  notifyStep,
  waitStep,
];
