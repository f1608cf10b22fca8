// Pre-flight (`evaluate`) hooks of the kafka.* steps, kept apart from their plan/apply/verify:
// read-only checks that the clusters answer, the selected topics exist and MM2's bookkeeping is there.
import type { TopicSelection } from "../../kafka/topic-selection.js";
import { clusterReachable, flowClusters, topicHasLeaders, topicsPresent } from "../../evaluation/checks.js";
import type { EvaluateContext } from "../step-adapters.js";
import type { EvaluationCheck } from "../../engine/step-contract.js";

type Ctx = EvaluateContext<"kafka">;

/** setTopicConfig, electLeaders, reassignPartitions, waitForHealthy: the cluster and its selection. */
export async function evaluateClusterTopics(
  ctx: Ctx,
  input: { cluster: string; topics?: TopicSelection | undefined },
): Promise<EvaluationCheck[]> {
  const reach = await clusterReachable(ctx.adapters.kafka, input.cluster, ctx.signal);
  if (reach.outcome !== "ready") return [reach];
  return [reach, await topicsPresent(ctx.adapters.kafka, input.cluster, input.topics, ctx.signal)];
}

/** assertWritable: the canary topic exists with a leader everywhere. */
export async function evaluateAssertWritable(
  ctx: Ctx,
  input: { cluster: string; topic: string },
): Promise<EvaluationCheck[]> {
  const reach = await clusterReachable(ctx.adapters.kafka, input.cluster, ctx.signal);
  if (reach.outcome !== "ready") return [reach];
  return [reach, await topicHasLeaders(ctx.adapters.kafka, input.cluster, input.topic, ctx.signal)];
}

/** checkReplication: target reachable (source may be the lost side). */
export function evaluateCheckReplication(ctx: Ctx, input: { flow: string }): Promise<EvaluationCheck[]> {
  return flowClusters(ctx.adapters.kafka, input.flow, ctx.signal);
}

/** verifyTranslatedOffsets: target reachable and MM2 checkpoints present. */
export function evaluateTranslatedOffsets(ctx: Ctx, input: { flow: string }): Promise<EvaluationCheck[]> {
  return flowClusters(ctx.adapters.kafka, input.flow, ctx.signal, { needCheckpoints: true });
}

/** applyTranslatedOffsets: by flow as verifyTranslatedOffsets; in restore mode the cluster written to. */
export async function evaluateApplyTranslatedOffsets(
  ctx: Ctx,
  input: { flow?: string | undefined; cluster?: string | undefined },
): Promise<EvaluationCheck[]> {
  if (input.flow !== undefined) {
    return flowClusters(ctx.adapters.kafka, input.flow, ctx.signal, { needCheckpoints: true });
  }
  return [await clusterReachable(ctx.adapters.kafka, input.cluster!, ctx.signal)];
}
