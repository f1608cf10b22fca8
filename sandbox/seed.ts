// Demo data the sandbox guarantees after `up`: the replicated topics on dc1 (one per naming
// scheme) and the consistency-first topics on the stretched cluster.
import { Kafka, logLevel } from "kafkajs";
import type { ITopicConfig } from "kafkajs";
import { clusterBootstrap } from "./components/kafka.js";
import { SandboxError } from "./components/types.js";
import { stretchTopics } from "./topology.js";

export const replicatedTopics: ITopicConfig[] = [
  { topic: "orders", numPartitions: 3, replicationFactor: 1 },
  { topic: "payments", numPartitions: 3, replicationFactor: 1 },
];

/**
 * A cluster that has just formed can still answer "does not host this topic-partition" or "leader
 * not available" while metadata propagates: retry the (idempotent) seeding for a while.
 */
async function withRetries(cluster: string, fn: () => Promise<void>, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const retriable =
        (err as { retriable?: boolean }).retriable !== false ||
        /not host|leader|coordinator/i.test(String(err));
      if (!retriable || Date.now() > deadline) {
        throw new SandboxError(
          `seed-${cluster}`,
          `could not create the demo topics after ${attempt} attempts: ${err instanceof Error ? err.message : String(err)}`,
          `check the ${cluster} logs (npm run sandbox -- logs <node>)`,
        );
      }
      await new Promise((r) => setTimeout(r, Math.min(5_000, 500 * attempt)));
    }
  }
}

async function ensureTopics(cluster: "dc1" | "stretch", topics: ITopicConfig[]): Promise<void> {
  await withRetries(cluster, () => ensureTopicsOnce(cluster, topics));
}

async function ensureTopicsOnce(cluster: "dc1" | "stretch", topics: ITopicConfig[]): Promise<void> {
  const admin = new Kafka({
    clientId: "switchover-sandbox",
    brokers: clusterBootstrap(cluster),
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.topic));
    if (missing.length) await admin.createTopics({ topics: missing, waitForLeaders: true });
    if (cluster === "stretch") {
      // Creates __consumer_offsets while all four brokers are up, so that its RF-4 placement spans both DCs.
      await admin.describeGroups(["switchover-sandbox-probe"]);
    }
  } finally {
    await admin.disconnect();
  }
}

/**
 * The consumer group the shipped MM2 runbooks default to (`group: orders-app`), with committed
 * offsets on dc1's `orders`, so MM2 checkpoints it and a newcomer's first dry-run of `mm2-failover`
 * finds a translation instead of "unknown group". Committed (after one marker record per partition,
 * which MM2 needs to checkpoint anything) only where the group has none yet.
 */
export const defaultGroup = { groupId: "orders-app", topic: "orders" };

async function ensureDefaultGroupOnce(): Promise<void> {
  const admin = new Kafka({
    clientId: "switchover-sandbox",
    brokers: clusterBootstrap("dc1"),
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    const [committed] = await admin.fetchOffsets({
      groupId: defaultGroup.groupId,
      topics: [defaultGroup.topic],
    });
    const partitions = committed?.partitions ?? [];
    if (partitions.length > 0 && partitions.every((p) => p.offset !== "-1")) return;
    // MM2 checkpoints a group only where an offset sync exists at or below its commit, and a topic
    // that never held a record has none: write one marker record per partition first.
    const kafka = new Kafka({
      clientId: "switchover-sandbox",
      brokers: clusterBootstrap("dc1"),
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      const meta = await admin.fetchTopicMetadata({ topics: [defaultGroup.topic] });
      await producer.send({
        topic: defaultGroup.topic,
        acks: -1,
        messages: meta.topics[0]!.partitions.map((p) => ({
          partition: p.partitionId,
          key: `sandbox-seed-${p.partitionId}`,
          value: JSON.stringify({ seed: "sandbox", group: defaultGroup.groupId }),
        })),
      });
    } finally {
      await producer.disconnect();
    }
    const ends = await admin.fetchTopicOffsets(defaultGroup.topic);
    await admin.setOffsets({
      groupId: defaultGroup.groupId,
      topic: defaultGroup.topic,
      partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })),
    });
  } finally {
    await admin.disconnect();
  }
}

export async function seedReplicated(): Promise<void> {
  await ensureTopics("dc1", replicatedTopics);
  await withRetries("dc1", ensureDefaultGroupOnce);
}

export async function seedStretch(): Promise<void> {
  await ensureTopics(
    "stretch",
    stretchTopics.map((t) => ({
      topic: t.name,
      numPartitions: t.partitions,
      replicationFactor: t.replicationFactor,
      configEntries: Object.entries(t.configs).map(([name, value]) => ({ name, value })),
    })),
  );
}
