// Resolves a topic selection against the live cluster: the reads (topic list, metadata, brokers,
// min.insync.replicas) here, the matching rules in kafka/topic-selection.ts.
import { matchesWhere, matchNames } from "../../kafka/topic-selection.js";
import type { SelectionFacts, TopicSelection } from "../../kafka/topic-selection.js";
import type { ClusterClient } from "./cluster-client.js";

/** Resolves a selection against the live cluster; returns names and the facts it read. */
export async function selectTopics(
  client: ClusterClient,
  sel: TopicSelection,
  signal?: AbortSignal,
): Promise<{ topics: string[]; facts: SelectionFacts }> {
  const candidates = matchNames(await client.listTopics(signal), sel);
  const states = new Map((await client.topicStates(candidates, signal)).map((s) => [s.topic, s]));
  const brokers = await client.brokers(signal);
  const minIsr = new Map<string, number>();
  const eff = await client.effectiveTopicConfig(candidates, ["min.insync.replicas"], signal);
  for (const [t, c] of eff) minIsr.set(t, Number(c["min.insync.replicas"] ?? "1"));
  const facts = { states, minIsr, brokers };
  const topics = sel.where ? candidates.filter((t) => matchesWhere(t, sel.where!, facts)) : candidates;
  return { topics, facts };
}
