// The structural shape of a runbook document. Cross-references (step kinds, expressions, ids) are
// checked afterwards by validate-runbook.ts, which reads the raw document so one bad step does not
// hide the problems of the others.
import { z } from "zod";
import { isDuration } from "../duration.js";
import { PARAM_TYPES } from "./model.js";

export const MAX_STEPS = 500;
export const MAX_PARAMS = 100;

const duration = z.string().refine(isDuration, 'expected a duration such as "500ms", "30s", "5m" or "1h30m"');
export const stepIdSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, "step ids are lowercase letters, digits and '-', starting with a letter");
export const paramNameSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, "param names are letters, digits and '_', starting with a letter");

export const paramSpecSchema = z.strictObject({
  type: z.enum(PARAM_TYPES),
  description: z.string().max(2_000).optional(),
  /** Checked against `type` by validate-runbook.ts, which can say precisely what is wrong. */
  default: z.custom<string | number | boolean | string[]>(() => true).optional(),
  enum: z
    .array(z.union([z.string(), z.number()]))
    .min(1)
    .max(256)
    .optional(),
  required: z.boolean().default(false),
});

const backoffSchema = z.union(
  [
    z.enum(["fixed", "exponential"]).transform((type) => ({ type, delay: "1s", maxDelay: "30s" })),
    z.strictObject({
      type: z.enum(["fixed", "exponential"]),
      delay: duration.default("1s"),
      maxDelay: duration.default("30s"),
    }),
  ],
  { error: 'expected "fixed", "exponential" or {type, delay, maxDelay}' },
);

export const stepSpecSchema = z.strictObject({
  id: stepIdSchema,
  uses: z
    .string()
    .regex(
      /^[a-z][A-Za-z0-9]*(?:\.[a-z][A-Za-z0-9]*)*$/,
      "expected a step kind such as kafka.setTopicConfig",
    ),
  name: z.string().max(200).optional(),
  with: z.record(z.string(), z.unknown()).default({}),
  when: z
    .union([z.string().min(1), z.boolean()], { error: "expected an expression or a boolean" })
    .optional(),
  timeout: duration.optional(),
  retry: z
    .strictObject({
      attempts: z.number().int().min(1).max(20),
      backoff: backoffSchema.default({ type: "exponential", delay: "1s", maxDelay: "30s" }),
    })
    .optional(),
  approval: z
    .union([z.boolean(), z.strictObject({ message: z.string().max(2_000).optional() })], {
      error: "expected true, false or {message}",
    })
    .optional(),
  onFailure: z.enum(["abort", "continue"]).default("abort"),
});

export const runbookDocumentSchema = z.strictObject({
  apiVersion: z.literal("switchover/v1"),
  kind: z.literal("Runbook"),
  metadata: z.strictObject({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "lowercase letters, digits and '-', at most 63 characters"),
    description: z.string().max(4_000).optional(),
    labels: z.record(z.string(), z.string()).default({}),
  }),
  params: z.record(paramNameSchema, paramSpecSchema).default({}),
  steps: z.array(stepSpecSchema).min(1, "a runbook needs at least one step").max(MAX_STEPS),
});

export type RunbookDocument = z.infer<typeof runbookDocumentSchema>;
