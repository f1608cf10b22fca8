// The posture use case: reads a cluster's or a flow's facts through the Kafka adapter and assesses
// them. Read-only: only Metadata, DescribeConfigs, DescribeQuorum, DescribeAcls, ListGroups,
// OffsetFetch, groupless Fetch and Connect GETs are sent.
import type { KafkaAdapter } from "../adapters/kafka/kafka-adapter.js";
import { assessCluster, readClusterFacts } from "./cluster-posture.js";
import type { ClusterPosture } from "./cluster-posture.js";
import { assessPair, readPairFacts } from "./pair-posture.js";
import type { PairPosture } from "./pair-posture.js";

export type Posture = ClusterPosture | PairPosture;

export class PostureService {
  constructor(private readonly kafka: KafkaAdapter) {}

  async cluster(name: string, signal?: AbortSignal): Promise<ClusterPosture> {
    const client = this.kafka.cluster(name);
    return assessCluster(await readClusterFacts(client, signal));
  }

  async pair(flowName: string, signal?: AbortSignal): Promise<PairPosture> {
    const flow = this.kafka.flow(flowName);
    const connect = flow.connect ? this.kafka.connect(flow.connect) : undefined;
    const facts = await readPairFacts(
      flow,
      this.kafka.cluster(flow.source),
      this.kafka.cluster(flow.target),
      connect,
      signal,
    );
    return assessPair(facts);
  }
}
