// The cluster posture checks as a table of small rules. A cluster rule looks at the whole cluster
// (brokers, the controller quorum); a topic rule at one topic. Each returns its findings, possibly
// none; the assessment runs both tables and sorts what they return.
import { UNKNOWN_DC } from "./datacenters.js";
import type { Finding } from "./finding.js";
import type { ClusterContext, ClusterFacts, TopicAssessment } from "./cluster-view.js";

export type ClusterRule = (facts: ClusterFacts, ctx: ClusterContext) => Finding[];
export type TopicRule = (topic: TopicAssessment, ctx: ClusterContext) => Finding[];

function list(ns: number[], max = 8): string {
  return ns.length <= max ? ns.join(", ") : `${ns.slice(0, max).join(", ")} and ${ns.length - max} more`;
}

export const brokerRackMissing: ClusterRule = (f, ctx) =>
  ctx.brokers
    .filter((b) => b.datacenter === UNKNOWN_DC)
    .map((b) => ({
      severity: "warning",
      rule: "broker.rack-missing",
      subject: { kind: "cluster", name: `${f.cluster}/broker/${b.nodeId}` },
      message: `broker ${b.nodeId} has no broker.rack, so its datacenter is unknown and placement cannot be judged`,
      onLossOf: [],
      fix: `set broker.rack on broker ${b.nodeId} (and map racks to datacenters with clusters.${f.cluster}.racks)`,
    }));

export const quorumUndescribed: ClusterRule = (f, ctx) =>
  "error" in ctx.quorum
    ? [
        {
          severity: "warning",
          rule: "quorum.undescribed",
          subject: { kind: "cluster", name: f.cluster },
          message: `the controller quorum could not be described: ${ctx.quorum.error}`,
          onLossOf: [],
          fix: "grant DESCRIBE on CLUSTER to switchover's principal (DescribeQuorum needs it) and check the brokers run KRaft",
        },
      ]
    : [];

export const quorumDcLossLosesMajority: ClusterRule = (f, ctx) => {
  const q = ctx.quorum;
  if ("error" in q || ctx.datacenters.size <= 1) return [];
  return ctx.knownDcs
    .filter((dc) => q.afterLossOf[dc]?.majority === false)
    .map((dc) => {
      const remaining = q.afterLossOf[dc]?.remaining ?? 0;
      const inDc = q.voters.filter((v) => v.datacenter === dc).map((v) => v.nodeId);
      return {
        severity: "critical",
        rule: "quorum.dc-loss-loses-majority",
        subject: { kind: "voter", name: `${f.cluster}/voters/${inDc.join(",") || "-"}` },
        message: `losing ${dc} leaves ${remaining} of ${q.voters.length} voters alive (${q.majority} needed): the cluster loses its controller and stops`,
        onLossOf: [dc],
        fix: "place voters so that no datacenter holds a majority: e.g. one voter in each of two DCs plus a tie-breaker voter in a third site (2.5 DC)",
      };
    });
};

export const quorumVoterDatacenterUnknown: ClusterRule = (f, ctx) =>
  ("error" in ctx.quorum ? [] : ctx.quorum.voters)
    .filter((v) => v.datacenter === UNKNOWN_DC)
    .map((v) => ({
      severity: "warning",
      rule: "quorum.voter-datacenter-unknown",
      subject: { kind: "voter", name: `${f.cluster}/voter/${v.nodeId}` },
      message: `voter ${v.nodeId} is not a broker and has no configured datacenter; it is counted as surviving every DC loss`,
      onLossOf: [],
      fix: `set clusters.${f.cluster}.controllerDatacenters: {"${v.nodeId}": <dc>} in the environment file`,
    }));

export const quorumVoterNotFetching: ClusterRule = (f, ctx) =>
  ("error" in ctx.quorum ? [] : ctx.quorum.voters)
    .filter((v) => !v.alive)
    .map((v) => ({
      severity: "warning",
      rule: "quorum.voter-not-fetching",
      subject: { kind: "voter", name: `${f.cluster}/voter/${v.nodeId}` },
      message: `voter ${v.nodeId} (${v.datacenter}) has not fetched from the leader for ${v.lastFetchAgeMs === null ? "ever" : `${Math.round(v.lastFetchAgeMs / 1000)} s`}; one more voter loss may cost the majority`,
      onLossOf: [],
      fix: `bring controller ${v.nodeId} back (check its process, disk and network to the quorum leader)`,
    }));

const topicSubject = (ctx: ClusterContext, t: TopicAssessment) =>
  ({ kind: "topic", name: `${ctx.cluster}/${t.view.topic}` }) as const;

const perDcText = (t: TopicAssessment) =>
  Object.entries(t.view.replicasPerDatacenter)
    .map(([d, n]) => `${n} in ${d}`)
    .join(", ");

