// Request schemas (zod), each checked at compile time against the type generated from the OpenAPI
// document, so the validator and the contract cannot drift apart silently.
import { z } from "zod";
import type { components } from "../contract/openapi.js";

type S = components["schemas"];

export const runbookNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "runbook names are lowercase letters, digits and '-' (≤ 63)");
export const runIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/, "run ids are letters, digits and '-' (≤ 64)");
export const stepIdSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, "step ids are lowercase letters, digits and '-', starting with a letter");
export const scheduleIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "schedule ids are lowercase letters, digits and '-' (≤ 63)");
export const idempotencyKeySchema = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,128}$/, "1-128 characters: letters, digits, '.', '_', ':', '-'");

const paramValue = z.union(
  [z.string().max(10_000), z.number(), z.boolean(), z.array(z.string().max(10_000)).max(1_000)],
  {
    error: "expected string, number, boolean or list of strings",
  },
);
export const paramsSchema = z.record(z.string().max(64), paramValue) satisfies z.ZodType<S["Params"]>;

const reason = z.string().max(1_000);

export const startRunBody = z.strictObject({
  params: paramsSchema.optional(),
  dryRun: z.boolean().default(true),
  fromPlan: runIdSchema.optional(),
  reason: reason.optional(),
}) satisfies z.ZodType<S["StartRunRequest"]>;

export const approveBody = z
  .strictObject({
    comment: reason.optional(),
    planHash: z.string().min(1).max(200).optional(),
    breakGlass: z.boolean().optional(),
    reason: reason.optional(),
  })
  .check((ctx) => {
    // Break glass is only ever deliberate: the reason is what the audit and the notification carry.
    if (ctx.value.breakGlass === true && !ctx.value.reason?.trim()) {
      ctx.issues.push({
        code: "custom",
        input: ctx.value,
        path: ["reason"],
        message: "required with breakGlass: true",
      });
    }
  }) satisfies z.ZodType<S["ApproveRequest"]>;
export const rejectBody = z.strictObject({ comment: reason.optional() }) satisfies z.ZodType<
  S["RejectRequest"]
>;
export const cancelBody = z.strictObject({ reason: reason.optional() }) satisfies z.ZodType<
  S["CancelRequest"]
>;
export const reasonBody = z.strictObject({
  reason: reason.min(1, "a reason is required"),
}) satisfies z.ZodType<S["ReasonRequest"]>;
export const revertBody = z.strictObject({
  dryRun: z.boolean().default(true),
  reason: reason.optional(),
}) satisfies z.ZodType<S["RevertRequest"]>;

export const scheduleBody = z.strictObject({
  id: scheduleIdSchema,
  runbook: runbookNameSchema,
  cron: z.string().min(1).max(120),
  tz: z.string().min(1).max(64).default("UTC"),
  params: paramsSchema.default({}),
  dryRun: z.boolean().default(true),
  reason: reason.optional(),
  webhook: z.string().url().max(2000).optional(),
}) satisfies z.ZodType<S["ScheduleRequest"]>;

const boolString = z.enum(["true", "false"]).transform((v) => v === "true");
const intString = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,7}$/, "expected a whole number")
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

export const listRunsQuery = z.strictObject({
  runbook: runbookNameSchema.optional(),
  state: z.enum(["queued", "running", "waiting_approval", "succeeded", "failed", "cancelled"]).optional(),
  dryRun: boolString.optional(),
  trigger: z.enum(["api", "schedule", "revert"]).optional(),
  requestedBy: z.string().max(64).optional(),
  limit: intString(1, 1_000).optional(),
});

const timeString = z
  .string()
  .max(40)
  .transform((v, ctx) => {
    const ms = /^\d{1,15}$/.test(v) ? Number(v) : Date.parse(v);
    if (!Number.isFinite(ms)) {
      ctx.issues.push({
        code: "custom",
        input: v,
        message: "expected epoch milliseconds or an ISO-8601 time",
      });
      return z.NEVER;
    }
    return ms;
  });

export const auditQuery = z.strictObject({
  runId: runIdSchema.optional(),
  actor: z.string().max(64).optional(),
  action: z.string().max(64).optional(),
  since: timeString.optional(),
  until: timeString.optional(),
  afterSeq: intString(0, 9_999_999).optional(),
  limit: intString(1, 1_000).optional(),
});

export const noQuery = z.strictObject({});
export const lastEventIdSchema = z
  .string()
  .regex(/^\d{1,20}-\d{1,20}$/, "expected an event id such as 1700000000000-0");
