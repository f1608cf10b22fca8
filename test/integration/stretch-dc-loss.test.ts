// Losing dc1 in the stretched cluster: with min.insync.replicas 3 > 2 replicas per DC, an acks=all
// produce fails with NOT_ENOUGH_REPLICAS, while the dc2 + dc3 controller majority keeps the cluster
// able to act (a topic can still be created).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Admin, Kafka } from "kafkajs";
import { errorTypes, eventually, kafkaFor, produceOnce, sandboxCli, unique } from "./sandbox.js";

let stretch: Kafka;
let admin: Admin;

beforeAll(async () => {
  // Connection retries stay on: clients bootstrap from every broker and must skip the dead dc1 ones.
  stretch = kafkaFor("stretch", { retries: 10 });
  admin = stretch.admin();
  await admin.connect();
});

afterAll(async () => {
  await sandboxCli("start", "stretch/dc1");
  await admin.disconnect();
});

describe("stretched cluster losing dc1", () => {
  it("is writable with acks=all while both DCs are up", async () => {
    const topic = unique("stretch-loss-");
    await admin.createTopics({
      topics: [
        {
          topic,
          numPartitions: 2,
          replicationFactor: 4,
          configEntries: [{ name: "min.insync.replicas", value: "3" }],
        },
      ],
      waitForLeaders: true,
    });
    expect(await produceOnce(stretch, topic)).toBeUndefined();

    await sandboxCli("stop", "stretch/dc1");

    // The controller fences dc1's brokers after broker.session.timeout.ms and shrinks the ISR to dc2.
    const error = await eventually(
      "acks=all produce to fail with NOT_ENOUGH_REPLICAS",
      async () => {
        const err = await produceOnce(stretch, topic);
        return errorTypes(err).includes("NOT_ENOUGH_REPLICAS") ? err : undefined;
      },
      60_000,
      1_000,
    );
    expect((error as Error).message).toMatch(/fewer in-sync replicas than required/);

    // Quorum: voters 1 (dc1, gone), 3 (dc2) and 5 (dc3) — two of three still elect a leader and
    // accept metadata changes.
    const probe = unique("quorum-probe-");
    await admin.createTopics({
      topics: [{ topic: probe, numPartitions: 1, replicationFactor: 2 }],
      waitForLeaders: true,
    });
    const meta = await admin.fetchTopicMetadata({ topics: [probe] });
    const partition = meta.topics[0]!.partitions[0]!;
    expect([3, 4], JSON.stringify(partition)).toContain(partition.leader);
    await admin.deleteTopics({ topics: [topic, probe] });
  });
});
