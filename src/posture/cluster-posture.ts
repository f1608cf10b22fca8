// DR posture of one cluster: the controller quorum per datacenter (DescribeQuorum), and per topic
// what losing each datacenter would do to writes with acks=all, given replica placement, the
// current ISR and min.insync.replicas. `assessCluster` is pure; `readClusterFacts` does the I/O.
import type { QuorumDescription, TopicState, BrokerInfo } from "../kafka/cluster-state.js";
import type { DescribedEntry } from "../kafka/config-overrides.js";
import { isInternalTopic } from "../kafka/topic-selection.js";
import type { ClusterConfig } from "../config/schema.js";
import { placement, UNKNOWN_DC } from "./datacenters.js";
import { sortFindings } from "./finding.js";
import type { Finding } from "./finding.js";

const DEFAULT_CONFIG = 5;
/** A voter whose last fetch is older than this (relative to the newest) counts as not alive. */
export const VOTER_ALIVE_MS = 15_000;

export interface TopicConfigFacts {
  minIsr: number;
  /** Effective unclean.leader.election.enable and whether it is set (not the default). */
  unclean: boolean;
  uncleanSet: boolean;
}

export interface ClusterFacts {
  cluster: string;
  config: ClusterConfig;
  brokers: { nodeId: number; rack: string | null }[];
  quorum: QuorumDescription | { error: string };
  topics: TopicState[];
  configs: Map<string, TopicConfigFacts>;
  /** Milliseconds since the epoch at which the facts were read. */
  now: number;
}

export interface VoterView {
  nodeId: number;
  datacenter: string;
  placedBy: string;
  leader: boolean;
  alive: boolean;
  lastFetchAgeMs: number | null;
}

export interface QuorumView {
  source: "DescribeQuorum v1";
  leaderId: number;
  voters: VoterView[];
  votersPerDatacenter: Record<string, number>;
  majority: number;
  /** Datacenter → voters still alive after losing it, and whether they are a majority. */
  afterLossOf: Record<string, { remaining: number; majority: boolean }>;
}

export type TopicMode = "consistency-first" | "availability-first" | "mixed" | "single-datacenter";

export interface TopicView {
  topic: string;
  partitions: number;
  replicationFactor: number;
  minInsyncReplicas: number;
  /** Most replicas any partition has in each datacenter. */
  replicasPerDatacenter: Record<string, number>;
  mode: TopicMode;
  /** Datacenters whose loss now stops acks=all writes to at least one partition (current ISR). */
  writesStopOnLossOf: string[];
  /** Datacenters whose loss now leaves at least one partition without any in-sync replica. */
  offlineOnLossOf: string[];
  isrSingleDatacenter: number[];
  underMinIsr: number[];
  uncleanLeaderElection: boolean | null;
}

export interface LossSummary {
  datacenter: string;
  topicsStopWrites: number;
  topicsGoOffline: number;
  quorumKeepsMajority: boolean | null;
}

export interface ClusterPosture {
  kind: "cluster";
  cluster: string;
  generatedAt: string;
  datacenters: string[];
  brokers: { nodeId: number; rack: string | null; datacenter: string }[];
  quorum: QuorumView | { error: string };
  topicCount: number;
  topics: TopicView[];
  findings: Finding[];
  summary: { lossOf: LossSummary[]; lines: string[] };
}

/** The reads of one cluster the assessment needs (the Kafka adapter's ClusterClient has them). */
export interface ClusterReads {
  readonly name: string;
  readonly config: ClusterConfig;
  brokers(signal?: AbortSignal): Promise<BrokerInfo[]>;
  describeQuorum(signal?: AbortSignal): Promise<QuorumDescription>;
  allTopicStates(signal?: AbortSignal): Promise<TopicState[]>;
  topicConfigEntries(
    topics: readonly string[],
    names: readonly string[] | undefined,
    signal?: AbortSignal,
  ): Promise<Map<string, DescribedEntry[]>>;
}

