// Readiness check for one Kafka cluster: the Kafka adapter's probe (a describeCluster on a client
// built like every other, kept connected between probes) as one of /readyz's dependency checks.
import { clusterProbe } from "../adapters/kafka/cluster-probe.js";
import type { ClusterConfig } from "../config/schema.js";
import type { DependencyCheck } from "./readiness.js";

export function kafkaClusterCheck(name: string, cluster: ClusterConfig, timeoutMs = 2_000): DependencyCheck {
  const probe = clusterProbe(name, cluster, timeoutMs);
  return { name: `kafka:${name}`, check: () => probe.probe() };
}
