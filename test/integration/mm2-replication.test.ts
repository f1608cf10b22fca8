// MirrorMaker 2 in the sandbox is real: records cross dc1 → dc2 under both naming schemes, and a
// group committing on dc1 yields a checkpoint on dc2 that our decoder reads.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Admin, Kafka } from "kafkajs";
import { checkpointsTopic, decodeCheckpoint } from "../../src/kafka/mm2-records.js";
import type { Checkpoint } from "../../src/kafka/mm2-records.js";
import { readTopicToEnd } from "../../src/adapters/kafka/read-topic.js";
import { eventually, kafkaFor, sandboxConfig, unique } from "./sandbox.js";

let dc1: Kafka;
let dc2: Kafka;
let admin1: Admin;
let admin2: Admin;
const created: { admin: () => Admin; topic: string }[] = [];

beforeAll(async () => {
  dc1 = kafkaFor("dc1");
  dc2 = kafkaFor("dc2");
  admin1 = dc1.admin();
  admin2 = dc2.admin();
  await Promise.all([admin1.connect(), admin2.connect()]);
});

afterAll(async () => {
  for (const { admin, topic } of created)
    await admin()
      .deleteTopics({ topics: [topic] })
      .catch(() => undefined);
  await Promise.all([admin1.disconnect(), admin2.disconnect()]);
});

async function consumeOne(kafka: Kafka, topic: string, key: string): Promise<string> {
  const consumer = kafka.consumer({ groupId: unique("test-reader-") });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no record with key ${key} on ${topic}`)), 30_000);
      void consumer
        .run({
          eachMessage: async ({ message }) => {
            if (message.key?.toString() === key) {
              clearTimeout(timer);
              resolve(message.value?.toString() ?? "");
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
}

describe.each([
  { naming: "identity", prefix: "orders.", remote: (t: string) => t },
  { naming: "prefixed", prefix: "payments.", remote: (t: string) => `dc1.${t}` },
])("MM2 dc1 → dc2 with $naming naming", ({ naming, prefix, remote }) => {
  it("replicates a record produced on dc1 to the expected topic on dc2", async () => {
    const flow = Object.values(sandboxConfig().replication).find((f) => f.naming === naming);
    expect(flow, `the environment declares a ${naming} flow`).toBeDefined();
    const topic = unique(prefix);
    await admin1.createTopics({
      topics: [{ topic, numPartitions: 2, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    created.push({ admin: () => admin1, topic });
    const producer = dc1.producer();
    await producer.connect();
    const key = unique("k-");
    await producer.send({ topic, acks: -1, messages: [{ key, value: `hello from dc1 via ${naming}` }] });
    await producer.disconnect();

    const target = remote(topic);
    await eventually(
      `MM2 to create ${target} on dc2`,
      async () => ((await admin2.listTopics()).includes(target) ? true : undefined),
      60_000,
    );
    created.push({ admin: () => admin2, topic: target });
    expect(await consumeOne(dc2, target, key)).toBe(`hello from dc1 via ${naming}`);
    if (naming === "prefixed") expect((await admin2.listTopics()).includes(topic)).toBe(false);
  });

  it("mirrors committed transactions only: an aborted transaction's records never reach dc2", async () => {
    // Issue 21: with MM2's default source consumer (read_uncommitted), the records of a transaction
    // aborted on dc1 arrived on dc2 as ordinary records, visible to read_committed consumers there.
    const topic = unique(prefix);
    await admin1.createTopics({
      topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    created.push({ admin: () => admin1, topic });
    const producer = dc1.producer({
      transactionalId: unique("so-txn-"),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    const aborted = await producer.transaction();
    await aborted.send({
      topic,
      messages: ["a1", "a2", "a3"].map((v) => ({ key: v, value: `aborted ${v}` })),
    });
    await aborted.abort();
    const committed = await producer.transaction();
    await committed.send({ topic, messages: ["c1", "c2"].map((v) => ({ key: v, value: `committed ${v}` })) });
    await committed.commit();
    await producer.disconnect();

    const target = remote(topic);
    await eventually(
      `MM2 to create ${target} on dc2`,
      async () => ((await admin2.listTopics()).includes(target) ? true : undefined),
      60_000,
    );
    created.push({ admin: () => admin2, topic: target });
    // Per partition MM2 keeps the order: once the committed records are on dc2, anything it took
    // from the aborted transaction (written before them) is there too.
    const seen: string[] = [];
    const consumer = dc2.consumer({ groupId: unique("test-txn-reader-"), readUncommitted: false });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: target, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          seen.push(message.value?.toString() ?? "");
        },
      });
      await eventually(
        `the committed records on ${target}`,
        async () => (seen.includes("committed c2") ? true : undefined),
        60_000,
        500,
      );
    } finally {
      await consumer.disconnect();
    }
    expect(seen).toEqual(["committed c1", "committed c2"]);
  });

  it("emits a decodable checkpoint for a group that committed on dc1", async () => {
    const topic = unique(prefix);
    const group = unique("orders-app-");
    await admin1.createTopics({
      topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    created.push({ admin: () => admin1, topic });
    const producer = dc1.producer();
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
    });
    await producer.disconnect();
    const target = remote(topic);
    await eventually(
      `${target} on dc2`,
      async () => ((await admin2.listTopics()).includes(target) ? true : undefined),
      60_000,
    );
    created.push({ admin: () => admin2, topic: target });
    // The group consumed and committed 15 of 20 records on dc1.
    await admin1.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: "15" }] });

    const checkpoint = await eventually<Checkpoint>(
      `a checkpoint for ${group} on dc2`,
      async () => {
        const records = await readTopicToEnd(dc2, checkpointsTopic("dc1"));
        return records
          .map((r) => decodeCheckpoint(r.key, r.value))
          .filter((c) => c.group === group)
          .at(-1);
      },
      90_000,
      2_000,
    );
    expect(checkpoint.topic).toBe(target);
    expect(checkpoint.partition).toBe(0);
    expect(checkpoint.upstreamOffset).toBe(15n);
    const end = BigInt((await admin2.fetchTopicOffsets(target))[0]!.high);
    expect(checkpoint.downstreamOffset).toBeGreaterThan(0n);
    expect(checkpoint.downstreamOffset).toBeLessThanOrEqual(end);
    await admin1.deleteGroups([group]).catch(() => undefined);
  });
});
