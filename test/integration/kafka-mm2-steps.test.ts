// MM2-facing steps against the sandbox's real MirrorMaker 2: replication health, translated offsets
// under identity and prefixed naming (checked against the checkpoints read independently), live
// groups refused, no silent rewind, stale checkpoints caught, and reverse flows created and removed.
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import type { Admin, Consumer, Kafka } from "kafkajs";
import { checkpointsTopic, decodeCheckpoint } from "../../src/kafka/mm2-records.js";
import { readTopicToEnd } from "../../src/adapters/kafka/read-topic.js";
import { eventually, kafkaFor, sandboxConfig, unique } from "./sandbox.js";
import { failure, StepHarness } from "./kafka-harness.js";
import { connectWorker, mm2Flows, port } from "../../sandbox/topology.js";

const COMMITTED = [15, 27];

let h: StepHarness;
let dc1: Kafka;
let dc2: Kafka;
let admin1: Admin;
let admin2: Admin;
const cleanup: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  h = new StepHarness();
  dc1 = kafkaFor("dc1");
  dc2 = kafkaFor("dc2");
  admin1 = dc1.admin();
  admin2 = dc2.admin();
  await Promise.all([admin1.connect(), admin2.connect()]);
});

afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
  await Promise.all([admin1.disconnect(), admin2.disconnect()]);
  await h.close();
});

/** A source topic with 40 keyed records and a group committed at COMMITTED on dc1, mirrored to dc2. */
async function mirroredGroup(prefix: string, remote: (t: string) => string) {
  const topic = unique(prefix);
  const group = unique("kafka-steps-app-");
  await admin1.createTopics({
    topics: [{ topic, numPartitions: 2, replicationFactor: 1 }],
    waitForLeaders: true,
  });
  cleanup.push(() => admin1.deleteTopics({ topics: [topic] }));
  const producer = dc1.producer();
  await producer.connect();
  for (const partition of [0, 1]) {
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: 40 }, (_, i) => ({
        partition,
        key: `k${i}`,
        value: `p${partition}-v${i}`,
      })),
    });
  }
  await producer.disconnect();
  const target = remote(topic);
  await eventually(
    `${target} on dc2`,
    async () => ((await admin2.listTopics()).includes(target) ? true : undefined),
    60_000,
  );
  cleanup.push(() => admin2.deleteTopics({ topics: [target] }));
  await eventually(
    `${target} fully replicated`,
    async () => ((await admin2.fetchTopicOffsets(target)).every((p) => p.high === "40") ? true : undefined),
    60_000,
  );
  await admin1.setOffsets({
    groupId: group,
    topic,
    partitions: COMMITTED.map((offset, partition) => ({ partition, offset: String(offset) })),
  });
  cleanup.push(() => admin1.deleteGroups([group]));
  cleanup.push(() => admin2.deleteGroups([group]));
  return { topic, group, target };
}

async function independentCheckpoints(group: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const r of await readTopicToEnd(dc2, checkpointsTopic("dc1"))) {
    if (!r.value) continue;
    const c = decodeCheckpoint(r.key, r.value);
    if (c.group === group) out[`${c.topic}/${c.partition}`] = Number(c.downstreamOffset);
  }
  return out;
}

/** Pauses or resumes a connector on the sandbox's dc2 worker and waits until every task says so. */
async function setConnectorPaused(name: string, paused: boolean): Promise<void> {
  const base = `http://127.0.0.1:${connectWorker.restPort}/connectors/${name}`;
  const res = await fetch(`${base}/${paused ? "pause" : "resume"}`, {
    method: "PUT",
    signal: AbortSignal.timeout(10_000),
  });
  expect(res.status).toBe(202);
  const want = paused ? "PAUSED" : "RUNNING";
  await eventually(
    `${name} ${want}`,
    async () => {
      const r = await fetch(`${base}/status`, { signal: AbortSignal.timeout(10_000) });
      const st = (await r.json()) as { connector: { state: string }; tasks: { state: string }[] };
      return st.connector.state === want && st.tasks.length > 0 && st.tasks.every((t) => t.state === want)
        ? true
        : undefined;
    },
    30_000,
    250,
  );
}

