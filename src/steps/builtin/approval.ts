// `approval`: a step that is only a human gate. The engine parks the run in waiting_approval before
// its (empty) apply; approve continues, reject fails the run.
import { z } from "zod";
import { defineStep } from "../step-adapters.js";
import type { StepPlan } from "../../engine/step-contract.js";
import { evaluateApproval } from "./evaluate-builtin.js";

const inputSchema = () => z.strictObject({ message: z.string().max(2_000).optional() });

export const approvalStep = defineStep<z.infer<ReturnType<typeof inputSchema>>>({
  kind: "approval",
  description: "Human gate: the run waits until someone approves or rejects",
  adapters: [],
  requiresApproval: true,
  input: inputSchema,
  evaluate: evaluateApproval,
  async plan(_ctx, input): Promise<StepPlan> {
    return { changes: [], outputs: input.message ? { message: input.message } : {} };
  },
  async apply() {
    return null;
  },
  async verify() {},
  revert: () => undefined,
});
