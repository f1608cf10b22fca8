// Pure offset math for failover: which target topic a flow maps a source topic to, the translated
// offsets from checkpoints, the reprocess window and the RPO estimate, and what makes them unsafe.
import type { Checkpoint, OffsetSync } from "./mm2-records.js";

export interface FlowNaming {
  naming: "identity" | "prefixed";
  sourceAlias: string;
  separator: string;
  /** Source-topic regex the flow replicates. */
  topics: string;
}

const compiled = new Map<string, RegExp>();
/** Anchored and memoised: called once per checkpoint record, tens of thousands of times. */
function anchored(re: string): RegExp {
  let r = compiled.get(re);
  if (!r) compiled.set(re, (r = new RegExp(`^(?:${re})$`)));
  return r;
}

/** Target-side name of a replicated source topic. */
export function remoteTopic(flow: FlowNaming, sourceTopic: string): string {
  return flow.naming === "identity" ? sourceTopic : `${flow.sourceAlias}${flow.separator}${sourceTopic}`;
}

/** Source-side name of a target topic this flow replicates, or null when the flow does not own it. */
export function sourceTopicOf(flow: FlowNaming, targetTopic: string): string | null {
  let source = targetTopic;
  if (flow.naming === "prefixed") {
    const prefix = `${flow.sourceAlias}${flow.separator}`;
    if (!targetTopic.startsWith(prefix)) return null;
    source = targetTopic.slice(prefix.length);
  }
  return anchored(flow.topics).test(source) ? source : null;
}

export interface TimedCheckpoint extends Checkpoint {
  /** Record timestamp (ms): when MM2 emitted it. */
  emittedAt: number;
}

/** Latest checkpoint per group and target partition ("topic/partition"), from one read of the topic. */
export function latestCheckpoints(
  records: Iterable<TimedCheckpoint>,
  flow: FlowNaming,
): Map<string, Map<string, TimedCheckpoint>> {
  const out = new Map<string, Map<string, TimedCheckpoint>>();
  for (const c of records) {
    if (sourceTopicOf(flow, c.topic) === null) continue;
    let g = out.get(c.group);
    if (!g) out.set(c.group, (g = new Map<string, TimedCheckpoint>()));
    g.set(`${c.topic}/${c.partition}`, c); // records are in log order: the last one wins
  }
  return out;
}

/** Syncs per source partition ("topic/partition"), ordered by upstream offset. */
export function syncsByPartition(syncs: Iterable<OffsetSync>): Map<string, OffsetSync[]> {
  const out = new Map<string, OffsetSync[]>();
  for (const s of syncs) {
    const key = `${s.topic}/${s.partition}`;
    const list = out.get(key) ?? [];
    list.push(s);
    out.set(key, list);
  }
  for (const list of out.values())
    list.sort((a, b) =>
      a.upstreamOffset < b.upstreamOffset ? -1 : a.upstreamOffset > b.upstreamOffset ? 1 : 0,
    );
  return out;
}

/** Target offset holding the same record as `upstream` (linear from the nearest sync at or below). */
export function downstreamOf(syncs: readonly OffsetSync[] | undefined, upstream: bigint): bigint | null {
  let best: OffsetSync | undefined;
  for (const s of syncs ?? []) if (s.upstreamOffset <= upstream) best = s;
  return best ? best.downstreamOffset + (upstream - best.upstreamOffset) : null;
}

/** Source offset of the record at `downstream` on the target (inverse of downstreamOf). */
export function upstreamOf(syncs: readonly OffsetSync[] | undefined, downstream: bigint): bigint | null {
  let best: OffsetSync | undefined;
  for (const s of syncs ?? [])
    if (s.downstreamOffset <= downstream && (!best || s.downstreamOffset >= best.downstreamOffset)) best = s;
  return best ? best.upstreamOffset + (downstream - best.downstreamOffset) : null;
}

export interface PartitionTranslation {
  targetTopic: string;
  sourceTopic: string;
  partition: number;
  translated: bigint;
  checkpointUpstream: bigint;
  targetEnd: bigint | null;
  /** The group's committed offset on the source, when the source is reachable. */
  sourceCommitted: bigint | null;
  /** Records the group consumed on the source after this checkpoint. */
  pastCheckpoint: bigint | null;
  /** Records consumers will see again after resuming at `translated`. */
  reprocess: bigint | null;
}

export interface GroupAssessment {
  group: string;
  partitions: PartitionTranslation[];
  newestCheckpointAgeMs: number | null;
  /** Source partitions the group has committed offsets on that no checkpoint covers. */
  missingCheckpoints: { sourceTopic: string; partition: number; committed: bigint }[];
  /** The newest checkpoint is older than the limit while MM2 would have written a newer one. */
  stale: boolean;
  problems: string[];
}

