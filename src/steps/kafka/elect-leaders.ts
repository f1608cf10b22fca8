// `kafka.electLeaders`: preferred-leader election (after failback restores placement), or — only
// with the explicit `acceptDataLoss: true` guard — unclean election for leaderless partitions,
// reporting the log-end offsets the new leaders start from (anything the old leader had past them is lost).
import { z } from "zod";
import type { TopicState } from "../../adapters/kafka/cluster-client.js";
import { selectTopics } from "../../adapters/kafka/select-topics.js";
import { topicSelectionSchema } from "../../kafka/topic-selection.js";
import { ErrorCode, SwitchoverError } from "../../engine/errors.js";
import type { JsonObject } from "../../engine/json.js";
import { defineStep } from "../step-adapters.js";
import type { StepPlan } from "../../engine/step-contract.js";
import { clusterRef } from "../../engine/target-ref.js";
import type { TargetCatalog } from "../../engine/target-catalog.js";
import { parseResource, partitionResource } from "./resource-names.js";
import { evaluateClusterTopics } from "./evaluate-kafka-steps.js";

const inputSchema = (t: TargetCatalog) =>
  z
    .strictObject({
      cluster: clusterRef(t),
      topics: topicSelectionSchema,
      type: z.enum(["preferred", "unclean"]).default("preferred"),
      /** Required for unclean election: availability over consistency, records may be lost. */
      acceptDataLoss: z.literal(true).optional(),
      /**
       * Preferred election: a partition whose preferred leader is not in its ISR yet fails the plan
       * (retryable) instead of being skipped, for failbacks that must put every leader back.
       */
      requireAll: z.boolean().default(false),
    })
    .check((ctx) => {
      if (ctx.value.type === "unclean" && ctx.value.acceptDataLoss !== true) {
        ctx.issues.push({
          code: "custom",
          input: ctx.value,
          path: ["acceptDataLoss"],
          message: "unclean leader election can lose committed records; set acceptDataLoss: true to allow it",
        });
      }
    });
type Input = z.infer<ReturnType<typeof inputSchema>>;

function wantedLeaders(states: Iterable<TopicState>, type: Input["type"]) {
  const elect: { topic: string; partition: number; from: number; to: number | null }[] = [];
  const notEligible: string[] = [];
  for (const s of states) {
    for (const p of s.partitions) {
      if (type === "preferred") {
        const preferred = p.replicas[0]!;
        if (p.leader === preferred) continue;
        if (p.isr.includes(preferred))
          elect.push({ topic: s.topic, partition: p.partition, from: p.leader, to: preferred });
        else
          notEligible.push(
            `${s.topic}-${p.partition} (preferred ${preferred} not in ISR ${JSON.stringify(p.isr)})`,
          );
      } else if (p.leader < 0) {
        elect.push({ topic: s.topic, partition: p.partition, from: p.leader, to: null });
      }
    }
  }
  return { elect, notEligible };
}

export const electLeadersStep = defineStep<Input, "kafka">({
  kind: "kafka.electLeaders",
  description: "Elect preferred leaders (or, explicitly guarded, unclean leaders) on a selection",
  adapters: ["kafka"],
  targets: { cluster: "cluster" },
  input: inputSchema,
  evaluate: evaluateClusterTopics,
  async plan(ctx, input): Promise<StepPlan> {
    const client = ctx.adapters.kafka.cluster(input.cluster);
    const { topics, facts } = await selectTopics(client, input.topics, ctx.signal);
    const { elect, notEligible } = wantedLeaders(
      topics.map((t) => facts.states.get(t)!),
      input.type,
    );
    if (input.requireAll && notEligible.length > 0) {
      throw new SwitchoverError(
        ErrorCode.UpstreamUnavailable,
        `cluster ${input.cluster}: preferred leader not in the ISR yet for ${notEligible.length} partition(s): ${notEligible.slice(0, 10).join(", ")}`,
        { details: { notEligible } },
      );
    }
    return {
      changes: elect.map((e) => ({
        resource: partitionResource(input.cluster, e.topic, e.partition),
        field: "leader",
        from: e.from,
        // Unclean: the controller picks any live replica; the plan cannot know which.
        to: e.to ?? "any live replica",
      })),
      outputs: { partitions: elect.length, notEligible },
    };
  },
  async apply(ctx, plan, input) {
    const client = ctx.adapters.kafka.cluster(input.cluster);
    const parts = plan.changes.map((c) => parseResource(c.resource) as { topic: string; partition: number });
    if (parts.length === 0) return {};
    const states = new Map(
      (await client.topicStates([...new Set(parts.map((p) => p.topic))], ctx.signal)).map((s) => [
        s.topic,
        s,
      ]),
    );
    const before: JsonObject = {};
    for (const p of parts) {
      before[`${p.topic}-${p.partition}`] =
        states.get(p.topic)?.partitions.find((x) => x.partition === p.partition)?.leader ?? null;
    }
    const results = await client.electLeaders(input.type, parts, ctx.signal);
    const failed = results.filter((r) => r.errorCode !== 0 && r.error !== "ELECTION_NOT_NEEDED");
    if (failed.length > 0) {
      throw new SwitchoverError(
        ErrorCode.Upstream,
        `cluster ${input.cluster}: ${input.type} election failed for ${failed
          .slice(0, 10)
          .map((f) => `${f.topic}-${f.partition}: ${f.error}${f.errorMessage ? ` (${f.errorMessage})` : ""}`)
          .join("; ")}`,
        {
          details: {
            failed: failed.map((f) => ({ topic: f.topic, partition: f.partition, error: f.error })),
          },
        },
      );
    }
    return before;
  },
  async verify(ctx, input, plan) {
    const client = ctx.adapters.kafka.cluster(input.cluster);
    const parts = plan.changes.map((c) => ({
      ...(parseResource(c.resource) as { topic: string; partition: number }),
      to: c.to,
    }));
    if (parts.length === 0) return { elected: 0 };
    const topics = [...new Set(parts.map((p) => p.topic))];
    // Metadata propagates to brokers asynchronously: give it a few seconds.
    let wrong: string[] = [];
    for (let i = 0; i < 20; i++) {
      const states = new Map((await client.topicStates(topics, ctx.signal)).map((s) => [s.topic, s]));
      wrong = parts
        .filter((p) => {
          const leader =
            states.get(p.topic)?.partitions.find((x) => x.partition === p.partition)?.leader ?? -1;
          return typeof p.to === "number" ? leader !== p.to : leader < 0;
        })
        .map((p) => `${p.topic}-${p.partition}`);
      if (wrong.length === 0) break;
      await ctx.clock.sleep(500, ctx.signal);
    }
    if (wrong.length > 0)
      throw new SwitchoverError(ErrorCode.VerifyFailed, `leaders not elected: ${wrong.join(", ")}`);
    const outputs: JsonObject = { elected: parts.length };
    if (input.type === "unclean") {
      // The new leaders' log ends: anything the lost leader had beyond these offsets is gone.
      const offsetsAfterElection: JsonObject = {};
      for (const t of topics) {
        for (const o of await client.offsets(t, ctx.signal)) {
          if (parts.some((p) => p.topic === t && p.partition === o.partition))
            offsetsAfterElection[`${t}-${o.partition}`] = o.high.toString();
        }
      }
      outputs.offsetsAfterElection = offsetsAfterElection;
    }
    return outputs;
  },
  // Leadership is not a state to put back: a failback runs a preferred election instead.
  revert: () => undefined,
});
