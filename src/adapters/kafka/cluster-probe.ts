// A cheap liveness probe of one cluster for readiness: an admin from the client factory (short
// timeouts, no retries) kept connected between probes, asked describeCluster. A failed probe drops
// the admin so a broken connection is never reused; its failure is mapped like every Kafka call.
import type { Admin } from "kafkajs";
import type { ClusterConfig } from "../../config/schema.js";
import { createKafkaClient } from "./kafka-client-factory.js";
import { toKafkaError } from "./kafka-errors.js";

export interface ClusterProbe {
  /** Resolves once a broker answered with a non-empty cluster description. */
  probe(): Promise<void>;
}

export function clusterProbe(name: string, cluster: ClusterConfig, timeoutMs: number): ClusterProbe {
  let admin: Admin | undefined;
  const build = (): Admin =>
    createKafkaClient(name, cluster, {
      clientIdSuffix: "-readyz",
      connectionTimeoutMs: Math.min(timeoutMs, cluster.connectionTimeoutMs),
      requestTimeoutMs: timeoutMs,
      retry: { retries: 0 },
    }).admin({ retry: { retries: 0 } });
  return {
    async probe() {
      try {
        admin ??= build();
        await admin.connect();
        const info = await admin.describeCluster();
        if (info.brokers.length === 0) throw new Error("no brokers in metadata");
      } catch (err) {
        const broken = admin;
        admin = undefined;
        await broken?.disconnect().catch(() => undefined);
        throw toKafkaError(name, "describing the cluster", err);
      }
    },
  };
}
