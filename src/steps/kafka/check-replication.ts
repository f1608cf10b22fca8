// `kafka.checkReplication`: MirrorMaker 2 health for a flow — heartbeat age on the target, every
// replicated source topic present on the target with the same partition count (identity or prefixed
// naming), and replication lag per topic when the source is reachable, with the unreplicated
// ("stranded") offset ranges per partition. Outputs figures to `assert` on.
import { z } from "zod";
import { decodeHeartbeat } from "../../kafka/mm2-records.js";
import { readOffsetSyncs, replicatedUpTo } from "../../adapters/kafka/mm2-state.js";
import { remoteTopic, syncsByPartition, unreplicated } from "../../kafka/offset-translation.js";
import { isInternalTopic } from "../../kafka/topic-selection.js";
import type { ClusterClient } from "../../adapters/kafka/cluster-client.js";
import type { Flow, KafkaAdapter } from "../../adapters/kafka/kafka-adapter.js";
import type { OffsetSync } from "../../kafka/mm2-records.js";
import type { FetchedRecord } from "../../adapters/kafka/protocol-channel.js";
import type { Logger } from "../../engine/ports/logger.js";
import { isDuration, parseDurationMs } from "../../engine/duration.js";
import { ErrorCode, SwitchoverError } from "../../engine/errors.js";
import type { JsonObject } from "../../engine/json.js";
import { defineStep } from "../step-adapters.js";
import { replicationFlowRef } from "../../engine/target-ref.js";
import type { TargetCatalog } from "../../engine/target-catalog.js";
import { evaluateCheckReplication } from "./evaluate-kafka-steps.js";

const inputSchema = (t: TargetCatalog) =>
  z.strictObject({
    flow: replicationFlowRef(t),
    /** Fail when the newest heartbeat is older than this. */
    maxHeartbeatAge: z.string().refine(isDuration, "a duration such as 30s").optional(),
    /** Fail when more than this many messages are not yet replicated (source reachable only). */
    maxLag: z.number().int().min(0).optional(),
    /** Fail when a replicated topic is missing or differs in partition count (default true). */
    requireTopics: z.boolean().default(true),
  });
type Input = z.infer<ReturnType<typeof inputSchema>>;

const bigMax = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const bigMin = (a: bigint, b: bigint): bigint => (a < b ? a : b);

/** How far past the committed offset the walk compares records (a bound on the reads). */
const MAX_WALK = 10_000n;

const sameRecord = (a: FetchedRecord, b: FetchedRecord): boolean =>
  a.timestamp === b.timestamp &&
  (a.key ?? Buffer.alloc(0)).equals(b.key ?? Buffer.alloc(0)) &&
  (a.value ?? Buffer.alloc(0)).equals(b.value ?? Buffer.alloc(0));

/**
 * The first source offset not on the target. Connect commits a task's offsets after the target
 * acknowledged its writes, so a record can be on the target while its offset is not committed yet
 * (a task paused or cut off mid-flush). From the last offset sync at or before the committed offset
 * (upstream u ↔ downstream d), MM2 wrote the source records u, u+1, … as d, d+1, … in order: walk
 * both logs while the records are the same (timestamp, key, value). Where they differ is the end;
 * with identity naming, writes made on the target after a failover differ from the source's.
 */
async function confirmedEnd(
  source: ClusterClient,
  target: ClusterClient,
  sourceTopic: string,
  targetTopic: string,
  partition: number,
  syncs: readonly OffsetSync[] | undefined,
  committed: bigint,
  sourceEnd: bigint,
  signal: AbortSignal,
): Promise<bigint> {
  const sync = syncs?.filter((s) => s.upstreamOffset < committed).at(-1);
  if (!sync || committed >= sourceEnd) return committed;
  const limit = bigMin(sourceEnd, committed + MAX_WALK);
  const targetEnd = (await target.offsets(targetTopic, signal)).find((p) => p.partition === partition)?.high;
  if (targetEnd === undefined) return committed;
  const up = await source.readPartition(sourceTopic, partition, sync.upstreamOffset, limit, signal);
  const down = await target.readPartition(
    targetTopic,
    partition,
    sync.downstreamOffset,
    bigMin(targetEnd, sync.downstreamOffset + (limit - sync.upstreamOffset)),
    signal,
  );
  let end = sync.upstreamOffset;
  for (let i = 0; i < up.length && i < down.length; i++) {
    if (up[i]!.offset !== sync.upstreamOffset + BigInt(i) || !sameRecord(up[i]!, down[i]!)) break;
    end = up[i]!.offset + 1n;
  }
  return bigMax(committed, end);
}

