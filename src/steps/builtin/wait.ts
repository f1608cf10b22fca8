// `wait`: pause for a duration, or poll until an expression holds (optionally over an HTTP read,
// exposed as `read.status` / `read.body`). Changes nothing, so it does nothing in a dry-run.
import { z } from "zod";
import { isDuration, parseDurationMs } from "../../engine/duration.js";
import { ErrorCode, SwitchoverError } from "../../engine/errors.js";
import { evaluateExpression, truthy } from "../../engine/expression/evaluate-expression.js";
import { ExpressionError, parseExpression } from "../../engine/expression/parse-expression.js";
import { defineStep } from "../step-adapters.js";
import { allowedUrl } from "../../engine/target-ref.js";
import type { TargetCatalog } from "../../engine/target-catalog.js";
import { evaluateWait } from "./evaluate-builtin.js";

const duration = z.string().refine(isDuration, 'expected a duration such as "30s" or "5m"');
const expression = z.string().check((ctx) => {
  try {
    parseExpression(ctx.value);
  } catch (err) {
    if (!(err instanceof ExpressionError)) throw err;
    ctx.issues.push({ code: "custom", input: ctx.value, message: `invalid expression: ${err.message}` });
  }
});

const inputSchema = (t: TargetCatalog) =>
  z
    .strictObject({
      duration: duration.optional(),
      /** Bare expression (no `${{ }}`): it is evaluated on every poll, not once. */
      until: expression.optional(),
      poll: z
        .strictObject({ url: allowedUrl(t), expectStatus: z.array(z.number().int()).default([200]) })
        .optional(),
      interval: duration.default("5s"),
      within: duration.default("10m"),
    })
    .check((ctx) => {
      const v = ctx.value;
      if ((v.duration === undefined) === (v.until === undefined)) {
        ctx.issues.push({
          code: "custom",
          input: v,
          message: "set exactly one of duration or until",
          path: [],
        });
      }
      if (v.poll && v.until === undefined) {
        ctx.issues.push({
          code: "custom",
          input: v,
          message: "poll needs an until condition",
          path: ["poll"],
        });
      }
    });

export const waitStep = defineStep<z.infer<ReturnType<typeof inputSchema>>, "http">({
  kind: "wait",
  description: "Wait for a duration, or until a condition holds (polling)",
  adapters: ["http"],
  input: inputSchema,
  evaluate: evaluateWait,
  check: {
    async waitUntil(ctx, input) {
      const started = ctx.clock.now();
      if (input.duration !== undefined) {
        await ctx.clock.sleep(parseDurationMs(input.duration), ctx.signal);
        return;
      }
      const condition = parseExpression(input.until!);
      const deadline = started + parseDurationMs(input.within);
      for (let polls = 1; ; polls++) {
        const scope = { ...ctx.scope };
        if (input.poll) {
          const res = await ctx.adapters.http.request({
            method: "GET",
            url: input.poll.url,
            signal: ctx.signal,
          });
          scope.read = { status: res.status, body: res.body };
          if (!input.poll.expectStatus.includes(res.status)) {
            ctx.logger.debug({ status: res.status, polls }, "poll answered an unexpected status; polling on");
          }
        }
        if (truthy(evaluateExpression(condition, scope, input.until))) {
          ctx.logger.info({ polls, waitedMs: ctx.clock.now() - started }, "condition holds");
          return;
        }
        if (ctx.clock.now() >= deadline) {
          throw new SwitchoverError(
            ErrorCode.Timeout,
            `condition "${input.until}" did not hold within ${input.within}`,
            {
              retryable: false,
              details: { polls },
            },
          );
        }
        await ctx.clock.sleep(
          Math.min(parseDurationMs(input.interval), Math.max(0, deadline - ctx.clock.now())),
          ctx.signal,
        );
      }
    },
  },
});
