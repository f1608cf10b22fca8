// DR posture of the stretched cluster, confirmed against the real thing: the consistency-first topics
// it reports as blocking on dc1 loss really refuse acks=all writes once dc1 is stopped, and while
// dc1 is down a fresh topic's ISR lies entirely in dc2 and is reported so. dc1 is started again.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Admin, Kafka } from "kafkajs";
import { createKafkaAdapter } from "../../src/adapters/kafka/kafka-adapter.js";
import type { KafkaAdapter } from "../../src/adapters/kafka/kafka-adapter.js";
import { PostureService } from "../../src/posture/posture-service.js";
import { renderPosture } from "../../src/posture/render-posture.js";
import {
  errorTypes,
  eventually,
  kafkaFor,
  produceOnce,
  sandboxCli,
  sandboxConfig,
  unique,
} from "./sandbox.js";

let stretch: Kafka;
let admin: Admin;
let kafka: KafkaAdapter;
let posture: PostureService;
const fresh = unique("posture-isr-");

beforeAll(async () => {
  stretch = kafkaFor("stretch", { retries: 10 });
  admin = stretch.admin();
  await admin.connect();
  kafka = createKafkaAdapter(sandboxConfig());
  posture = new PostureService(kafka);
  await admin.createTopics({
    topics: [
      {
        topic: fresh,
        numPartitions: 2,
        replicationFactor: 4,
        configEntries: [{ name: "min.insync.replicas", value: "2" }],
      },
    ],
    waitForLeaders: true,
  });
});

afterAll(async () => {
  await sandboxCli("start", "stretch/dc1");
  await admin.deleteTopics({ topics: [fresh] }).catch(() => undefined);
  await admin.disconnect();
  await kafka.close();
});

describe("posture of the stretched cluster", () => {
  it("reports the RF 4 / min ISR 3 topics as consistency-first, blocking acks=all writes on dc1 loss", async () => {
    const p = await posture.cluster("stretch");
    expect(p.datacenters).toEqual(["dc1", "dc2", "dc3"]);
    if ("error" in p.quorum) throw new Error(p.quorum.error);
    expect(p.quorum.votersPerDatacenter).toEqual({ dc1: 1, dc2: 1, dc3: 1 });
    expect(p.quorum.voters.find((v) => v.nodeId === 5)).toMatchObject({
      datacenter: "dc3",
      placedBy: "controllerDatacenters",
    });
    expect(p.quorum.afterLossOf.dc1).toEqual({ remaining: 2, majority: true });
    for (const name of ["stretch-orders", "stretch-payments"]) {
      const t = p.topics.find((x) => x.topic === name)!;
      expect(t).toMatchObject({
        mode: "consistency-first",
        replicationFactor: 4,
        minInsyncReplicas: 3,
        replicasPerDatacenter: { dc1: 2, dc2: 2 },
      });
      expect(t.writesStopOnLossOf).toContain("dc1");
      const f = p.findings.find(
        (x) => x.rule === "topic.consistency-first" && x.subject.name === `stretch/${name}`,
      );
      expect(f?.onLossOf).toContain("dc1");
      expect(f?.fix).toMatch(/min.insync.replicas=2/);
    }
    // The fresh topic (min ISR 2) survives either DC: availability-first.
    expect(p.topics.find((x) => x.topic === fresh)?.mode).toBe("availability-first");
    const dc1 = p.summary.lossOf.find((l) => l.datacenter === "dc1")!;
    expect(dc1.topicsStopWrites).toBeGreaterThanOrEqual(2);
    expect(dc1.quorumKeepsMajority).toBe(true);
    expect(renderPosture(p)).toMatch(/losing dc1 now: \d+ of \d+ topics stop accepting acks=all writes/);
  });

  it("is right: with dc1 stopped, acks=all writes to those topics fail and the fresh topic's ISR sits in dc2 alone", async () => {
    expect(await produceOnce(stretch, "stretch-orders")).toBeUndefined();
    await sandboxCli("stop", "stretch/dc1");

    // First failures may be the lost leaders' connections; the broker's verdict follows once
    // leadership moved to dc2: not enough in-sync replicas for acks=all.
    const err = await eventually(
      "acks=all writes to stretch-orders to fail with NOT_ENOUGH_REPLICAS",
      async () => {
        const e = await produceOnce(stretch, "stretch-orders");
        return errorTypes(e).some((t) => t.startsWith("NOT_ENOUGH_REPLICAS")) ? e : undefined;
      },
      90_000,
      1_000,
    );
    expect(errorTypes(err).join(" ")).toMatch(/NOT_ENOUGH_REPLICAS/);
    expect(
      await eventually("acks=all writes to the fresh (min ISR 2) topic to work", async () =>
        (await produceOnce(stretch, fresh)) === undefined ? true : undefined,
      ),
    ).toBe(true);

    const p = await eventually(
      "the fresh topic's ISR to shrink into dc2",
      async () => {
        const r = await posture.cluster("stretch");
        const t = r.topics.find((x) => x.topic === fresh);
        return t && t.isrSingleDatacenter.length === 2 ? r : undefined;
      },
      90_000,
      1_000,
    );
    const f = p.findings.find(
      (x) => x.rule === "partition.isr-single-datacenter" && x.subject.name.startsWith(`stretch/${fresh}/`),
    );
    expect(f?.severity).toBe("critical");
    expect(f?.onLossOf).toEqual(["dc2"]);
    expect(f?.message).toMatch(/ISR lies entirely in dc2/);
    // The consistency-first topics are now under min ISR: writes fail now, not only on a DC loss.
    expect(
      p.findings.some(
        (x) => x.rule === "partition.under-min-isr" && x.subject.name.startsWith("stretch/stretch-orders/"),
      ),
    ).toBe(true);

    await sandboxCli("start", "stretch/dc1");
    await eventually(
      "the fresh topic's ISR to span both DCs again",
      async () => {
        const r = await posture.cluster("stretch");
        const t = r.topics.find((x) => x.topic === fresh);
        return t && t.isrSingleDatacenter.length === 0 && t.underMinIsr.length === 0 ? true : undefined;
      },
      120_000,
      1_000,
    );
    expect(
      await eventually("acks=all writes to succeed again", async () =>
        (await produceOnce(stretch, "stretch-orders")) === undefined ? true : undefined,
      ),
    ).toBe(true);
  });
});
