// The sandbox topology in one place: every node, port, rack and name the sandbox starts, the
// environment file it writes, and the checks on docker-compose.yml all read from here.
export const KAFKA_VERSION = "4.3.0";
export const HOST = "127.0.0.1";

/**
 * SWITCHOVER_SANDBOX_PORT_OFFSET shifts every port below (0–900, a multiple of 100), so a second
 * sandbox (with its own SWITCHOVER_SANDBOX_DIR) can run beside the default one on one machine.
 */
export const PORT_OFFSET = portOffset(process.env.SWITCHOVER_SANDBOX_PORT_OFFSET);

function portOffset(raw: string | undefined): number {
  if (raw === undefined || raw === "") return 0;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 900 || n % 100 !== 0) {
    throw new Error(`SWITCHOVER_SANDBOX_PORT_OFFSET must be 0, 100, …, 900 (got "${raw}")`);
  }
  return n;
}

/** A topology port, shifted by the offset. */
export const port = (base: number): number => base + PORT_OFFSET;

export type Datacenter = "dc1" | "dc2" | "dc3";

export interface KafkaNode {
  /** Component name used by `sandbox stop|start|logs`. */
  id: string;
  cluster: "dc1" | "dc2" | "stretch" | "secure";
  nodeId: number;
  roles: ("broker" | "controller")[];
  datacenter: Datacenter;
  brokerPort?: number;
  controllerPort?: number;
  /**
   * The client listener's security: PLAINTEXT (the default), or SASL_PLAINTEXT with SCRAM-SHA-512
   * users created when the node's storage is formatted.
   */
  security?: "sasl-scram";
}

export const kafkaNodes: KafkaNode[] = [
  // Replicated pair: one single-node KRaft cluster per datacenter.
  {
    id: "dc1-kafka",
    cluster: "dc1",
    nodeId: 1,
    roles: ["broker", "controller"],
    datacenter: "dc1",
    brokerPort: port(19092),
    controllerPort: port(19093),
  },
  {
    id: "dc2-kafka",
    cluster: "dc2",
    nodeId: 1,
    roles: ["broker", "controller"],
    datacenter: "dc2",
    brokerPort: port(29092),
    controllerPort: port(29093),
  },
  // Stretched cluster: two brokers per DC, controllers in dc1, dc2 and a tie-breaker in dc3 ("2.5 DC"),
  // so losing every dc1 node leaves two of three voters.
  {
    id: "stretch-1",
    cluster: "stretch",
    nodeId: 1,
    roles: ["broker", "controller"],
    datacenter: "dc1",
    brokerPort: port(31092),
    controllerPort: port(31093),
  },
  {
    id: "stretch-2",
    cluster: "stretch",
    nodeId: 2,
    roles: ["broker"],
    datacenter: "dc1",
    brokerPort: port(32092),
  },
  {
    id: "stretch-3",
    cluster: "stretch",
    nodeId: 3,
    roles: ["broker", "controller"],
    datacenter: "dc2",
    brokerPort: port(33092),
    controllerPort: port(33093),
  },
  {
    id: "stretch-4",
    cluster: "stretch",
    nodeId: 4,
    roles: ["broker"],
    datacenter: "dc2",
    brokerPort: port(34092),
  },
  {
    id: "stretch-5",
    cluster: "stretch",
    nodeId: 5,
    roles: ["controller"],
    datacenter: "dc3",
    controllerPort: port(35093),
  },
];

/**
 * A single-node cluster whose only client listener demands SASL/SCRAM-SHA-512: opt-in (not part of a
 * plain `up`), started by the tests that prove switchover's clients authenticate. Not in kafkaNodes,
 * so `stop dc1` and the environment file leave it alone. Its ports stay below Linux's ephemeral range.
 */
export const secureKafkaNode: KafkaNode = {
  id: "secure-kafka",
  cluster: "secure",
  nodeId: 1,
  roles: ["broker", "controller"],
  datacenter: "dc1",
  brokerPort: port(17092),
  controllerPort: port(17093),
  security: "sasl-scram",
};

export interface ConnectWorker {
  id: string;
  datacenter: Datacenter;
  /** The Kafka cluster the worker belongs to (Connect writes to its own cluster). */
  cluster: "dc1" | "dc2";
  restPort: number;
  /** Worker group and the prefix of its config/offset/status topics on its cluster. */
  groupId: string;
  storagePrefix: string;
  /** JVM heap in MiB. */
  heapMb: number;
}

