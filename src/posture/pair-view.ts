// What the pair posture rules reason over: the facts read from both sides of one MM2 flow, and the
// comparisons derived from them once (topic by topic, ACLs, groups against checkpoints, heartbeat
// age), so each rule in pair-rules.ts is a short look at data rather than a computation of its own.
import type { Flow } from "../adapters/kafka/kafka-adapter.js";
import { remoteTopic } from "../kafka/offset-translation.js";

/** Below this a WAN consumer's receive buffer caps throughput (bandwidth × RTT). */
export const WAN_BUFFER_BYTES = 1_048_576;
/** A group whose newest checkpoint is older than this while it kept consuming is stale. */
export const CHECKPOINT_STALE_MS = 5 * 60_000;
/** Configs MM2 does not replicate by default, or that are expected to differ per cluster. */
const CONFIG_DIFF_IGNORED = new Set([
  "follower.replication.throttled.replicas",
  "leader.replication.throttled.replicas",
]);

export type Side<T> = { ok: true; value: T } | { ok: false; error: string };

export interface TopicFacts {
  partitions: number;
  overrides: Record<string, string>;
}

export interface PairFacts {
  flow: Flow;
  now: number;
  sourceTopics: Side<Map<string, TopicFacts>>;
  targetTopics: Side<Map<string, TopicFacts>>;
  sourceAcls: Side<string[]>;
  targetAcls: Side<string[]>;
  /** Source groups with committed offsets on topics of the flow: group → topic → partition → offset. */
  groups: Side<Map<string, Map<string, Map<number, bigint>>>>;
  /** group → newest checkpoint emission (ms) and upstream offsets per source "topic/partition". */
  checkpoints: Side<Map<string, { newest: number; upstream: Map<string, bigint> }>>;
  heartbeatAt: Side<number | null>;
  connectors: Side<
    { name: string; role: string; state: string | null; config: Record<string, string> | null }[]
  >;
}

/** One source topic of the flow beside its remote copy on the target (undefined: not mirrored). */
export interface TopicPair {
  topic: string;
  remote: string;
  source: TopicFacts;
  target: TopicFacts | undefined;
  /** Override names whose values differ between the two sides, sorted; ignored ones left out. */
  configDiffs: string[];
}

export type AclComparison = { onlyOnSource: string[]; onlyOnTarget: string[] } | { error: string };

export interface GroupAssessment {
  name: string;
  /** topic → partition → offset committed on the source. */
  offsets: Map<string, Map<number, bigint>>;
  /** null: MM2 wrote no checkpoint for the group. */
  checkpointAgeMs: number | null;
  stale: boolean;
}

export interface PairContext {
  flow: Flow;
  /** Empty when either side's topics could not be read. */
  topics: TopicPair[];
  acls: AclComparison;
  /** Sorted by name; empty when groups or checkpoints could not be read. */
  groups: GroupAssessment[];
  heartbeatAgeMs: number | null;
}

/** Derives everything the rules and the report need from the facts, once. */
export function pairContext(f: PairFacts): PairContext {
  const heartbeatAgeMs =
    f.heartbeatAt.ok && f.heartbeatAt.value !== null ? Math.max(0, f.now - f.heartbeatAt.value) : null;
  return {
    flow: f.flow,
    topics: topicPairs(f),
    acls: aclComparison(f),
    groups: groupAssessments(f),
    heartbeatAgeMs,
  };
}

function topicPairs(f: PairFacts): TopicPair[] {
  if (!f.sourceTopics.ok || !f.targetTopics.ok) return [];
  const targets = f.targetTopics.value;
  return [...f.sourceTopics.value].map(([topic, s]) => {
    const remote = remoteTopic(f.flow, topic);
    const t = targets.get(remote);
    const keys = new Set([...Object.keys(s.overrides), ...Object.keys(t?.overrides ?? {})]);
    const configDiffs = t
      ? [...keys].filter((k) => !CONFIG_DIFF_IGNORED.has(k) && s.overrides[k] !== t.overrides[k]).sort()
      : [];
    return { topic, remote, source: s, target: t, configDiffs };
  });
}

function aclComparison(f: PairFacts): AclComparison {
  if (!f.sourceAcls.ok) return { error: `${f.flow.source}: ${f.sourceAcls.error}` };
  if (!f.targetAcls.ok) return { error: `${f.flow.target}: ${f.targetAcls.error}` };
  const target = new Set(f.targetAcls.value);
  const source = new Set(f.sourceAcls.value);
  return {
    onlyOnSource: f.sourceAcls.value.filter((a) => !target.has(a)),
    onlyOnTarget: f.targetAcls.value.filter((a) => !source.has(a)),
  };
}

/** A group is stale when it committed past its newest checkpoint and that checkpoint is old. */
function groupAssessments(f: PairFacts): GroupAssessment[] {
  if (!f.groups.ok || !f.checkpoints.ok) return [];
  const checkpoints = f.checkpoints.value;
  return [...f.groups.value]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, offsets]) => {
      const cp = checkpoints.get(name);
      if (!cp) return { name, offsets, checkpointAgeMs: null, stale: true };
      const age = Math.max(0, f.now - cp.newest);
      const moved = [...offsets].some(([topic, parts]) =>
        [...parts].some(([p, committed]) => committed > (cp.upstream.get(`${topic}/${p}`) ?? -1n)),
      );
      return { name, offsets, checkpointAgeMs: age, stale: moved && age > CHECKPOINT_STALE_MS };
    });
}
