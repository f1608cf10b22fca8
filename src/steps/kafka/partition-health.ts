// Health of a topic selection as kafka.waitForHealthy reports it: offline partitions (no leader)
// and partitions whose ISR is below the topic's effective min.insync.replicas.
import type { ClusterClient } from "../../adapters/kafka/cluster-client.js";
import { selectTopics } from "../../adapters/kafka/select-topics.js";
import type { TopicSelection } from "../../kafka/topic-selection.js";

export interface Health {
  topics: number;
  partitions: number;
  offline: string[];
  underMinIsr: string[];
}

export async function assessHealth(
  client: ClusterClient,
  sel: TopicSelection,
  signal: AbortSignal,
): Promise<Health> {
  const { topics, facts } = await selectTopics(client, sel, signal);
  const h: Health = { topics: topics.length, partitions: 0, offline: [], underMinIsr: [] };
  for (const t of topics) {
    const minIsr = facts.minIsr.get(t) ?? 1;
    for (const p of facts.states.get(t)!.partitions) {
      h.partitions++;
      if (p.leader < 0) h.offline.push(`${t}-${p.partition}`);
      else if (p.isr.length < minIsr)
        h.underMinIsr.push(`${t}-${p.partition} (isr ${p.isr.length} < ${minIsr})`);
    }
  }
  return h;
}

export const healthy = (h: Health): boolean => h.offline.length === 0 && h.underMinIsr.length === 0;
