// `kafka.verifyTranslatedOffsets`: are MM2's translated offsets for these groups complete, fresh and
// within the target log, and is nobody consuming them on the target yet? Outputs the translated map,
// reprocess window and RPO estimate. Read-only.
import { z } from "zod";
import { isDuration, parseDurationMs } from "../../engine/duration.js";
import { defineStep } from "../step-adapters.js";
import { replicationFlowRef } from "../../engine/target-ref.js";
import type { TargetCatalog } from "../../engine/target-catalog.js";
import { failOnProblems, refuseLiveGroups, translate, translationOutputs } from "./translated-offsets.js";
import { evaluateTranslatedOffsets } from "./evaluate-kafka-steps.js";

const inputSchema = (t: TargetCatalog) =>
  z.strictObject({
    flow: replicationFlowRef(t),
    /** Groups to check; default: every group with checkpoints for the flow. */
    groups: z.array(z.string().min(1)).min(1).optional(),
    maxCheckpointAge: z.string().refine(isDuration, "a duration such as 30s").default("5m"),
    /**
     * Refuse groups with live members on the flow's target (committing there would be overwritten):
     * on by default so a failover fails at this read-only step, before anything changed.
     */
    targetIdle: z.boolean().default(true),
  });
type Input = z.infer<ReturnType<typeof inputSchema>>;

export const verifyTranslatedOffsetsStep = defineStep<Input, "kafka">({
  kind: "kafka.verifyTranslatedOffsets",
  description: "Check MM2 translated offsets per group; report reprocess window and RPO",
  adapters: ["kafka"],
  targets: { flow: "replication flow" },
  input: inputSchema,
  evaluate: evaluateTranslatedOffsets,
  check: {
    async inspect(ctx, input) {
      const t = await translate(
        ctx.adapters.kafka,
        input.flow,
        input.groups,
        parseDurationMs(input.maxCheckpointAge),
        ctx.signal,
        ctx.logger,
        ctx.clock.now(),
      );
      failOnProblems(t);
      if (input.targetIdle) {
        const target = ctx.adapters.kafka.cluster(ctx.adapters.kafka.flow(input.flow).target);
        await refuseLiveGroups(
          target,
          t.groups.map((g) => g.group),
          ctx.signal,
        );
      }
      return translationOutputs(t);
    },
  },
});