/** Kafka Connect worker in dc2 running the MirrorMaker 2 connectors (dc1 → dc2). */
export const connectWorker: ConnectWorker = {
  id: "dc2-connect",
  datacenter: "dc2",
  cluster: "dc2",
  restPort: port(28083),
  groupId: "switchover-mm2",
  storagePrefix: "mm2",
  heapMb: 512,
};

/**
 * Kafka Connect worker in dc1, idle until a failback creates the reverse flow (dc2 → dc1) on it:
 * MM2 connectors write to the worker's own cluster, so replicating into dc1 needs a worker there.
 * It is part of dc1: `sandbox stop dc1` loses it with the brokers.
 */
export const reverseConnectWorker: ConnectWorker = {
  id: "dc1-connect",
  datacenter: "dc1",
  cluster: "dc1",
  restPort: port(18083),
  groupId: "switchover-mm2-dc1",
  storagePrefix: "mm2-dc1",
  heapMb: 256,
};

export const connectWorkers: ConnectWorker[] = [connectWorker, reverseConnectWorker];

/**
 * Two MM2 flows run side by side on the worker so both naming schemes are live at once:
 * identity (orders → orders) for `orders.*`, prefixed (payments → dc1.payments) for `payments.*`.
 */
export const mm2Flows = [
  {
    id: "dc1-to-dc2",
    naming: "identity" as const,
    topics: "orders.*",
    policyClass: "org.apache.kafka.connect.mirror.IdentityReplicationPolicy",
    connectors: {
      source: "mm2-identity-source",
      checkpoint: "mm2-identity-checkpoint",
      heartbeat: "mm2-heartbeat",
    },
  },
  {
    id: "dc1-to-dc2-prefixed",
    naming: "prefixed" as const,
    topics: "payments.*",
    policyClass: "org.apache.kafka.connect.mirror.DefaultReplicationPolicy",
    connectors: { source: "mm2-prefixed-source", checkpoint: "mm2-prefixed-checkpoint" },
  },
];

/**
 * The reverse flows failback creates on dc1's worker (mirror.createFlow reverseOf a forward flow,
 * connector names = the forward ones + "-reverse"): dc2 → dc1 with the same naming and topics.
 */
export const reverseFlows = mm2Flows.map((f) => ({
  id: f.id.replace("dc1-to-dc2", "dc2-to-dc1"),
  reverseOf: f.id,
  naming: f.naming,
  topics: f.topics,
  connectors: {
    source: `${f.connectors.source}-reverse`,
    checkpoint: `${f.connectors.checkpoint}-reverse`,
  },
}));

/** Stretched-cluster demo topics: RF 4 (two per DC), min.insync.replicas 3 > replicas per DC. */
export const stretchTopics: {
  name: string;
  partitions: number;
  replicationFactor: number;
  configs: Record<string, string>;
}[] = [
  { name: "stretch-orders", partitions: 6, replicationFactor: 4, configs: { "min.insync.replicas": "3" } },
  {
    name: "stretch-payments",
    partitions: 3,
    replicationFactor: 4,
    configs: { "min.insync.replicas": "3", "retention.ms": "86400000" },
  },
];

export const dns = {
  id: "bind",
  port: port(15353),
  zone: "dr.test",
  keyName: "switchover-key",
  /** The name clients bootstrap from; the sandbox points it at dc1. */
  record: "kafka-primary.dr.test",
  initialTarget: "dc1-kafka.dr.test",
  ttl: 30,
};

export const redis = { id: "redis", port: port(16379) };

/**
 * Opt-in Redis HA for the orchestrator itself (`up redis-ha`): a primary in dc1, its replica in dc2,
 * and three Sentinels, one per DC (quorum 2), so switchover survives losing the DC its Redis primary
 * is in. `stop dc1` kills dc1's Redis and Sentinel too.
 */
export const redisHa = {
  master: "switchover",
  quorum: 2,
  nodes: [
    { id: "redis-dc1", datacenter: "dc1", port: port(16479) },
    { id: "redis-dc2", datacenter: "dc2", port: port(16480) },
  ],
  sentinels: [
    { id: "sentinel-dc1", datacenter: "dc1", port: port(16481) },
    { id: "sentinel-dc2", datacenter: "dc2", port: port(16482) },
    { id: "sentinel-dc3", datacenter: "dc3", port: port(16483) },
  ],
};

/** The Redis URL switchover uses with the HA option: every Sentinel and the master name. */
export function redisHaUrl(): string {
  return `redis+sentinel://${redisHa.sentinels.map((s) => `${HOST}:${s.port}`).join(",")}/${redisHa.master}`;
}

export const components = ["kafka", "connect", "bind", "redis"] as const;
export type ComponentGroup = (typeof components)[number];