async function keyAt(topic: string, partition: number, offset: number): Promise<number> {
  const recs = await h.kafka
    .cluster("dc2")
    .readPartition(topic, partition, BigInt(offset), BigInt(offset) + 1n);
  return Number(recs[0]!.key!.toString().slice(1));
}

describe.each([
  { naming: "identity", flow: "dc1-to-dc2", prefix: "orders.", remote: (t: string) => t },
  { naming: "prefixed", flow: "dc1-to-dc2-prefixed", prefix: "payments.", remote: (t: string) => `dc1.${t}` },
])("translated offsets with $naming naming", ({ flow, prefix, remote }) => {
  let topic: string;
  let group: string;
  let target: string;

  beforeAll(async () => {
    ({ topic, group, target } = await mirroredGroup(prefix, remote));
  });

  it("checkReplication sees the mirrored topic, a fresh heartbeat and no lag", async () => {
    const out = await eventually(
      "replication lag to settle",
      async () => {
        const r = await h.run("kafka.checkReplication", { flow, maxHeartbeatAge: "30s" });
        return (r.outputs.lag as Record<string, number | null>)[topic] === 0 ? r.outputs : undefined;
      },
      60_000,
      2_000,
    );
    expect(out.sourceReachable).toBe(true);
    expect(out.missingTopics).not.toContain(target);
    expect(out.heartbeatAgeMs).toBeLessThan(30_000);
  });

  it("verifyTranslatedOffsets matches the checkpoints, never skips a record, and leaves no group behind", async () => {
    const groupsBefore = new Set(
      [...(await admin1.listGroups()).groups, ...(await admin2.listGroups()).groups].map((g) => g.groupId),
    );
    const out = await eventually(
      `checkpoints for ${group} on both partitions`,
      async () => {
        const r = await h
          .run("kafka.verifyTranslatedOffsets", { flow, groups: [group], maxCheckpointAge: "60s" })
          .catch(() => undefined);
        return r && (r.outputs.groups as Record<string, { partitions: number }>)[group]!.partitions === 2
          ? r.outputs
          : undefined;
      },
      90_000,
      2_000,
    );
    const translated = (out.translated as Record<string, Record<string, Record<string, number>>>)[group]!;
    expect(Object.keys(translated)).toEqual([target]);
    const independent = await independentCheckpoints(group);
    for (const p of [0, 1]) {
      const t = translated[target]![String(p)]!;
      expect(t).toBe(independent[`${target}/${p}`]);
      // Safe: the record at the translated offset is at or before the one the group would read next.
      const k = await keyAt(target, p, t);
      expect(k).toBeLessThanOrEqual(COMMITTED[p]!);
      expect(k).toBe(t); // a fresh topic mirrors offset for offset
    }
    // Consumers resume at the translated offsets and see again what they had consumed past them.
    const reprocess = COMMITTED.reduce((s, c, p) => s + c - translated[target]![String(p)]!, 0);
    expect((out.groups as Record<string, { reprocess: number }>)[group]!.reprocess).toBe(reprocess);
    expect(out.sourceReachable).toBe(true);
    expect(out.rpoMessages).toBe(0);
    expect(typeof out.reprocessWindow).toBe("number");
    expect(out.reprocessWindow).toBeGreaterThanOrEqual(0);
    const groupsAfter = [...(await admin1.listGroups()).groups, ...(await admin2.listGroups()).groups].map(
      (g) => g.groupId,
    );
    expect(groupsAfter.filter((g) => !groupsBefore.has(g) && /switchover/.test(g))).toEqual([]);
  });

  // The sandbox's MM2 also syncs translated offsets into dc2 (sync.group.offsets, every second, for
  // groups empty there) from a view of dc2's commits it refreshes on its own clock: once in four CI
  // runs it wrote over the revert's commit before the test read it back. Once the live-member case is
  // done, the flow's checkpoint connector is paused (every task PAUSED) so what dc2 holds is what the
  // step wrote; its checkpoints stay in the topic the step reads.
  it("applyTranslatedOffsets refuses live members, never rewinds silently, applies once, reverts", async () => {
    // A consumer running on dc2 in the same group: committing under it would be overwritten.
    const consumer: Consumer = dc2.consumer({ groupId: group, sessionTimeout: 10_000 });
    await consumer.connect();
    await consumer.subscribe({ topic: target });
    await consumer.run({ autoCommit: false, eachMessage: async () => undefined });
    try {
      const live = await eventually(
        "the dc2 consumer to join",
        async () => {
          const e = await failure(
            h.plan("kafka.applyTranslatedOffsets", { flow, groups: [group], maxCheckpointAge: "60s" }),
          ).catch(() => undefined);
          return e?.code === "CONFLICT" ? e : undefined;
        },
        30_000,
        1_000,
      );
      expect(live.message).toMatch(
        new RegExp(`${group} \\((Stable|PreparingRebalance|CompletingRebalance): switchover-test-dc2@`),
      );
      expect(live.message).toContain("stop these consumers first");
      // Issue 19: the read-only verification refuses the same group, so a failover stops there,
      // before it has paused a consumer or fenced MM2, not in apply-offsets after both.
      const early = await failure(
        h.plan("kafka.verifyTranslatedOffsets", { flow, groups: [group], maxCheckpointAge: "60s" }),
      );
      expect(early.code).toBe("CONFLICT");
      expect(early.message).toBe(live.message);
    } finally {
      await consumer.disconnect();
    }

    const checkpointConnector = mm2Flows.find((f) => f.id === flow)!.connectors.checkpoint;
    await setConnectorPaused(checkpointConnector, true);
    onTestFinished(() => setConnectorPaused(checkpointConnector, false));

    // Someone already consumed further on dc2: the translation is behind and must not win silently.
    await admin2.setOffsets({
      groupId: group,
      topic: target,
      partitions: [{ partition: 0, offset: "39" }],
    });
    const held = await h.plan("kafka.applyTranslatedOffsets", {
      flow,
      groups: [group],
      maxCheckpointAge: "60s",
    });
    expect(held.changes.find((c) => c.resource.endsWith("/partition/0"))).toBeUndefined();
    expect(held.outputs.notRewound).toEqual([
      expect.stringMatching(
        new RegExp(`^${group} ${target.replace(/\./g, "\\.")}-0: current 39 > translated \\d+$`),
      ),
    ]);

    const input = { flow, groups: [group], maxCheckpointAge: "60s", allowRewind: true };
    const applied = await h.run("kafka.applyTranslatedOffsets", input);
    const p0 = applied.plan.changes.find((c) => c.resource.endsWith("/partition/0"))!;
    expect(p0.from).toBe(39);
    const committed = await admin2.fetchOffsets({ groupId: group, topics: [target] });
    const translated = (applied.outputs.translated as Record<string, Record<string, Record<string, number>>>)[
      group
    ]![target]!;
    for (const p of committed[0]!.partitions) expect(Number(p.offset)).toBe(translated[String(p.partition)]);

    const again = await h.run("kafka.applyTranslatedOffsets", input);
    expect(again.plan.changes).toEqual([]);
    expect(again.before).toEqual({});

    const reverted = await h.revert("kafka.applyTranslatedOffsets", applied);
    expect(reverted!.plan.changes.map((c) => [c.field, c.to])).toContainEqual(["offset", 39]);
    const back = await admin2.fetchOffsets({ groupId: group, topics: [target] });
    expect(back[0]!.partitions.find((p) => p.partition === 0)!.offset).toBe("39");
  });
});