/** Reads everything the assessment needs in parallel: brokers, quorum, metadata, two topic configs. */
export async function readClusterFacts(
  client: ClusterReads,
  signal?: AbortSignal,
  opts: { includeInternal?: boolean } = {},
): Promise<ClusterFacts> {
  const brokers = await client.brokers(signal);
  const [quorum, everything] = await Promise.all([
    client
      .describeQuorum(signal)
      .catch((err: unknown) => ({ error: err instanceof Error ? err.message : String(err) })),
    client.allTopicStates(signal),
  ]);
  const topics: TopicState[] = everything
    .filter((t) => opts.includeInternal || !isInternalTopic(t.topic))
    .sort((a, b) => a.topic.localeCompare(b.topic));
  const described = await client.topicConfigEntries(
    topics.map((t) => t.topic),
    ["min.insync.replicas", "unclean.leader.election.enable"],
    signal,
  );
  const configs = new Map<string, TopicConfigFacts>();
  for (const [topic, entries] of described) {
    const entry = (n: string) =>
      entries.find((e) => e.configName === n) as
        { configValue: string | null; configSource?: number } | undefined;
    const minIsr = entry("min.insync.replicas");
    const unclean = entry("unclean.leader.election.enable");
    configs.set(topic, {
      minIsr: Number(minIsr?.configValue ?? "1"),
      unclean: unclean?.configValue === "true",
      uncleanSet: unclean !== undefined && (unclean.configSource ?? DEFAULT_CONFIG) !== DEFAULT_CONFIG,
    });
  }
  return {
    cluster: client.name,
    config: client.config,
    brokers: brokers.map((b) => ({ nodeId: b.nodeId, rack: b.rack })),
    quorum,
    topics,
    configs,
    now: Date.now(),
  };
}

function count<K>(items: Iterable<K>): Map<K, number> {
  const out = new Map<K, number>();
  for (const i of items) out.set(i, (out.get(i) ?? 0) + 1);
  return out;
}

function list(ns: number[], max = 8): string {
  return ns.length <= max ? ns.join(", ") : `${ns.slice(0, max).join(", ")} and ${ns.length - max} more`;
}

