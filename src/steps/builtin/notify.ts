// `notify`: POST a JSON notification to an allowed webhook. Not sent in dry-runs; never undone.
import { z } from "zod";
import { defineStep } from "../step-adapters.js";
import type { StepPlan } from "../../engine/step-contract.js";
import { allowedUrl } from "../../engine/target-ref.js";
import type { TargetCatalog } from "../../engine/target-catalog.js";
import { unexpectedStatus } from "./http-client.js";
import { evaluateUrl } from "./evaluate-builtin.js";

const inputSchema = (t: TargetCatalog) =>
  z.strictObject({
    url: allowedUrl(t),
    message: z.string().min(1).max(4_000),
    severity: z.enum(["info", "warning", "critical"]).default("info"),
    fields: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).default({}),
  });
type Input = z.infer<ReturnType<typeof inputSchema>>;

export const notifyStep = defineStep<Input, "http">({
  kind: "notify",
  description: "Send a webhook notification",
  adapters: ["http"],
  input: inputSchema,
  evaluate: evaluateUrl,
  async plan(): Promise<StepPlan> {
    return { changes: [], outputs: {} };
  },
  async apply(ctx, _plan, input) {
    const body = {
      runId: ctx.runId,
      stepId: ctx.stepId,
      runbook: ctx.scope.run.runbook,
      severity: input.severity,
      message: input.message,
      fields: input.fields,
    };
    const res = await ctx.adapters.http.request({ method: "POST", url: input.url, body, signal: ctx.signal });
    if (res.status < 200 || res.status > 299)
      throw unexpectedStatus("POST", input.url, res.status, [200, 202, 204]);
    return null;
  },
  async verify() {},
  revert: () => undefined,
});