export interface GroupFacts {
  group: string;
  checkpoints: Map<string, TimedCheckpoint> | undefined;
  /** Source topic → partition → committed offset; null when the source cannot be read. */
  sourceCommitted: Map<string, Map<number, bigint>> | null;
  /** Target "topic/partition" → log-end offset. */
  targetEnds: Map<string, bigint>;
  syncs: Map<string, OffsetSync[]> | null;
  now: number;
  maxAgeMs: number;
}

const max0 = (n: bigint): bigint => (n < 0n ? 0n : n);

export function assessGroup(flow: FlowNaming, f: GroupFacts): GroupAssessment {
  const problems: string[] = [];
  const partitions: PartitionTranslation[] = [];
  const missingCheckpoints: GroupAssessment["missingCheckpoints"] = [];
  const cps = [...(f.checkpoints?.values() ?? [])];
  if (cps.length === 0) problems.push(`group ${f.group} has no checkpoints`);
  for (const c of cps) {
    const sourceTopic = sourceTopicOf(flow, c.topic)!;
    const targetEnd = f.targetEnds.get(`${c.topic}/${c.partition}`) ?? null;
    const committed = f.sourceCommitted?.get(sourceTopic)?.get(c.partition) ?? null;
    const pastCheckpoint = committed === null ? null : max0(committed - c.upstreamOffset);
    let reprocess: bigint | null = null;
    if (committed !== null) {
      const equivalent = downstreamOf(f.syncs?.get(`${sourceTopic}/${c.partition}`), committed);
      reprocess = equivalent === null ? pastCheckpoint : max0(equivalent - c.downstreamOffset);
    }
    if (targetEnd !== null && c.downstreamOffset > targetEnd) {
      problems.push(
        `group ${f.group}: translated offset ${c.downstreamOffset} of ${c.topic}-${c.partition} is past the target log end ${targetEnd}`,
      );
    }
    partitions.push({
      targetTopic: c.topic,
      sourceTopic,
      partition: c.partition,
      translated: c.downstreamOffset,
      checkpointUpstream: c.upstreamOffset,
      targetEnd,
      sourceCommitted: committed,
      pastCheckpoint,
      reprocess,
    });
  }
  if (f.sourceCommitted) {
    for (const [topic, parts] of f.sourceCommitted) {
      if (!anchored(flow.topics).test(topic)) continue;
      for (const [p, offset] of parts) {
        if (!f.checkpoints?.has(`${remoteTopic(flow, topic)}/${p}`)) {
          missingCheckpoints.push({ sourceTopic: topic, partition: p, committed: offset });
          problems.push(
            `group ${f.group}: no checkpoint for ${topic}-${p} (committed offset ${offset} on the source)`,
          );
        }
      }
    }
  }
  const newest = cps.length ? Math.max(...cps.map((c) => c.emittedAt)) : null;
  const age = newest === null ? null : Math.max(0, f.now - newest);
  // MM2 emits a checkpoint only when the translated offset moves, so an idle group's checkpoint
  // ages while replication is healthy. Stale means: a checkpoint MM2 would certainly have written by
  // now (the group is at or past the newest sync and translates further) is missing. Without the
  // source, age is all there is to go by.
  const movedOn =
    f.sourceCommitted === null ||
    partitions.some((p) => {
      const list = f.syncs?.get(`${p.sourceTopic}/${p.partition}`);
      const last = list?.at(-1);
      if (p.sourceCommitted === null || !last || p.sourceCommitted < last.upstreamOffset) return false;
      const expected = last.downstreamOffset + (p.sourceCommitted === last.upstreamOffset ? 0n : 1n);
      return expected > p.translated;
    });
  const stale = age !== null && age > f.maxAgeMs && movedOn;
  if (stale) {
    problems.push(
      `group ${f.group}: newest checkpoint is ${(age / 1000).toFixed(1)} s old (limit ${(f.maxAgeMs / 1000).toFixed(1)} s) — is the checkpoint connector running?`,
    );
  }
  partitions.sort((a, b) => a.targetTopic.localeCompare(b.targetTopic) || a.partition - b.partition);
  return { group: f.group, partitions, newestCheckpointAgeMs: age, missingCheckpoints, stale, problems };
}

/** Messages on the source not yet on the target, per source partition (null without a sync). */
export function unreplicated(
  syncs: readonly OffsetSync[] | undefined,
  sourceEnd: bigint,
  targetEnd: bigint,
): bigint | null {
  const replicatedUpTo = upstreamOf(syncs, targetEnd);
  return replicatedUpTo === null ? null : max0(sourceEnd - replicatedUpTo);
}
