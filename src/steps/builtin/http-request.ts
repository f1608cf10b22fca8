// `http.request`: a generic call to a URL the environment allows. GET/HEAD are reads and run at
// plan time (so a dry-run has their outputs); other methods are side effects and run at apply.
import { z } from "zod";
import { defineStep } from "../step-adapters.js";
import type { StepPlan } from "../../engine/step-contract.js";
import type { JsonValue } from "../../engine/json.js";
import { allowedUrl, isAllowedUrl } from "../../engine/target-ref.js";
import type { TargetCatalog } from "../../engine/target-catalog.js";
import { ErrorCode, SwitchoverError } from "../../engine/errors.js";
import { unexpectedStatus } from "./http-client.js";
import type { HttpClient } from "./http-client.js";
import { evaluateUrl } from "./evaluate-builtin.js";

const jsonValue: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([
    z.string(),
    z.number(),
    z.boolean(),
    z.null(),
    z.array(jsonValue),
    z.record(z.string(), jsonValue),
  ]),
);

const inputSchema = (t: TargetCatalog) =>
  z.strictObject({
    method: z.enum(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]).default("GET"),
    url: allowedUrl(t),
    headers: z.record(z.string(), z.string()).default({}),
    body: jsonValue.optional(),
    expectStatus: z
      .union([z.number().int().min(100).max(599), z.array(z.number().int().min(100).max(599)).min(1)], {
        error: "expected an HTTP status or a list of them",
      })
      .default([200, 201, 202, 204])
      .transform((s) => (Array.isArray(s) ? s : [s])),
  });
type Input = z.infer<ReturnType<typeof inputSchema>>;

const isRead = (method: string): boolean => method === "GET" || method === "HEAD";

async function call(
  http: HttpClient,
  input: Input,
  signal: AbortSignal,
): Promise<{ status: number; body: JsonValue }> {
  const res = await http.request({
    method: input.method,
    url: input.url,
    headers: input.headers,
    ...(input.body !== undefined ? { body: input.body } : {}),
    signal,
  });
  if (!input.expectStatus.includes(res.status))
    throw unexpectedStatus(input.method, input.url, res.status, input.expectStatus);
  return res;
}

export const httpRequestStep = defineStep<Input, "http">({
  kind: "http.request",
  description: "Call an allowed URL and check the status",
  adapters: ["http"],
  input: inputSchema,
  evaluate: evaluateUrl,
  async plan(ctx, input): Promise<StepPlan> {
    // Inputs resolved from expressions are checked again: the allow-list holds at run time too.
    if (!isAllowedUrl(ctx.targets, input.url)) {
      throw new SwitchoverError(ErrorCode.Forbidden, `URL ${input.url} is not under any http.allow prefix`);
    }
    if (isRead(input.method)) {
      const res = await call(ctx.adapters.http, input, ctx.signal);
      return { changes: [], outputs: { status: res.status, body: res.body } };
    }
    // A side effect, not a desired state: shown in the plan without its body so a pinned run's
    // hash does not depend on run-specific values such as run.id.
    return {
      changes: [{ resource: input.url, field: input.method, from: null, to: "request" }],
      outputs: {},
    };
  },
  async apply(ctx, _plan, input) {
    if (isRead(input.method)) return null;
    const res = await call(ctx.adapters.http, input, ctx.signal);
    return { status: res.status };
  },
  async verify() {},
  // A generic call cannot be undone generically; a revert skips it rather than refusing the run.
  revert: () => undefined,
});