describe("bad input and a lost source", () => {
  it("names unknown groups and flows precisely", async () => {
    const err = await failure(
      h.plan("kafka.verifyTranslatedOffsets", { flow: "dc1-to-dc2", groups: ["no-such-group-x"] }),
    );
    expect(err.code).toBe("NOT_FOUND");
    expect(err.message).toContain("unknown group(s) for flow dc1-to-dc2: no-such-group-x");
    const flowErr = await failure(h.plan("kafka.verifyTranslatedOffsets", { flow: "nope" }));
    expect(flowErr.code).toBe("STEP_INPUT_INVALID");
    expect(flowErr.message).toContain('unknown replication flow "nope"');
  });

  it("with the source unreachable, reports the RPO as the age of the last replicated record", async () => {
    const { group, target } = await mirroredGroup("orders.", (t) => t);
    await eventually(
      `checkpoints for ${group}`,
      async () => ((await independentCheckpoints(group))[`${target}/1`] !== undefined ? true : undefined),
      90_000,
      2_000,
    );
    const config = sandboxConfig();
    config.clusters.dc1 = {
      ...config.clusters.dc1!,
      bootstrapServers: ["127.0.0.1:1"],
      connectionTimeoutMs: 1_000,
    };
    const lost = new StepHarness(config);
    try {
      const r = await lost.run("kafka.verifyTranslatedOffsets", {
        flow: "dc1-to-dc2",
        groups: [group],
        maxCheckpointAge: "60s",
      });
      expect(r.outputs.sourceReachable).toBe(false);
      expect(r.outputs.rpoAgeMs).toBeGreaterThan(0);
      expect(r.outputs.rpoAgeMs).toBeLessThan(300_000);
      // Without dc1 the window is an upper bound: every record on dc2 after the translated offset.
      const translated = await independentCheckpoints(group);
      const bound = [0, 1].reduce((sum, p) => sum + (40 - translated[`${target}/${p}`]!), 0);
      expect(r.outputs.reprocessWindow).toBe(bound);
      expect(r.outputs.reprocessWindowExact).toBe(false);
      expect(r.outputs.reprocessBasis).toContain("upper bound without dc1");
    } finally {
      await lost.close();
    }
  });
});

