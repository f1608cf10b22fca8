// Readiness check for one Kafka cluster: a kafkajs admin (kept connected between probes) answering
// describeCluster. The admin is rebuilt after a failure so a broken connection is not reused.
import { Kafka, logLevel } from "kafkajs";
import type { Admin, SASLOptions } from "kafkajs";
import { readFileSync } from "node:fs";
import type { ClusterConfig } from "../config/schema.js";
import { resolveSecret } from "../config/secret.js";
import type { DependencyCheck } from "./readiness.js";

function sasl(cluster: ClusterConfig): SASLOptions | undefined {
  if (!cluster.sasl) return undefined;
  const password = resolveSecret(cluster.sasl.password).reveal();
  return { mechanism: cluster.sasl.mechanism, username: cluster.sasl.username, password };
}

export function kafkaClusterCheck(name: string, cluster: ClusterConfig, timeoutMs = 2_000): DependencyCheck {
  let admin: Admin | undefined;
  const build = (): Admin => {
    const tls = cluster.tls;
    const kafka = new Kafka({
      clientId: `${cluster.clientId}-readyz`,
      brokers: cluster.bootstrapServers,
      connectionTimeout: Math.min(timeoutMs, cluster.connectionTimeoutMs),
      requestTimeout: timeoutMs,
      retry: { retries: 0 },
      logLevel: logLevel.NOTHING,
      ...(tls?.enabled
        ? {
            ssl: {
              rejectUnauthorized: tls.rejectUnauthorized,
              ...(tls.caFile ? { ca: [readFileSync(tls.caFile, "utf8")] } : {}),
              ...(tls.certFile ? { cert: readFileSync(tls.certFile, "utf8") } : {}),
              ...(tls.keyFile ? { key: readFileSync(tls.keyFile, "utf8") } : {}),
            },
          }
        : {}),
      ...(cluster.sasl ? { sasl: sasl(cluster) } : {}),
    });
    return kafka.admin({ retry: { retries: 0 } });
  };
  return {
    name: `kafka:${name}`,
    async check() {
      admin ??= build();
      try {
        await admin.connect();
        const info = await admin.describeCluster();
        if (info.brokers.length === 0) throw new Error("no brokers in metadata");
      } catch (err) {
        const broken = admin;
        admin = undefined;
        await broken?.disconnect().catch(() => undefined);
        throw err;
      }
    },
  };
}
