// switchover's Kafka clients against a broker whose only client listener demands SASL/SCRAM-SHA-512
// (the sandbox's opt-in secure-kafka node, brought up here through the sandbox CLI): the consumer-group
// observer (consumers.pause/resume verification) and the readiness check authenticate with the
// cluster's configured secret reference, and the broker really refuses a client that does not.
import { readFileSync } from "node:fs";
import { Kafka, logLevel } from "kafkajs";
import type { Admin, Consumer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGroupObserver } from "../../src/adapters/consumers/consumer-fleets.js";
import type { GroupObserver } from "../../src/adapters/consumers/group-observer.js";
import { kafkaClusterCheck } from "../../src/api/kafka-check.js";
import type { ClusterConfig } from "../../src/config/schema.js";
import { SwitchoverError } from "../../src/engine/errors.js";
import { secureClusterConfig } from "../../sandbox/environment.js";
import { sandboxPaths } from "../../sandbox/lib/paths.js";
import { secureKafkaNode } from "../../sandbox/topology.js";
import { eventually, sandboxCli, sandboxStatus, unique } from "./sandbox.js";

let cluster: ClusterConfig;
let startedHere = false;

/** The test's own kafkajs client, authenticated like any application on a secured estate. */
function testClient(c: ClusterConfig): Kafka {
  if (c.sasl?.mechanism !== "scram-sha-512" || !("file" in c.sasl.password)) throw new Error("no SCRAM user");
  return new Kafka({
    clientId: "switchover-test-secure",
    brokers: c.bootstrapServers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 5, initialRetryTime: 200 },
    sasl: {
      mechanism: "scram-sha-512",
      username: c.sasl.username,
      password: readFileSync(c.sasl.password.file, "utf8").trim(),
    },
  });
}

beforeAll(async () => {
  startedHere = !(await sandboxStatus()).optional.some((c) => c.id === secureKafkaNode.id && c.pid);
  await sandboxCli("up", secureKafkaNode.id, "--timeout", "180");
  cluster = secureClusterConfig(sandboxPaths());
});

afterAll(async () => {
  // Leave the sandbox as this file found it: the secured node is opt-in.
  if (startedHere) await sandboxCli("stop", secureKafkaNode.id);
});

describe("a cluster that demands SASL/SCRAM-SHA-512", () => {
  const topic = unique("sw-secure-");
  const group = unique("sw-secure-group-");
  let admin: Admin;
  let consumer: Consumer;
  let observer: GroupObserver;

  beforeAll(async () => {
    const kafka = testClient(cluster);
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({ topic, messages: [{ value: "a" }, { value: "b" }, { value: "c" }] });
    await producer.disconnect();
    consumer = kafka.consumer({ groupId: group, sessionTimeout: 10_000 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let seen = 0;
    await consumer.run({ eachMessage: async () => void seen++ });
    await eventually("the test consumer reads the three records", async () => (seen >= 3 ? true : undefined));
    observer = createGroupObserver({ secure: cluster });
  });

  afterAll(async () => {
    await observer?.close();
    await consumer?.disconnect();
    await admin?.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin?.disconnect();
  });

  it("the group observer authenticates: it sees the live member and the committed offsets", async () => {
    const members = await observer.members("secure", group);
    expect(members.state).toBe("Stable");
    expect(members.members).toHaveLength(1);
    expect(members.members[0]).toMatch(/^switchover-test-secure@/);
    const offsets = await eventually("the consumer's commit of offset 3", async () => {
      const committed = await observer.committedOffsets("secure", group);
      return committed[`${topic}/0`] === 3 ? committed : undefined;
    });
    expect(offsets).toEqual({ [`${topic}/0`]: 3 });
  });

  it("the readiness check authenticates and answers", async () => {
    await expect(
      kafkaClusterCheck("secure", cluster, 5_000).check(AbortSignal.timeout(5_000)),
    ).resolves.toBeUndefined();
  });

  it("without SASL the same broker refuses both (the listener really is secured)", async () => {
    const { sasl: _, ...plain } = cluster;
    const bare = createGroupObserver({ secure: plain });
    try {
      const err: unknown = await bare.members("secure", group).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(SwitchoverError);
      expect((err as SwitchoverError).message).toMatch(/^cluster secure: /);
    } finally {
      await bare.close();
    }
    await expect(
      kafkaClusterCheck("secure", plain, 3_000).check(AbortSignal.timeout(3_000)),
    ).rejects.toThrow();
  });
});
