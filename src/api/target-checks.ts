// The systems switchover acts on, as health checks for /healthz and switchover_target_up: every
// configured Kafka cluster, Connect worker and RFC 2136 zone's authoritative servers. None of them
// is ever part of readiness (a DC loss is when the API must stay in service). Route 53 zones are a
// cloud API reached by the DNS steps with their own credentials; they are not polled.
import { ConnectClient } from "../adapters/kafka/connect-client.js";
import { queryAuthoritative } from "../adapters/dns/query.js";
import type { Config, DnsZoneConfig } from "../config/schema.js";
import { kafkaClusterCheck } from "./kafka-check.js";
import type { DependencyCheck } from "./readiness.js";

function connectCheck(name: string, connect: Config["connect"][string], timeoutMs: number): DependencyCheck {
  const client = new ConnectClient(name, { ...connect, timeoutMs: Math.min(connect.timeoutMs, timeoutMs) });
  return { name: `connect:${name}`, check: async () => void (await client.info()) };
}

function dnsCheck(
  name: string,
  zone: Extract<DnsZoneConfig, { provider: "rfc2136" }>,
  timeoutMs: number,
): DependencyCheck {
  return {
    name: `dns:${name}`,
    // Every authoritative server answers for the zone (SOA): the one updates go to and the ones
    // verification reads.
    async check() {
      for (const [i, server] of zone.servers.entries()) {
        try {
          await queryAuthoritative(server, zone.zone, "SOA", {
            timeoutMs: Math.min(zone.timeoutMs, timeoutMs),
          });
        } catch (err) {
          throw new Error(
            `server ${i + 1} of ${zone.servers.length} for ${zone.zone}: ${err instanceof Error ? err.message : String(err)}`,
            { cause: err },
          );
        }
      }
    },
  };
}

export function targetChecks(config: Config, timeoutMs = 2_000): DependencyCheck[] {
  return [
    ...Object.entries(config.clusters).map(([name, c]) => kafkaClusterCheck(name, c, timeoutMs)),
    ...Object.entries(config.connect).map(([name, c]) => connectCheck(name, c, timeoutMs)),
    ...Object.entries(config.dns).flatMap(([name, z]) =>
      z.provider === "rfc2136" ? [dnsCheck(name, z, timeoutMs)] : [],
    ),
  ];
}
