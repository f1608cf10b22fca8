import { describe, expect, it } from "vitest";
import { assessPair } from "./pair-posture.js";
import type { PairFacts } from "./pair-posture.js";

/** A flow whose two sides agree on everything, with its source connector configured as given. */
function facts(sourceConfig: Record<string, string>): PairFacts {
  const topics = new Map([["orders", { partitions: 1, overrides: {} }]]);
  return {
    flow: {
      name: "dc1-to-dc2",
      source: "dc1",
      target: "dc2",
      sourceAlias: "dc1",
      targetAlias: "dc2",
      naming: "identity",
      separator: ".",
      topics: "orders",
      connect: "dc2-connect",
      connectors: { source: "mm2-source", checkpoint: "mm2-checkpoint" },
    },
    now: 10_000,
    sourceTopics: { ok: true, value: topics },
    targetTopics: { ok: true, value: topics },
    sourceAcls: { ok: true, value: [] },
    targetAcls: { ok: true, value: [] },
    groups: { ok: true, value: new Map() },
    checkpoints: { ok: true, value: new Map() },
    heartbeatAt: { ok: true, value: 9_500 },
    connectors: {
      ok: true,
      value: [
        {
          name: "mm2-source",
          role: "source",
          state: "RUNNING",
          config: { "source.cluster.receive.buffer.bytes": "-1", ...sourceConfig },
        },
        { name: "mm2-checkpoint", role: "checkpoint", state: "RUNNING", config: {} },
      ],
    },
  };
}

const rule = (c: Record<string, string>) =>
  assessPair(facts(c)).findings.filter((f) => f.rule === "mirror.reads-uncommitted");

describe("pair posture: mirror.reads-uncommitted", () => {
  it("flags a source connector that reads uncommitted (Kafka's default), naming what it costs and the fix", () => {
    const [f] = rule({});
    expect(f).toMatchObject({ severity: "warning", subject: { kind: "connector", name: "mm2-source" } });
    expect(f!.message).toContain("isolation.level=read_uncommitted (Kafka default)");
    expect(f!.message).toContain("aborted on dc1 reach dc2 as ordinary records");
    expect(f!.fix).toBe("set source.consumer.isolation.level=read_committed on mm2-source");
    expect(rule({ "source.consumer.isolation.level": "read_uncommitted" })).toHaveLength(1);
  });

  it("is satisfied by read_committed on the source consumer, under each prefix MM2 reads it from", () => {
    for (const key of [
      "source.consumer.isolation.level",
      "consumer.isolation.level",
      "source.cluster.isolation.level",
    ]) {
      expect(rule({ [key]: "read_committed" }), key).toEqual([]);
    }
    // The target's consumer is another client: it does not count.
    expect(rule({ "target.consumer.isolation.level": "read_committed" })).toHaveLength(1);
  });
});
