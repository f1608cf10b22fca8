// Reads MirrorMaker 2's bookkeeping for a flow in one pass each: the checkpoints topic on the target
// (all groups at once) and the offset-syncs topic on the source. Groupless fetches: nothing left behind.
import type { PartitionOffsets } from "./cluster-client.js";
import type { FetchedRecord } from "./protocol-channel.js";
import {
  checkpointsTopic,
  decodeCheckpoint,
  decodeOffsetSync,
  Mm2RecordError,
} from "../../kafka/mm2-records.js";
import type { OffsetSync } from "../../kafka/mm2-records.js";
import type { TimedCheckpoint } from "../../kafka/offset-translation.js";
import type { ConnectorOffset } from "./connect-client.js";

/** What reading MM2's internal topics takes of a cluster (ClusterClient has it). */
export interface Mm2TopicReads {
  listTopics(signal?: AbortSignal): Promise<string[]>;
  offsets(topic: string, signal?: AbortSignal): Promise<PartitionOffsets[]>;
  readPartition(
    topic: string,
    partition: number,
    from: bigint,
    end: bigint,
    signal?: AbortSignal,
  ): Promise<FetchedRecord[]>;
}

async function readWholeTopic(client: Mm2TopicReads, topic: string, signal?: AbortSignal) {
  const out: { key: Buffer | null; value: Buffer | null; timestamp: number }[] = [];
  for (const p of await client.offsets(topic, signal)) {
    if (p.high <= p.low) continue;
    out.push(...(await client.readPartition(topic, p.partition, p.low, p.high, signal)));
  }
  return out;
}

/** Every checkpoint MM2 wrote for `sourceAlias` on the target, in log order (tombstones skipped). */
export async function readCheckpoints(
  target: Mm2TopicReads,
  sourceAlias: string,
  signal?: AbortSignal,
): Promise<TimedCheckpoint[]> {
  const topic = checkpointsTopic(sourceAlias);
  if (!(await target.listTopics(signal)).includes(topic)) return [];
  const out: TimedCheckpoint[] = [];
  for (const r of await readWholeTopic(target, topic, signal)) {
    if (r.value === null) continue;
    try {
      const c = decodeCheckpoint(r.key, r.value) as TimedCheckpoint;
      c.emittedAt = r.timestamp;
      out.push(c);
    } catch (err) {
      if (!(err instanceof Mm2RecordError)) throw err;
    }
  }
  return out;
}

/** The offset syncs MM2 keeps on the source for the flow towards `targetAlias` (default location). */
export async function readOffsetSyncs(
  source: Mm2TopicReads,
  targetAlias: string,
  signal?: AbortSignal,
): Promise<OffsetSync[]> {
  const topic = `mm2-offset-syncs.${targetAlias}.internal`;
  if (!(await source.listTopics(signal)).includes(topic)) return [];
  const out: OffsetSync[] = [];
  for (const r of await readWholeTopic(source, topic, signal)) {
    if (r.value === null) continue;
    try {
      out.push(decodeOffsetSync(r.key, r.value));
    } catch (err) {
      if (!(err instanceof Mm2RecordError)) throw err;
    }
  }
  return out;
}

/**
 * Where MirrorSourceConnector stands per source partition, from the offsets its Connect worker
 * committed (`{cluster, topic, partition}` → `{offset}` = the last upstream offset it replicated):
 * "topic/partition" → the first upstream offset NOT known to be replicated. Partitions of other
 * source clusters and malformed entries are skipped.
 */
export function replicatedUpTo(
  offsets: readonly ConnectorOffset[],
  sourceAlias: string,
): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const o of offsets) {
    const { cluster, topic, partition } = o.partition;
    const last = o.offset?.offset;
    if (cluster !== sourceAlias || typeof topic !== "string" || typeof partition !== "number") continue;
    if (typeof last !== "number" || !Number.isSafeInteger(last)) continue;
    out.set(`${topic}/${partition}`, BigInt(last) + 1n);
  }
  return out;
}
