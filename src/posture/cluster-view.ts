// What the cluster posture rules reason over: the facts read from one cluster, and the views derived
// from them once (datacenters, the controller quorum after each DC loss, per-topic placement), so
// each rule in cluster-rules.ts is a short look at data rather than a computation of its own.
import type { QuorumDescription, TopicState } from "../kafka/cluster-state.js";
import type { ClusterConfig } from "../config/schema.js";
import { placement, UNKNOWN_DC } from "./datacenters.js";
import type { Placement } from "./datacenters.js";

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

/** One topic as the rules see it: its report view, plus what the view does not show. */
export interface TopicAssessment {
  state: TopicState;
  view: TopicView;
  /** Datacenters whose loss leaves some partition fewer replicas (in sync or not) than min ISR. */
  structuralBlock: string[];
  /** Known datacenters holding replicas, in the order first seen. */
  placedIn: string[];
}

export interface ClusterContext {
  cluster: string;
  place: Placement;
  brokers: { nodeId: number; rack: string | null; datacenter: string }[];
  /** Every datacenter seen (brokers, configured racks, voters), UNKNOWN_DC included. */
  datacenters: ReadonlySet<string>;
  /** The datacenters that are known, sorted. */
  knownDcs: string[];
  multiDc: boolean;
  quorum: QuorumView | { error: string };
  topics: TopicAssessment[];
}

export function count<K>(items: Iterable<K>): Map<K, number> {
  const out = new Map<K, number>();
  for (const i of items) out.set(i, (out.get(i) ?? 0) + 1);
  return out;
}

const known = (dcs: Iterable<string>): string[] => [...dcs].filter((d) => d !== UNKNOWN_DC).sort();

/** Derives everything the rules and the report need from the facts, once. */
export function clusterContext(f: ClusterFacts): ClusterContext {
  const place = placement(f.config, new Map(f.brokers.map((b) => [b.nodeId, b.rack])));
  const brokers = f.brokers.map((b) => ({ ...b, datacenter: place.ofBroker(b.nodeId) }));
  const dcs = new Set(brokers.map((b) => b.datacenter));
  for (const dc of Object.keys(f.config.racks ?? {})) dcs.add(dc);
  const voters = "error" in f.quorum ? [] : voterViews(f.quorum, place, f.now);
  for (const v of voters) dcs.add(v.datacenter);
  const knownDcs = known(dcs);
  const quorum = "error" in f.quorum ? { error: f.quorum.error } : quorumView(f.quorum, voters, knownDcs);
  const multiDc = knownDcs.length > 1;
  const topics = f.topics.map((t) => topicAssessment(t, f.configs.get(t.topic), place, knownDcs));
  return { cluster: f.cluster, place, brokers, datacenters: dcs, knownDcs, multiDc, quorum, topics };
}

function voterViews(q: QuorumDescription, place: Placement, now: number): VoterView[] {
  const newest = Math.max(...q.voters.map((v) => v.lastFetchTimestamp), now - VOTER_ALIVE_MS);
  return q.voters.map((v) => {
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
}

function quorumView(q: QuorumDescription, voters: VoterView[], knownDcs: string[]): QuorumView {
  const majority = Math.floor(voters.length / 2) + 1;
  const afterLossOf: QuorumView["afterLossOf"] = {};
  for (const dc of knownDcs) {
    const remaining = voters.filter((v) => v.alive && v.datacenter !== dc).length;
    afterLossOf[dc] = { remaining, majority: remaining >= majority };
  }
  return {
    source: "DescribeQuorum v1",
    leaderId: q.leaderId,
    voters,
    votersPerDatacenter: Object.fromEntries(count(voters.map((v) => v.datacenter))),
    majority,
    afterLossOf,
  };
}

function topicAssessment(
  t: TopicState,
  configured: TopicConfigFacts | undefined,
  place: Placement,
  knownDcs: string[],
): TopicAssessment {
  const cfg = configured ?? { minIsr: 1, unclean: false, uncleanSet: false };
  const multiDc = knownDcs.length > 1;
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
  const view: TopicView = {
    topic: t.topic,
    partitions: t.partitions.length,
    replicationFactor: Math.max(0, ...t.partitions.map((p) => p.replicas.length)),
    minInsyncReplicas: cfg.minIsr,
    replicasPerDatacenter: Object.fromEntries([...perDc].sort()),
    mode: topicMode(placedIn, structuralBlock),
    writesStopOnLossOf: multiDc ? [...stopOn].sort() : [],
    offlineOnLossOf: multiDc ? [...offlineOn].sort() : [],
    isrSingleDatacenter: isrSingle,
    underMinIsr: underMin,
    uncleanLeaderElection: cfg.uncleanSet ? cfg.unclean : null,
  };
  return { state: t, view, structuralBlock: [...structuralBlock].sort(), placedIn };
}

function topicMode(placedIn: string[], structuralBlock: ReadonlySet<string>): TopicMode {
  if (placedIn.length <= 1) return "single-datacenter";
  if (structuralBlock.size === 0) return "availability-first";
  return placedIn.every((d) => structuralBlock.has(d)) ? "consistency-first" : "mixed";
}
