import { describe, expect, it } from "vitest";
import { clusterSchema } from "../config/schema.js";
import type { PartitionState, QuorumDescription } from "../kafka/cluster-state.js";
import { assessCluster, VOTER_ALIVE_MS } from "./cluster-posture.js";
import type { ClusterFacts, TopicConfigFacts } from "./cluster-posture.js";

const NOW = 1_000_000;

/** Brokers 1, 2 in rack dc1 and 3, 4 in rack dc2 (rack = datacenter); no topics; a healthy quorum. */
function facts(over: Partial<ClusterFacts> = {}): ClusterFacts {
  return {
    cluster: "stretch",
    config: clusterSchema.parse({ bootstrapServers: ["localhost:9092"] }),
    brokers: [
      { nodeId: 1, rack: "dc1" },
      { nodeId: 2, rack: "dc1" },
      { nodeId: 3, rack: "dc2" },
      { nodeId: 4, rack: "dc2" },
    ],
    quorum: quorum(1, [1, 3]),
    topics: [],
    configs: new Map(),
    now: NOW,
    ...over,
  };
}

/** A quorum led by `leader`; voters in `stale` last fetched twice VOTER_ALIVE_MS ago. */
function quorum(leader: number, ids: number[], stale: number[] = []): QuorumDescription {
  return {
    errorCode: 0,
    leaderId: leader,
    leaderEpoch: 1,
    highWatermark: 10n,
    observers: [],
    voters: ids.map((id) => ({
      replicaId: id,
      logEndOffset: 10n,
      lastFetchTimestamp: stale.includes(id) ? NOW - 2 * VOTER_ALIVE_MS : NOW,
      lastCaughtUpTimestamp: NOW,
    })),
  };
}

function part(partition: number, replicas: number[], isr = replicas): PartitionState {
  return { partition, leader: replicas[0]!, replicas, isr, offline: [] };
}

function topic(name: string, partitions: PartitionState[], cfg?: Partial<TopicConfigFacts>) {
  return {
    topics: [{ topic: name, partitions }],
    configs: new Map([[name, { minIsr: 1, unclean: false, uncleanSet: false, ...cfg }]]),
  };
}

const fired = (f: ClusterFacts, rule: string) => assessCluster(f).findings.filter((x) => x.rule === rule);

describe("cluster posture: brokers", () => {
  it("broker.rack-missing: a broker without broker.rack is a warning naming the broker and the fix", () => {
    const f = facts({ brokers: [...facts().brokers, { nodeId: 5, rack: null }] });
    expect(fired(f, "broker.rack-missing")).toEqual([
      {
        severity: "warning",
        rule: "broker.rack-missing",
        subject: { kind: "cluster", name: "stretch/broker/5" },
        message: "broker 5 has no broker.rack, so its datacenter is unknown and placement cannot be judged",
        onLossOf: [],
        fix: "set broker.rack on broker 5 (and map racks to datacenters with clusters.stretch.racks)",
      },
    ]);
    expect(fired(facts(), "broker.rack-missing")).toEqual([]);
  });
});

describe("cluster posture: controller quorum", () => {
  it("quorum.dc-loss-loses-majority: two voters, one per DC, lose the majority on either loss", () => {
    const found = fired(facts(), "quorum.dc-loss-loses-majority");
    expect(found.map((x) => [x.severity, x.subject.name, x.onLossOf])).toEqual([
      ["critical", "stretch/voters/1", ["dc1"]],
      ["critical", "stretch/voters/3", ["dc2"]],
    ]);
    expect(found[0]!.message).toBe(
      "losing dc1 leaves 1 of 2 voters alive (2 needed): the cluster loses its controller and stops",
    );
  });

  it("is satisfied by a tie-breaker voter placed in a third site", () => {
    const config = clusterSchema.parse({ bootstrapServers: ["x:1"], controllerDatacenters: { "9": "dc3" } });
    const f = facts({ config, quorum: quorum(1, [1, 3, 9]) });
    expect(fired(f, "quorum.dc-loss-loses-majority")).toEqual([]);
    const q = assessCluster(f).quorum;
    expect("error" in q ? q : q.afterLossOf).toEqual({
      dc1: { remaining: 2, majority: true },
      dc2: { remaining: 2, majority: true },
      dc3: { remaining: 2, majority: true },
    });
  });

  it("quorum.voter-datacenter-unknown and quorum.voter-not-fetching name the voter", () => {
    const f = facts({ quorum: quorum(1, [1, 3, 9], [3]) });
    expect(fired(f, "quorum.voter-datacenter-unknown").map((x) => x.subject.name)).toEqual([
      "stretch/voter/9",
    ]);
    expect(fired(f, "quorum.voter-datacenter-unknown")[0]!.fix).toBe(
      'set clusters.stretch.controllerDatacenters: {"9": <dc>} in the environment file',
    );
    const [stale] = fired(f, "quorum.voter-not-fetching");
    expect(stale!.subject.name).toBe("stretch/voter/3");
    expect(stale!.message).toBe(
      "voter 3 (dc2) has not fetched from the leader for 30 s; one more voter loss may cost the majority",
    );
  });

  it("quorum.undescribed: a failed DescribeQuorum is a warning and leaves the summary's quorum unknown", () => {
    const p = assessCluster(facts({ quorum: { error: "not authorized" } }));
    expect(p.quorum).toEqual({ error: "not authorized" });
    expect(p.findings.map((x) => x.rule)).toEqual(["quorum.undescribed"]);
    expect(p.findings[0]!.message).toBe("the controller quorum could not be described: not authorized");
    expect(p.summary.lossOf.map((l) => l.quorumKeepsMajority)).toEqual([null, null]);
    expect(p.summary.lines[0]).toBe(
      "losing dc1 now: 0 of 0 topics stop accepting acks=all writes, 0 go offline, controller quorum unknown",
    );
  });
});