describe("MirrorMaker control", () => {
  it("checkReplication lists the records not replicated per partition from the source connector's committed offsets, whatever dc2 wrote itself", async () => {
    const { topic } = await mirroredGroup("orders.", (t) => t);
    const connect = h.kafka.connect("dc2-connect");
    await connect.pause("mm2-identity-source");
    try {
      await eventually(
        "source task paused",
        async () => {
          const st = await connect.status("mm2-identity-source");
          return st && st.tasks.length > 0 && st.tasks.every((t) => t.state === "PAUSED") ? true : undefined;
        },
        60_000,
      );
      const send = async (kafka: Kafka, counts: number[]) => {
        const producer = kafka.producer();
        await producer.connect();
        for (const [partition, n] of counts.entries())
          if (n > 0)
            await producer.send({
              topic,
              acks: -1,
              messages: Array.from({ length: n }, (_, i) => ({ partition, value: `late-${i}` })),
            });
        await producer.disconnect();
      };
      await send(dc1, [7, 3]);
      // Identity naming after a failover: producers write to the same topic on dc2.
      await send(dc2, [5, 0]);
      const r = await h.run("kafka.checkReplication", { flow: "dc1-to-dc2", requireTopics: false });
      const mine = (r.outputs.stranded as { topic: string }[]).filter((x) => x.topic === topic);
      expect(mine).toEqual([
        { topic, partition: 0, fromOffset: 40, toOffset: 46, count: 7 },
        { topic, partition: 1, fromOffset: 40, toOffset: 42, count: 3 },
      ]);
      expect((r.outputs.lag as Record<string, number>)[topic]).toBe(10);
      expect(r.outputs.lagBasis).toBe(
        "committed offsets of mm2-identity-source on Connect worker dc2-connect",
      );
    } finally {
      await connect.resume("mm2-identity-source");
    }
    await eventually(
      "the paused records replicated once resumed",
      async () => {
        const r = await h.run("kafka.checkReplication", { flow: "dc1-to-dc2", requireTopics: false });
        return (r.outputs.lag as Record<string, number>)[topic] === 0 ? true : undefined;
      },
      60_000,
      2_000,
    );
  });

  it("a paused checkpoint connector makes verification fail with the checkpoint age; resume recovers", async () => {
    const { group, topic } = await mirroredGroup("orders.", (t) => t);
    const input = { flow: "dc1-to-dc2", groups: [group], maxCheckpointAge: "4s" };
    await eventually("fresh checkpoints", () => h.run("kafka.verifyTranslatedOffsets", input), 90_000, 2_000);

    const paused = await h.run("mirror.pause", { flow: "dc1-to-dc2", connectors: ["checkpoint"] });
    cleanup.push(() => h.kafka.connect("dc2-connect").resume("mm2-identity-checkpoint"));
    expect(paused.plan.changes).toEqual([
      {
        resource: "dc2-connect/connector/mm2-identity-checkpoint",
        field: "state",
        from: "RUNNING",
        to: "PAUSED",
      },
    ]);
    expect(
      (await h.run("mirror.pause", { flow: "dc1-to-dc2", connectors: ["checkpoint"] })).plan.changes,
    ).toEqual([]);

    // Records keep flowing and the group moves on at the source while checkpointing is stopped.
    const producer = dc1.producer();
    await producer.connect();
    for (const partition of [0, 1])
      await producer.send({
        topic,
        acks: -1,
        messages: Array.from({ length: 100 }, (_, i) => ({ partition, key: `k${40 + i}`, value: "more" })),
      });
    await producer.disconnect();
    await eventually(
      `${topic} replicated to 140`,
      async () => ((await admin2.fetchTopicOffsets(topic)).every((p) => p.high === "140") ? true : undefined),
      60_000,
    );
    await admin1.setOffsets({
      groupId: group,
      topic,
      partitions: [
        { partition: 0, offset: "140" },
        { partition: 1, offset: "140" },
      ],
    });
    const stale = await eventually(
      "checkpoints to go stale",
      async () => {
        const e = await failure(h.plan("kafka.verifyTranslatedOffsets", input));
        return /newest checkpoint is/.test(e.message) ? e : undefined;
      },
      30_000,
      1_000,
    );
    expect(stale.code).toBe("VERIFY_FAILED");
    expect(stale.message).toMatch(
      new RegExp(`group ${group}: newest checkpoint is \\d+\\.\\d s old \\(limit 4\\.0 s\\)`),
    );

    const resumed = await h.revert("mirror.pause", paused);
    expect(resumed!.plan.changes[0]).toMatchObject({ from: "PAUSED", to: "RUNNING" });
    const fresh = await eventually(
      "fresh checkpoints again",
      () => h.run("kafka.verifyTranslatedOffsets", input),
      60_000,
      2_000,
    );
    expect((fresh.outputs.groups as Record<string, { pastCheckpoint: number }>)[group]!.pastCheckpoint).toBe(
      0,
    );
  });

  it("createFlow builds the reverse flow (dc2 → dc1), is idempotent, and reverts by removing it", async () => {
    const suffix = unique("-rev-");
    const topics = unique("kafka-steps-none-");
    const input = { reverseOf: "dc1-to-dc2", roles: ["source"], suffix, topics };
    const name = `mm2-identity-source${suffix}`;
    cleanup.push(() => h.kafka.connect("dc2-connect").remove(name));
    const created = await h.run("mirror.createFlow", input, { timeoutMs: 60_000 });
    const config = created.plan.changes[0]!.to as Record<string, string>;
    expect(created.plan.changes[0]!.from).toBeNull();
    expect(config).toMatchObject({
      name,
      "source.cluster.alias": "dc2",
      "target.cluster.alias": "dc1",
      "source.cluster.bootstrap.servers": `127.0.0.1:${port(29092)}`,
      "target.cluster.bootstrap.servers": `127.0.0.1:${port(19092)}`,
      topics,
    });
    expect((await h.kafka.connect("dc2-connect").status(name))?.state).toBe("RUNNING");
    expect((await h.run("mirror.createFlow", input)).plan.changes).toEqual([]);

    const bad = await failure(
      h.plan("mirror.createFlow", {
        connect: "dc2-connect",
        connectors: { [`${name}-bad`]: { ...config, "tasks.max": "many" } },
      }),
    );
    expect(bad.code).toBe("VALIDATION");
    expect(bad.message).toContain("tasks.max");

    await h.revert("mirror.createFlow", created);
    expect(await h.kafka.connect("dc2-connect").status(name)).toBeNull();
  });
});