export function assessCluster(f: ClusterFacts): ClusterPosture {
  const racks = new Map(f.brokers.map((b) => [b.nodeId, b.rack]));
  const place = placement(f.config, racks);
  const findings: Finding[] = [];
  const brokers = f.brokers.map((b) => ({ ...b, datacenter: place.ofBroker(b.nodeId) }));
  const dcs = new Set(brokers.map((b) => b.datacenter));
  for (const dc of Object.keys(f.config.racks ?? {})) dcs.add(dc);

  for (const b of brokers) {
    if (b.datacenter === UNKNOWN_DC) {
      findings.push({
        severity: "warning",
        rule: "broker.rack-missing",
        subject: { kind: "cluster", name: `${f.cluster}/broker/${b.nodeId}` },
        message: `broker ${b.nodeId} has no broker.rack, so its datacenter is unknown and placement cannot be judged`,
        onLossOf: [],
        fix: `set broker.rack on broker ${b.nodeId} (and map racks to datacenters with clusters.${f.cluster}.racks)`,
      });
    }
  }

  // Controller quorum.
  let quorum: ClusterPosture["quorum"];
  if ("error" in f.quorum) {
    quorum = { error: f.quorum.error };
    findings.push({
      severity: "warning",
      rule: "quorum.undescribed",
      subject: { kind: "cluster", name: f.cluster },
      message: `the controller quorum could not be described: ${f.quorum.error}`,
      onLossOf: [],
      fix: "grant DESCRIBE on CLUSTER to switchover's principal (DescribeQuorum needs it) and check the brokers run KRaft",
    });
  } else {
    const q = f.quorum;
    const newest = Math.max(...q.voters.map((v) => v.lastFetchTimestamp), f.now - VOTER_ALIVE_MS);
    const voters: VoterView[] = q.voters.map((v) => {
      const leader = v.replicaId === q.leaderId;
      const age = v.lastFetchTimestamp < 0 ? null : Math.max(0, newest - v.lastFetchTimestamp);
      return {
        nodeId: v.replicaId,
        datacenter: place.ofVoter(v.replicaId),
        placedBy: place.voterSource(v.replicaId),
        leader,
        alive: leader || (age !== null && age <= VOTER_ALIVE_MS),
        lastFetchAgeMs: leader ? 0 : age,
      };
    });
    for (const d of new Set(voters.map((v) => v.datacenter))) dcs.add(d);
    const majority = Math.floor(voters.length / 2) + 1;
    const afterLossOf: QuorumView["afterLossOf"] = {};
    for (const dc of [...dcs].filter((d) => d !== UNKNOWN_DC).sort()) {
      const remaining = voters.filter((v) => v.alive && v.datacenter !== dc).length;
      afterLossOf[dc] = { remaining, majority: remaining >= majority };
      if (remaining < majority && dcs.size > 1) {
        const inDc = voters.filter((v) => v.datacenter === dc).map((v) => v.nodeId);
        findings.push({
          severity: "critical",
          rule: "quorum.dc-loss-loses-majority",
          subject: { kind: "voter", name: `${f.cluster}/voters/${inDc.join(",") || "-"}` },
          message: `losing ${dc} leaves ${remaining} of ${voters.length} voters alive (${majority} needed): the cluster loses its controller and stops`,
          onLossOf: [dc],
          fix: "place voters so that no datacenter holds a majority: e.g. one voter in each of two DCs plus a tie-breaker voter in a third site (2.5 DC)",
        });
      }
    }
    for (const v of voters) {
      if (v.datacenter === UNKNOWN_DC) {
        findings.push({
          severity: "warning",
          rule: "quorum.voter-datacenter-unknown",
          subject: { kind: "voter", name: `${f.cluster}/voter/${v.nodeId}` },
          message: `voter ${v.nodeId} is not a broker and has no configured datacenter; it is counted as surviving every DC loss`,
          onLossOf: [],
          fix: `set clusters.${f.cluster}.controllerDatacenters: {"${v.nodeId}": <dc>} in the environment file`,
        });
      }
      if (!v.alive) {
        findings.push({
          severity: "warning",
          rule: "quorum.voter-not-fetching",
          subject: { kind: "voter", name: `${f.cluster}/voter/${v.nodeId}` },
          message: `voter ${v.nodeId} (${v.datacenter}) has not fetched from the leader for ${v.lastFetchAgeMs === null ? "ever" : `${Math.round(v.lastFetchAgeMs / 1000)} s`}; one more voter loss may cost the majority`,
          onLossOf: [],
          fix: `bring controller ${v.nodeId} back (check its process, disk and network to the quorum leader)`,
        });
      }
    }
    quorum = {
      source: "DescribeQuorum v1",
      leaderId: q.leaderId,
      voters,
      votersPerDatacenter: Object.fromEntries(count(voters.map((v) => v.datacenter))),
      majority,
      afterLossOf,
    };
  }

  // Topics.
  const knownDcs = [...dcs].filter((d) => d !== UNKNOWN_DC).sort();
  const multiDc = knownDcs.length > 1;
  const topics: TopicView[] = [];
  for (const t of f.topics) {
    const cfg = f.configs.get(t.topic) ?? { minIsr: 1, unclean: false, uncleanSet: false };
    const rf = Math.max(0, ...t.partitions.map((p) => p.replicas.length));
    const perDc = new Map<string, number>();
    const stopOn = new Set<string>();
    const offlineOn = new Set<string>();
    const structuralBlock = new Set<string>();
    const isrSingle: number[] = [];
    const underMin: number[] = [];
    for (const p of t.partitions) {
      const rDc = count(p.replicas.map((r) => place.ofBroker(r)));
      for (const [dc, n] of rDc) perDc.set(dc, Math.max(perDc.get(dc) ?? 0, n));
      const isrDcs = new Set(p.isr.map((r) => place.ofBroker(r)));
      if (p.isr.length < cfg.minIsr) underMin.push(p.partition);
      if (multiDc && rDc.size > 1 && isrDcs.size === 1) isrSingle.push(p.partition);
      for (const dc of knownDcs) {
        const survivingIsr = p.isr.filter((r) => place.ofBroker(r) !== dc).length;
        if (survivingIsr < cfg.minIsr) stopOn.add(dc);
        if (survivingIsr === 0) offlineOn.add(dc);
        if (p.replicas.length - (rDc.get(dc) ?? 0) < cfg.minIsr) structuralBlock.add(dc);
      }
    }
    const placedIn = [...perDc.keys()].filter((d) => d !== UNKNOWN_DC);
    const mode: TopicMode =
      placedIn.length <= 1
        ? "single-datacenter"
        : structuralBlock.size === 0
          ? "availability-first"
          : [...placedIn].every((d) => structuralBlock.has(d))
            ? "consistency-first"
            : "mixed";
    const view: TopicView = {
      topic: t.topic,
      partitions: t.partitions.length,
      replicationFactor: rf,
      minInsyncReplicas: cfg.minIsr,
      replicasPerDatacenter: Object.fromEntries([...perDc].sort()),
      mode,
      writesStopOnLossOf: multiDc ? [...stopOn].sort() : [],
      offlineOnLossOf: multiDc ? [...offlineOn].sort() : [],
      isrSingleDatacenter: isrSingle,
      underMinIsr: underMin,
      uncleanLeaderElection: cfg.uncleanSet ? cfg.unclean : null,
    };
    topics.push(view);
    const subject = { kind: "topic" as const, name: `${f.cluster}/${t.topic}` };
    const perDcText = Object.entries(view.replicasPerDatacenter)
      .map(([d, n]) => `${n} in ${d}`)
      .join(", ");
    if (multiDc && mode === "consistency-first") {
      findings.push({
        severity: "warning",
        rule: "topic.consistency-first",
        subject,
        message: `min.insync.replicas=${cfg.minIsr} > RF ${rf} minus the replicas of any one DC (${perDcText}): losing a DC blocks acks=all writes until min.insync.replicas is lowered`,
        onLossOf: [...structuralBlock].sort(),
        fix: `accept it (consistency first) and keep a runbook step kafka.setTopicConfig min.insync.replicas=${Math.max(1, rf - Math.max(...perDc.values()))} for a DC loss, or raise RF / lower min.insync.replicas so that RF − min.insync.replicas ≥ replicas per DC`,
      });
    } else if (multiDc && mode === "mixed") {
      findings.push({
        severity: "warning",
        rule: "topic.asymmetric-placement",
        subject,
        message: `replicas are placed unevenly (${perDcText}): losing ${[...structuralBlock].sort().join(" or ")} blocks acks=all writes, losing the other DC does not`,
        onLossOf: [...structuralBlock].sort(),
        fix: "reassign partitions so each DC holds the same number of replicas (kafka.reassignPartitions)",
      });
    } else if (multiDc && mode === "single-datacenter") {
      findings.push({
        severity: "critical",
        rule: "topic.single-datacenter",
        subject,
        message: `every replica is in ${placedIn[0] ?? UNKNOWN_DC}: losing it takes the topic offline`,
        onLossOf: placedIn,
        fix: "reassign partitions so replicas span the datacenters (kafka.reassignPartitions), or rely on a mirrored copy",
      });
    }
    if (isrSingle.length > 0) {
      const where = [
        ...new Set(
          t.partitions
            .filter((p) => isrSingle.includes(p.partition))
            .flatMap((p) => p.isr.map((r) => place.ofBroker(r))),
        ),
      ];
      findings.push({
        severity: "critical",
        rule: "partition.isr-single-datacenter",
        subject: { kind: "partition", name: `${f.cluster}/${t.topic}/${list(isrSingle)}` },
        message: `partitions ${list(isrSingle)} have replicas in several DCs but their current ISR lies entirely in ${where.join(", ")}: losing it leaves no in-sync replica (offline, or data loss with an unclean election)`,
        onLossOf: where.sort(),
        fix: "find why the other DC's replicas left the ISR (broker down, replication lag over the WAN, throttles) and restore them before relying on this DC pair",
      });
    }
    if (underMin.length > 0) {
      findings.push({
        severity: "critical",
        rule: "partition.under-min-isr",
        subject: { kind: "partition", name: `${f.cluster}/${t.topic}/${list(underMin)}` },
        message: `partitions ${list(underMin)} have fewer in-sync replicas than min.insync.replicas=${cfg.minIsr}: acks=all writes fail now`,
        onLossOf: [],
        fix: "restore the missing replicas (start the brokers, check replication), or lower min.insync.replicas deliberately",
      });
    }
    if (cfg.uncleanSet && cfg.unclean) {
      findings.push({
        severity: "warning",
        rule: "topic.unclean-leader-election",
        subject,
        message:
          "unclean.leader.election.enable=true: after a DC loss an out-of-sync replica may become leader and acknowledged writes are lost",
        onLossOf: knownDcs,
        fix: `remove the override (kafka-configs --alter --entity-type topics --entity-name ${t.topic} --delete-config unclean.leader.election.enable) unless availability over durability is a recorded decision`,
      });
    } else if (cfg.uncleanSet) {
      findings.push({
        severity: "info",
        rule: "topic.unclean-leader-election",
        subject,
        message: "unclean.leader.election.enable is set explicitly to false",
        onLossOf: [],
        fix: "none needed",
      });
    }
  }

  // Summary: what losing each datacenter now does.
  const lossOf: LossSummary[] = (multiDc ? knownDcs : []).map((dc) => ({
    datacenter: dc,
    topicsStopWrites: topics.filter((t) => t.writesStopOnLossOf.includes(dc)).length,
    topicsGoOffline: topics.filter((t) => t.offlineOnLossOf.includes(dc)).length,
    quorumKeepsMajority: "error" in quorum ? null : (quorum.afterLossOf[dc]?.majority ?? null),
  }));
  const lines = multiDc
    ? lossOf.map((l) => {
        const q =
          l.quorumKeepsMajority === null
            ? "controller quorum unknown"
            : l.quorumKeepsMajority
              ? "controller quorum keeps its majority"
              : "controller quorum LOSES its majority (cluster stops)";
        return `losing ${l.datacenter} now: ${l.topicsStopWrites} of ${topics.length} topics stop accepting acks=all writes, ${l.topicsGoOffline} go offline, ${q}`;
      })
    : [
        `losing ${knownDcs[0] ?? "its datacenter"} now: the whole cluster (${topics.length} topics) is unavailable; recovery depends on its mirrored pair`,
      ];

  return {
    kind: "cluster",
    cluster: f.cluster,
    generatedAt: new Date(f.now).toISOString(),
    datacenters: knownDcs,
    brokers,
    quorum,
    topicCount: topics.length,
    topics,
    findings: sortFindings(findings),
    summary: { lossOf, lines },
  };
}