export const topicConsistencyFirst: TopicRule = (t, ctx) => {
  const { minInsyncReplicas: minIsr, replicationFactor: rf, replicasPerDatacenter } = t.view;
  if (!ctx.multiDc || t.view.mode !== "consistency-first") return [];
  const lowered = Math.max(1, rf - Math.max(...Object.values(replicasPerDatacenter)));
  return [
    {
      severity: "warning",
      rule: "topic.consistency-first",
      subject: topicSubject(ctx, t),
      message: `min.insync.replicas=${minIsr} > RF ${rf} minus the replicas of any one DC (${perDcText(t)}): losing a DC blocks acks=all writes until min.insync.replicas is lowered`,
      onLossOf: [...t.structuralBlock],
      fix: `accept it (consistency first) and keep a runbook step kafka.setTopicConfig min.insync.replicas=${lowered} for a DC loss, or raise RF / lower min.insync.replicas so that RF − min.insync.replicas ≥ replicas per DC`,
    },
  ];
};

export const topicAsymmetricPlacement: TopicRule = (t, ctx) =>
  ctx.multiDc && t.view.mode === "mixed"
    ? [
        {
          severity: "warning",
          rule: "topic.asymmetric-placement",
          subject: topicSubject(ctx, t),
          message: `replicas are placed unevenly (${perDcText(t)}): losing ${t.structuralBlock.join(" or ")} blocks acks=all writes, losing the other DC does not`,
          onLossOf: [...t.structuralBlock],
          fix: "reassign partitions so each DC holds the same number of replicas (kafka.reassignPartitions)",
        },
      ]
    : [];

export const topicSingleDatacenter: TopicRule = (t, ctx) =>
  ctx.multiDc && t.view.mode === "single-datacenter"
    ? [
        {
          severity: "critical",
          rule: "topic.single-datacenter",
          subject: topicSubject(ctx, t),
          message: `every replica is in ${t.placedIn[0] ?? UNKNOWN_DC}: losing it takes the topic offline`,
          onLossOf: [...t.placedIn],
          fix: "reassign partitions so replicas span the datacenters (kafka.reassignPartitions), or rely on a mirrored copy",
        },
      ]
    : [];

export const partitionIsrSingleDatacenter: TopicRule = (t, ctx) => {
  const partitions = t.view.isrSingleDatacenter;
  if (partitions.length === 0) return [];
  const where = [
    ...new Set(
      t.state.partitions
        .filter((p) => partitions.includes(p.partition))
        .flatMap((p) => p.isr.map((r) => ctx.place.ofBroker(r))),
    ),
  ];
  return [
    {
      severity: "critical",
      rule: "partition.isr-single-datacenter",
      subject: { kind: "partition", name: `${ctx.cluster}/${t.view.topic}/${list(partitions)}` },
      message: `partitions ${list(partitions)} have replicas in several DCs but their current ISR lies entirely in ${where.join(", ")}: losing it leaves no in-sync replica (offline, or data loss with an unclean election)`,
      onLossOf: [...where].sort(),
      fix: "find why the other DC's replicas left the ISR (broker down, replication lag over the WAN, throttles) and restore them before relying on this DC pair",
    },
  ];
};

export const partitionUnderMinIsr: TopicRule = (t, ctx) => {
  const partitions = t.view.underMinIsr;
  if (partitions.length === 0) return [];
  return [
    {
      severity: "critical",
      rule: "partition.under-min-isr",
      subject: { kind: "partition", name: `${ctx.cluster}/${t.view.topic}/${list(partitions)}` },
      message: `partitions ${list(partitions)} have fewer in-sync replicas than min.insync.replicas=${t.view.minInsyncReplicas}: acks=all writes fail now`,
      onLossOf: [],
      fix: "restore the missing replicas (start the brokers, check replication), or lower min.insync.replicas deliberately",
    },
  ];
};

/** Only an explicit setting is reported: true as a warning, false as information. */
export const topicUncleanLeaderElection: TopicRule = (t, ctx) => {
  const unclean = t.view.uncleanLeaderElection;
  if (unclean === null) return [];
  return [
    unclean
      ? {
          severity: "warning",
          rule: "topic.unclean-leader-election",
          subject: topicSubject(ctx, t),
          message:
            "unclean.leader.election.enable=true: after a DC loss an out-of-sync replica may become leader and acknowledged writes are lost",
          onLossOf: [...ctx.knownDcs],
          fix: `remove the override (kafka-configs --alter --entity-type topics --entity-name ${t.view.topic} --delete-config unclean.leader.election.enable) unless availability over durability is a recorded decision`,
        }
      : {
          severity: "info",
          rule: "topic.unclean-leader-election",
          subject: topicSubject(ctx, t),
          message: "unclean.leader.election.enable is set explicitly to false",
          onLossOf: [],
          fix: "none needed",
        },
  ];
};

export const CLUSTER_RULES: readonly ClusterRule[] = [
  brokerRackMissing,
  quorumUndescribed,
  quorumDcLossLosesMajority,
  quorumVoterDatacenterUnknown,
  quorumVoterNotFetching,
];

export const TOPIC_RULES: readonly TopicRule[] = [
  topicConsistencyFirst,
  topicAsymmetricPlacement,
  topicSingleDatacenter,
  partitionIsrSingleDatacenter,
  partitionUnderMinIsr,
  topicUncleanLeaderElection,
];
