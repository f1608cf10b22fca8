// Renders the environment file switchover reads (src/config/schema.ts) from the sandbox topology.
// Secrets are referenced by file, never written inline.
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { sha256Hex } from "../src/api/auth.js";
import { clusterSchema, configSchema, ROLES } from "../src/config/schema.js";
import type { ClusterConfig, Config, Role } from "../src/config/schema.js";
import { clusterBootstrap, nodeScramUsers } from "./components/kafka.js";
import type { SandboxPaths } from "./components/types.js";
import { configFile } from "./lib/paths.js";
import {
  connectWorker,
  connectWorkers,
  dns,
  HOST,
  kafkaNodes,
  mm2Flows,
  port,
  redis,
  reverseConnectWorker,
  reverseFlows,
  secureKafkaNode,
} from "./topology.js";

/**
 * Control ports of the demo apps (sandbox/apps) that the environment's consumer fleets call: the
 * drills start the apps on these ports, so `consumers.pause|resume` reach them as webhooks.
 */
export const demoApps = {
  ordersConsumerPort: port(18481),
  paymentsConsumerPort: port(18482),
  ordersProducerPort: port(18491),
  paymentsProducerPort: port(18492),
} as const;

function webhookFleet(port: number, group: string | undefined, pause: string, resume: string) {
  return {
    kind: "webhook",
    cluster: "dc1",
    groups: group ? [group] : [],
    pause: { url: `http://${HOST}:${port}/${pause}` },
    resume: { url: `http://${HOST}:${port}/${resume}` },
    timeoutMs: 15_000,
  };
}

/**
 * Demo API tokens, one per role: random, generated once into <state>/tokens.json (mode 0600) and
 * reused after; the environment file holds only their SHA-256. `jq -r .operator .sandbox/tokens.json`.
 */
export function sandboxTokens(paths: SandboxPaths): Record<Role, string> {
  const file = join(paths.state, "tokens.json");
  if (existsSync(file)) {
    const known = JSON.parse(readFileSync(file, "utf8")) as Partial<Record<Role, string>>;
    if (ROLES.every((r) => typeof known[r] === "string")) return known as Record<Role, string>;
  }
  mkdirSync(paths.state, { recursive: true });
  const tokens = Object.fromEntries(
    ROLES.map((r) => [r, `so_${r}_${randomBytes(24).toString("base64url")}`]),
  );
  writeFileSync(file, `${JSON.stringify(tokens, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return tokens as Record<Role, string>;
}

/**
 * The service section: demo tokens (hashes only), every real run approved by a second person
 * (approvals.required all: the demo-approver token approves what demo-operator starts), the
 * repository's runbooks.
 */
function sandboxService(tokens: Partial<Record<Role, string>>) {
  return {
    auth: {
      tokens: ROLES.filter((r) => tokens[r] !== undefined).map((r) => ({
        name: `demo-${r}`,
        sha256: sha256Hex(tokens[r]!),
        roles: [r],
      })),
    },
    twoPersonRule: true,
    approvals: { required: "all", approvers: 1, expiresAfterSeconds: 3_600 },
    runbooksDir: "runbooks",
    // The sandbox is for rehearsing: operators may run every runbook for real there.
    operatorRunbooks: ["*"],
  };
}

export function sandboxEnvironment(paths: SandboxPaths, tokens: Partial<Record<Role, string>> = {}): Config {
  const doc = {
    apiVersion: "switchover/v1",
    kind: "Environment",
    clusters: {
      dc1: {
        description: "replicated pair, primary (dc1)",
        bootstrapServers: clusterBootstrap("dc1"),
        datacenter: "dc1",
      },
      dc2: {
        description: "replicated pair, standby (dc2)",
        bootstrapServers: clusterBootstrap("dc2"),
        datacenter: "dc2",
      },
      stretch: {
        description: "stretched cluster: brokers in dc1 and dc2, tie-breaker controller in dc3",
        bootstrapServers: clusterBootstrap("stretch"),
        racks: { dc1: ["dc1"], dc2: ["dc2"] },
        // The controller-only tie-breaker has no broker.rack: its DC for the posture's quorum check.
        controllerDatacenters: Object.fromEntries(
          kafkaNodes
            .filter((n) => n.cluster === "stretch" && !n.roles.includes("broker"))
            .map((n) => [String(n.nodeId), n.datacenter]),
        ),
      },
    },
    connect: Object.fromEntries(
      connectWorkers.map((w) => [w.id, { url: `http://${HOST}:${w.restPort}`, cluster: w.cluster }]),
    ),
    replication: {
      ...Object.fromEntries(
        mm2Flows.map((flow) => [
          flow.id,
          {
            source: "dc1",
            target: "dc2",
            naming: flow.naming,
            topics: flow.topics,
            connect: connectWorker.id,
            connectors: flow.connectors as Record<string, string>,
          },
        ]),
      ),
      // Created by mm2-failback (reverse: true) on dc1's worker; declared so steps can check them.
      ...Object.fromEntries(
        reverseFlows.map((flow) => [
          flow.id,
          {
            source: "dc2",
            target: "dc1",
            naming: flow.naming,
            topics: flow.topics,
            connect: reverseConnectWorker.id,
            connectors: flow.connectors,
          },
        ]),
      ),
    },
    dns: {
      sandbox: {
        provider: "rfc2136",
        zone: dns.zone,
        servers: [`${HOST}:${dns.port}`],
        tsig: {
          name: dns.keyName,
          algorithm: "hmac-sha256",
          secret: { file: join(paths.state, "bind", "tsig.secret") },
        },
      },
    },
    consumers: {
      "orders-app": webhookFleet(demoApps.ordersConsumerPort, "orders-app", "pause", "resume"),
      "payments-app": webhookFleet(demoApps.paymentsConsumerPort, "payments-app", "pause", "resume"),
      // Producers as a "fleet" too: pause = stop producing (what a graceful switchover starts with).
      "orders-producers": webhookFleet(demoApps.ordersProducerPort, undefined, "stop", "start"),
      "payments-producers": webhookFleet(demoApps.paymentsProducerPort, undefined, "stop", "start"),
    },
    redis: { url: `redis://${HOST}:${redis.port}`, prefix: "switchover" },
    http: { allow: [] },
    service: sandboxService(tokens),
  };
  return configSchema.parse(doc);
}

/**
 * switchover's cluster entry for the opt-in secured node (`up secure-kafka`): SASL/SCRAM-SHA-512 with
 * the password referenced by file. Not in the environment file, which names only what a plain `up` starts.
 */
export function secureClusterConfig(paths: SandboxPaths): ClusterConfig {
  const users = nodeScramUsers(paths, secureKafkaNode)!;
  return clusterSchema.parse({
    description: "single node whose only client listener demands SASL/SCRAM-SHA-512",
    bootstrapServers: clusterBootstrap(secureKafkaNode.cluster),
    datacenter: secureKafkaNode.datacenter,
    sasl: {
      mechanism: "scram-sha-512",
      username: users.client.name,
      password: { file: users.client.passwordFile },
    },
  });
}

export function writeEnvironment(paths: SandboxPaths): string {
  mkdirSync(paths.state, { recursive: true });
  const file = configFile(paths);
  const header = [
    "# switchover environment for the local sandbox — written by `npm run sandbox -- up`.",
    "# Format: src/config/schema.ts (apiVersion switchover/v1, kind Environment). Secrets are",
    "# referenced ({file: …} or {env: …}), never inline.",
    "",
  ].join("\n");
  writeFileSync(file, header + stringify(sandboxEnvironment(paths, sandboxTokens(paths))));
  return file;
}