/** The flow's source connector progress from its Connect worker; null when it cannot be read. */
async function connectorProgress(
  kafka: KafkaAdapter,
  flow: Flow,
  signal: AbortSignal,
  logger: Logger,
): Promise<Map<string, bigint> | null> {
  if (!flow.connect || !flow.connectors?.source) return null;
  try {
    const connect = kafka.connect(flow.connect);
    // A running task commits every flush interval: its committed offsets trail what it copied, so
    // a live flow's lag comes from the offset syncs. Paused or stopped, they are final and exact.
    const status = await connect.status(flow.connectors.source, signal);
    if (!status || status.tasks.some((t) => t.state === "RUNNING")) return null;
    const offsets = await connect.offsets(flow.connectors.source, signal);
    return offsets === null ? null : replicatedUpTo(offsets, flow.sourceAlias);
  } catch (err) {
    if (signal.aborted) throw err;
    logger.warn(
      { connect: flow.connect, error: err instanceof Error ? err.message : String(err) },
      "connector offsets unavailable; replication lag from offset syncs",
    );
    return null;
  }
}

export const checkReplicationStep = defineStep<Input, "kafka">({
  kind: "kafka.checkReplication",
  description: "MM2 health for a flow: heartbeat age, mirrored topics and partitions, replication lag",
  adapters: ["kafka"],
  targets: { flow: "replication flow" },
  input: inputSchema,
  evaluate: evaluateCheckReplication,
  check: {
    async inspect(ctx, input) {
      const kafka = ctx.adapters.kafka;
      const flow = kafka.flow(input.flow);
      const target = kafka.cluster(flow.target);
      const source = kafka.cluster(flow.source);
      const now = ctx.clock.now();
      const targetTopics = new Set(await target.listTopics(ctx.signal));

      // Heartbeats: the replicated `<alias>.heartbeats` if MM2 mirrors one, else the target's own topic.
      let heartbeatAt = -1;
      for (const topic of [`${flow.sourceAlias}${flow.separator}heartbeats`, "heartbeats"]) {
        if (!targetTopics.has(topic)) continue;
        for (const p of await target.offsets(topic, ctx.signal)) {
          if (p.high <= p.low) continue;
          const from = p.high - 20n > p.low ? p.high - 20n : p.low;
          for (const r of await target.readPartition(topic, p.partition, from, p.high, ctx.signal)) {
            try {
              const hb = decodeHeartbeat(r.key, r.value);
              if (hb.sourceClusterAlias === flow.sourceAlias)
                heartbeatAt = Math.max(heartbeatAt, hb.timestamp.getTime());
            } catch {
              /* not a heartbeat record */
            }
          }
        }
        if (heartbeatAt >= 0) break;
      }
      const heartbeatAgeMs = heartbeatAt < 0 ? null : Math.max(0, now - heartbeatAt);

      let sourceReachable = true;
      let sourceTopics: string[] = [];
      try {
        const probe = AbortSignal.any([ctx.signal, AbortSignal.timeout(10_000)]);
        const re = new RegExp(`^(?:${flow.topics})$`);
        sourceTopics = (await source.listTopics(probe))
          .filter((t) => re.test(t) && !isInternalTopic(t))
          .sort();
      } catch (err) {
        if (ctx.signal.aborted) throw err;
        sourceReachable = false;
      }

      const missing: string[] = [];
      const partitionMismatches: string[] = [];
      const lagByTopic: JsonObject = {};
      const stranded: JsonObject[] = [];
      let totalLag: number | null = sourceReachable ? 0 : null;
      let lagBasis: string | null = null;
      if (sourceReachable) {
        // Where replication stands: the source connector's committed offsets when its worker answers
        // (exact whatever the target holds: with identity naming dc2's own writes after a failover land
        // in the same topic), else the offset syncs against the target's log end.
        const upTo = await connectorProgress(kafka, flow, ctx.signal, ctx.logger);
        const syncs = syncsByPartition(await readOffsetSyncs(source, flow.targetAlias, ctx.signal));
        lagBasis = upTo
          ? `committed offsets of ${flow.connectors!.source} on Connect worker ${flow.connect!}`
          : `offset syncs on ${flow.source} against ${flow.target}'s log end`;
        for (const st of sourceTopics) {
          const tt = remoteTopic(flow, st);
          const onTarget = targetTopics.has(tt);
          if (!onTarget) missing.push(tt);
          if (!onTarget && !upTo) continue;
          const so = await source.offsets(st, ctx.signal);
          const to = onTarget ? await target.offsets(tt, ctx.signal) : [];
          if (onTarget && so.length !== to.length)
            partitionMismatches.push(`${st} has ${so.length} partitions, ${tt} has ${to.length}`);
          let lag: number | null = 0;
          for (const p of so) {
            let from: bigint | null;
            if (p.high === p.low)
              from = p.high; // nothing to replicate, with or without bookkeeping
            else if (upTo) {
              const committed = bigMax(upTo.get(`${st}/${p.partition}`) ?? p.low, p.low);
              from = await confirmedEnd(
                source,
                target,
                st,
                tt,
                p.partition,
                syncs.get(`${st}/${p.partition}`),
                committed,
                p.high,
                ctx.signal,
              );
            } else {
              const targetEnd = to.find((x) => x.partition === p.partition)?.high ?? 0n;
              const n = unreplicated(syncs.get(`${st}/${p.partition}`), p.high, targetEnd);
              from = n === null ? null : p.high - n;
            }
            if (from === null) {
              lag = null;
              continue;
            }
            const n = p.high > from ? p.high - from : 0n;
            if (n > 0n)
              stranded.push({
                topic: st,
                partition: p.partition,
                fromOffset: Number(from),
                toOffset: Number(p.high - 1n),
                count: Number(n),
              });
            if (lag !== null) lag += Number(n);
          }
          lagByTopic[st] = lag;
          if (lag === null) totalLag = null;
          else if (totalLag !== null) totalLag += lag;
        }
      }

      const outputs: JsonObject = {
        flow: flow.name,
        sourceReachable,
        heartbeatAgeMs,
        topics: sourceTopics.length,
        missingTopics: missing,
        partitionMismatches,
        lag: lagByTopic,
        totalLag,
        lagBasis,
        // Records on the source beyond what was replicated (after a failover: acknowledged on the
        // source but never replicated, what a truncate-and-restore would lose), per partition.
        stranded,
        strandedCount: totalLag,
      };
      const problems: string[] = [];
      if (input.maxHeartbeatAge !== undefined) {
        const limit = parseDurationMs(input.maxHeartbeatAge);
        if (heartbeatAgeMs === null)
          problems.push(`no heartbeats from ${flow.sourceAlias} on ${flow.target}`);
        else if (heartbeatAgeMs > limit)
          problems.push(
            `newest heartbeat is ${(heartbeatAgeMs / 1000).toFixed(1)} s old (limit ${input.maxHeartbeatAge})`,
          );
      }
      if (input.requireTopics && missing.length > 0)
        problems.push(`missing on ${flow.target}: ${missing.join(", ")}`);
      if (input.requireTopics && partitionMismatches.length > 0)
        problems.push(partitionMismatches.join("; "));
      const lagging = input.maxLag !== undefined && totalLag !== null && totalLag > input.maxLag;
      if (lagging) problems.push(`${totalLag} messages not replicated (limit ${input.maxLag})`);
      if (problems.length > 0) {
        throw new SwitchoverError(
          ErrorCode.AssertionFailed,
          `replication ${flow.name} unhealthy: ${problems.join("; ")}`,
          // Lag alone is "not yet": a step's retry policy may wait for replication to catch up.
          { details: outputs, retryable: lagging && problems.length === 1 },
        );
      }
      return outputs;
    },
  },
});
