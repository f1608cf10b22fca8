// A long-lived ClusterClient (the service keeps one per cluster for its whole life) follows topics
// that are deleted and created after it first looked: kafkajs keeps every topic it was asked about in
// its metadata request, so one deleted topic made every later lookup fail UNKNOWN_TOPIC_OR_PARTITION.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Admin } from "kafkajs";
import { ClusterClient } from "../../src/adapters/kafka/cluster-client.js";
import { kafkaFor, sandboxConfig, unique } from "./sandbox.js";

let admin: Admin;
let client: ClusterClient;
const created: string[] = [];

beforeAll(async () => {
  admin = kafkaFor("dc2").admin();
  await admin.connect();
  client = new ClusterClient("dc2", sandboxConfig().clusters.dc2!);
});

afterAll(async () => {
  await admin.deleteTopics({ topics: created }).catch(() => undefined);
  await admin.disconnect();
  await client.close();
});

async function createTopic(topic: string, partitions: number): Promise<void> {
  await admin.createTopics({
    topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
    waitForLeaders: true,
  });
  created.push(topic);
}

/** A producer of its own per send: kafkajs clients of the test would suffer the same stale metadata. */
async function send(topic: string, partition: number, value: string): Promise<void> {
  const producer = kafkaFor("dc2").producer();
  await producer.connect();
  await producer.send({ topic, messages: [{ value, partition }] });
  await producer.disconnect();
}

describe("ClusterClient metadata", () => {
  it("when a topic it read is deleted, later topics (and the same name recreated) are still readable", async () => {
    const gone = unique("meta-gone-");
    await createTopic(gone, 1);
    await send(gone, 0, "a");
    expect((await client.offsets(gone)).map((p) => p.high)).toEqual([1n]);
    expect(await client.readPartition(gone, 0, 0n, 1n)).toHaveLength(1);

    await admin.deleteTopics({ topics: [gone] });
    const later = unique("meta-later-");
    await createTopic(later, 2);
    await send(later, 1, "b");
    expect((await client.offsets(later)).map((p) => p.high)).toEqual([0n, 1n]);
    expect(await client.readPartition(later, 1, 0n, 1n)).toHaveLength(1);
    expect(await client.groupOffsets(unique("meta-group-"), [later])).toEqual(new Map());

    // The deleted name comes back with more partitions: the client sees the new topic, not the old.
    await createTopic(gone, 3);
    expect((await client.offsets(gone)).map((p) => p.high)).toEqual([0n, 0n, 0n]);
  }, 120_000);
});