describe("cluster posture: topics", () => {
  it("an even placement with RF − min.insync.replicas ≥ replicas per DC is availability-first, no finding", () => {
    const p = assessCluster(facts(topic("orders", [part(0, [1, 3])])));
    expect(p.topics[0]).toMatchObject({ mode: "availability-first", writesStopOnLossOf: [] });
    expect(p.findings.filter((x) => x.subject.kind !== "voter")).toEqual([]);
  });

  it("topic.consistency-first: min.insync.replicas above what one DC's loss leaves", () => {
    const [f] = fired(
      facts(topic("orders", [part(0, [1, 2, 3, 4])], { minIsr: 3 })),
      "topic.consistency-first",
    );
    expect(f).toMatchObject({ severity: "warning", subject: { kind: "topic", name: "stretch/orders" } });
    expect(f!.onLossOf).toEqual(["dc1", "dc2"]);
    expect(f!.message).toBe(
      "min.insync.replicas=3 > RF 4 minus the replicas of any one DC (2 in dc1, 2 in dc2): losing a DC blocks acks=all writes until min.insync.replicas is lowered",
    );
    expect(f!.fix).toContain("kafka.setTopicConfig min.insync.replicas=2 for a DC loss");
  });

  it("topic.asymmetric-placement: only the heavier DC's loss blocks writes", () => {
    const [f] = fired(
      facts(topic("orders", [part(0, [1, 2, 3])], { minIsr: 2 })),
      "topic.asymmetric-placement",
    );
    expect(f!.onLossOf).toEqual(["dc1"]);
    expect(f!.message).toBe(
      "replicas are placed unevenly (2 in dc1, 1 in dc2): losing dc1 blocks acks=all writes, losing the other DC does not",
    );
  });

  it("topic.single-datacenter: every replica in one DC is critical on its loss", () => {
    const [f] = fired(facts(topic("orders", [part(0, [1, 2])])), "topic.single-datacenter");
    expect(f).toMatchObject({ severity: "critical", onLossOf: ["dc1"] });
    expect(f!.message).toBe("every replica is in dc1: losing it takes the topic offline");
  });

  it("partition.isr-single-datacenter and partition.under-min-isr list the partitions (eight, then a count)", () => {
    const parts = Array.from({ length: 10 }, (_, i) => part(i, [1, 3], [1]));
    const f = facts(topic("orders", parts, { minIsr: 2 }));
    const [isr] = fired(f, "partition.isr-single-datacenter");
    expect(isr!.subject).toEqual({
      kind: "partition",
      name: "stretch/orders/0, 1, 2, 3, 4, 5, 6, 7 and 2 more",
    });
    expect(isr!.onLossOf).toEqual(["dc1"]);
    expect(isr!.message).toContain("their current ISR lies entirely in dc1");
    const [under] = fired(f, "partition.under-min-isr");
    expect(under!.message).toBe(
      "partitions 0, 1, 2, 3, 4, 5, 6, 7 and 2 more have fewer in-sync replicas than min.insync.replicas=2: acks=all writes fail now",
    );
    const p = assessCluster(f);
    expect(p.topics[0]).toMatchObject({ writesStopOnLossOf: ["dc1", "dc2"], offlineOnLossOf: ["dc1"] });
    expect(p.summary.lines).toEqual([
      "losing dc1 now: 1 of 1 topics stop accepting acks=all writes, 1 go offline, controller quorum LOSES its majority (cluster stops)",
      "losing dc2 now: 1 of 1 topics stop accepting acks=all writes, 0 go offline, controller quorum LOSES its majority (cluster stops)",
    ]);
  });

  it("topic.unclean-leader-election: a warning when set to true, information when set to false, nothing by default", () => {
    const on = fired(
      facts(topic("orders", [part(0, [1, 3])], { unclean: true, uncleanSet: true })),
      "topic.unclean-leader-election",
    );
    expect(on.map((x) => [x.severity, x.onLossOf])).toEqual([["warning", ["dc1", "dc2"]]]);
    expect(on[0]!.fix).toContain("--entity-name orders --delete-config unclean.leader.election.enable");
    const off = fired(
      facts(topic("orders", [part(0, [1, 3])], { uncleanSet: true })),
      "topic.unclean-leader-election",
    );
    expect(off.map((x) => [x.severity, x.message])).toEqual([
      ["info", "unclean.leader.election.enable is set explicitly to false"],
    ]);
    expect(fired(facts(topic("orders", [part(0, [1, 3])])), "topic.unclean-leader-election")).toEqual([]);
  });

  it("a single-site cluster has no per-DC findings and says the whole cluster goes with its DC", () => {
    const config = clusterSchema.parse({ bootstrapServers: ["x:1"], datacenter: "dc1" });
    const p = assessCluster(facts({ config, ...topic("orders", [part(0, [1, 2])], { minIsr: 2 }) }));
    expect(p.datacenters).toEqual(["dc1"]);
    expect(p.findings).toEqual([]);
    expect(p.summary).toEqual({
      lossOf: [],
      lines: [
        "losing dc1 now: the whole cluster (1 topics) is unavailable; recovery depends on its mirrored pair",
      ],
    });
  });
});
