import { describe, expect, it } from "vitest";
import {
  isInternalTopic,
  matchesWhere,
  matchNames,
  survivingReplicas,
  topicSelectionSchema,
} from "./topic-selection.js";
import type { SelectionFacts } from "./topic-selection.js";

const brokers = [
  { nodeId: 1, host: "h", port: 1, rack: "dc1" },
  { nodeId: 2, host: "h", port: 2, rack: "dc1" },
  { nodeId: 3, host: "h", port: 3, rack: "dc2" },
  { nodeId: 4, host: "h", port: 4, rack: "dc2" },
];
const part = (partition: number, replicas: number[], isr = replicas) => ({
  partition,
  leader: replicas[0]!,
  replicas,
  isr,
  offline: [],
});

function facts(): SelectionFacts {
  return {
    brokers,
    states: new Map([
      ["orders", { topic: "orders", partitions: [part(0, [1, 3, 2, 4]), part(1, [3, 1, 4, 2])] }],
      ["audit", { topic: "audit", partitions: [part(0, [1, 3, 2, 4])] }],
      ["local", { topic: "local", partitions: [part(0, [3, 4], [3])] }],
    ]),
    minIsr: new Map([
      ["orders", 3],
      ["audit", 2],
      ["local", 2],
    ]),
  };
}

describe("topic selection", () => {
  it("treats Kafka and MM2/Connect bookkeeping topics as internal", () => {
    for (const t of [
      "__consumer_offsets",
      "dc1.checkpoints.internal",
      "mm2-offset-syncs.dc2.internal",
      "heartbeats",
      "dc1.heartbeats",
      "mm2-configs",
      "connect-offsets",
    ])
      expect(isInternalTopic(t), t).toBe(true);
    for (const t of ["orders", "dc1.orders", "heartbeat-service"]) expect(isInternalTopic(t), t).toBe(false);
  });

  it("matches whole names by pattern, skips internal topics unless named or included", () => {
    const all = ["orders", "orders-eu", "payments", "__consumer_offsets", "heartbeats"];
    expect(matchNames(all, topicSelectionSchema.parse({ pattern: "orders" }))).toEqual(["orders"]);
    expect(matchNames(all, topicSelectionSchema.parse({ pattern: ".*" }))).toEqual([
      "orders",
      "orders-eu",
      "payments",
    ]);
    expect(
      matchNames(all, topicSelectionSchema.parse({ pattern: ".*", includeInternal: true })),
    ).toHaveLength(5);
    expect(matchNames(all, topicSelectionSchema.parse({ names: ["heartbeats", "orders"] }))).toEqual([
      "heartbeats",
      "orders",
    ]);
    expect(() => matchNames(all, topicSelectionSchema.parse({ names: ["nope", "orders"] }))).toThrow(
      "unknown topic(s): nope",
    );
  });

  it("rejects empty selections and invalid regular expressions at validation", () => {
    expect(topicSelectionSchema.safeParse({}).success).toBe(false);
    const bad = topicSelectionSchema.safeParse({ pattern: "([" });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toMatch(/^invalid regular expression/);
  });

  it("finds topics whose min.insync.replicas exceeds the replicas left outside the failed racks", () => {
    const f = facts();
    const where = { minIsrExceedsSurvivingReplicas: { failedRacks: ["dc1"] } };
    expect(["orders", "audit", "local"].filter((t) => matchesWhere(t, where, f))).toEqual(["orders"]);
    // dc1's brokers already gone from the live list: the same answer without naming the rack
    const gone = { ...f, brokers: brokers.filter((b) => b.rack === "dc2") };
    expect(
      ["orders", "audit", "local"].filter((t) =>
        matchesWhere(t, { minIsrExceedsSurvivingReplicas: { failedRacks: [] } }, gone),
      ),
    ).toEqual(["orders"]);
    expect(survivingReplicas([1, 3, 2, 4], brokers, ["dc2"])).toBe(2);
  });

  it("combines replica-location and under-replication predicates", () => {
    const f = facts();
    expect(
      ["orders", "audit", "local"].filter((t) => matchesWhere(t, { hasReplicasOn: { racks: ["dc1"] } }, f)),
    ).toEqual(["orders", "audit"]);
    expect(
      ["orders", "audit", "local"].filter((t) =>
        matchesWhere(t, { hasReplicasOn: { brokers: [4] }, underReplicated: true }, f),
      ),
    ).toEqual(["local"]);
  });

  it("counts replicas on brokers no longer live as on the lost racks (their rack is unknown then)", () => {
    // dc1 lost: brokers 1 and 2 are gone from the broker list, their replicas still assigned.
    const gone = { ...facts(), brokers: brokers.filter((b) => b.rack === "dc2") };
    expect(
      ["orders", "audit", "local"].filter((t) =>
        matchesWhere(t, { hasReplicasOn: { racks: ["dc1"] } }, gone),
      ),
    ).toEqual(["orders", "audit"]);
    // By broker id only, nothing is inferred.
    expect(
      ["orders", "audit", "local"].filter((t) => matchesWhere(t, { hasReplicasOn: { brokers: [9] } }, gone)),
    ).toEqual([]);
  });
});
