// `kafka.waitForHealthy`: wait until no partition of the selection is offline or under min-ISR.
// Changes nothing: a dry-run reports the current health, a real run waits (bounded by `within`).
import { z } from "zod";
import { topicSelectionSchema } from "../../kafka/topic-selection.js";
import { isDuration, parseDurationMs } from "../../engine/duration.js";
import { ErrorCode, SwitchoverError } from "../../engine/errors.js";
import type { JsonObject } from "../../engine/json.js";
import { defineStep } from "../step-adapters.js";
import { clusterRef } from "../../engine/target-ref.js";
import type { TargetCatalog } from "../../engine/target-catalog.js";
import { assessHealth, healthy } from "./partition-health.js";
import type { Health } from "./partition-health.js";
import { evaluateClusterTopics } from "./evaluate-kafka-steps.js";

const duration = z.string().refine(isDuration, "a duration such as 30s or 5m");
const inputSchema = (t: TargetCatalog) =>
  z.strictObject({
    cluster: clusterRef(t),
    topics: topicSelectionSchema.default({ pattern: ".*", includeInternal: false }),
    within: duration.default("5m"),
    interval: duration.default("2s"),
  });
type Input = z.infer<ReturnType<typeof inputSchema>>;

const outputsOf = (h: Health): JsonObject => ({
  topics: h.topics,
  partitions: h.partitions,
  offline: h.offline.length,
  underMinIsr: h.underMinIsr.length,
  unhealthy: [...h.offline, ...h.underMinIsr].slice(0, 50),
});

export const waitForHealthyStep = defineStep<Input, "kafka">({
  kind: "kafka.waitForHealthy",
  description: "Wait until no partition of the selection is offline or under min-ISR",
  adapters: ["kafka"],
  targets: { cluster: "cluster" },
  input: inputSchema,
  evaluate: evaluateClusterTopics,
  check: {
    async inspect(ctx, input) {
      const h = await assessHealth(ctx.adapters.kafka.cluster(input.cluster), input.topics, ctx.signal);
      return outputsOf(h);
    },
    async waitUntil(ctx, input) {
      const client = ctx.adapters.kafka.cluster(input.cluster);
      const deadline = ctx.clock.now() + parseDurationMs(input.within);
      for (;;) {
        const h = await assessHealth(client, input.topics, ctx.signal);
        if (healthy(h)) return;
        if (ctx.clock.now() >= deadline) {
          throw new SwitchoverError(
            ErrorCode.Timeout,
            `cluster ${input.cluster} not healthy within ${input.within}: ${h.offline.length} offline, ${h.underMinIsr.length} under min-ISR (${[...h.offline, ...h.underMinIsr].slice(0, 5).join("; ")})`,
            { details: outputsOf(h) },
          );
        }
        ctx.logger.info(outputsOf(h), "waiting for healthy partitions");
        await ctx.clock.sleep(parseDurationMs(input.interval), ctx.signal);
      }
    },
    async confirm(ctx, input) {
      const h = await assessHealth(ctx.adapters.kafka.cluster(input.cluster), input.topics, ctx.signal);
      if (!healthy(h))
        throw new SwitchoverError(ErrorCode.VerifyFailed, `cluster ${input.cluster} unhealthy again`, {
          details: outputsOf(h),
        });
      return outputsOf(h);
    },
  },
});
