// `kafka.checkReplication`: MirrorMaker 2 health for a flow — heartbeat age on the target, every
// replicated source topic present on the target with the same partition count (identity or prefixed
// naming), and replication lag per topic when the source is reachable. Outputs figures to `assert` on.
import { z } from "zod";
import { decodeHeartbeat } from "../../adapters/kafka/mm2-records.js";
import { readOffsetSyncs } from "../../adapters/kafka/mm2-state.js";
import { remoteTopic, syncsByPartition, unreplicated } from "../../adapters/kafka/offset-translation.js";
import { isInternalTopic } from "../../adapters/kafka/topic-selection.js";
import "../../adapters/kafka/kafka-adapter.js";
import { isDuration, parseDurationMs } from "../../engine/duration.js";
import { ErrorCode, SwitchoverError } from "../../engine/errors.js";
import type { JsonObject } from "../../engine/json.js";
import { defineStep } from "../../engine/step-contract.js";
import type { StepPlan } from "../../engine/step-contract.js";
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

export const checkReplicationStep = defineStep<Input, "kafka">({
  kind: "kafka.checkReplication",
  description: "MM2 health for a flow: heartbeat age, mirrored topics and partitions, replication lag",
  adapters: ["kafka"],
  input: inputSchema,
  evaluate: evaluateCheckReplication,
  async plan(ctx, input): Promise<StepPlan> {
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
      sourceTopics = (await source.listTopics(probe)).filter((t) => re.test(t) && !isInternalTopic(t)).sort();
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      sourceReachable = false;
    }

    const missing: string[] = [];
    const partitionMismatches: string[] = [];
    const lagByTopic: JsonObject = {};
    let totalLag: number | null = sourceReachable ? 0 : null;
    if (sourceReachable) {
      const syncs = syncsByPartition(await readOffsetSyncs(source, flow.targetAlias, ctx.signal));
      for (const st of sourceTopics) {
        const tt = remoteTopic(flow, st);
        if (!targetTopics.has(tt)) {
          missing.push(tt);
          continue;
        }
        const [so, to] = [await source.offsets(st, ctx.signal), await target.offsets(tt, ctx.signal)];
        if (so.length !== to.length)
          partitionMismatches.push(`${st} has ${so.length} partitions, ${tt} has ${to.length}`);
        let lag: number | null = 0;
        for (const p of so) {
          const targetEnd = to.find((x) => x.partition === p.partition)?.high ?? 0n;
          // An empty source partition has nothing to replicate, with or without syncs.
          const n =
            p.high === p.low ? 0n : unreplicated(syncs.get(`${st}/${p.partition}`), p.high, targetEnd);
          if (n === null) lag = null;
          else if (lag !== null) lag += Number(n);
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
    };
    const problems: string[] = [];
    if (input.maxHeartbeatAge !== undefined) {
      const limit = parseDurationMs(input.maxHeartbeatAge);
      if (heartbeatAgeMs === null) problems.push(`no heartbeats from ${flow.sourceAlias} on ${flow.target}`);
      else if (heartbeatAgeMs > limit)
        problems.push(
          `newest heartbeat is ${(heartbeatAgeMs / 1000).toFixed(1)} s old (limit ${input.maxHeartbeatAge})`,
        );
    }
    if (input.requireTopics && missing.length > 0)
      problems.push(`missing on ${flow.target}: ${missing.join(", ")}`);
    if (input.requireTopics && partitionMismatches.length > 0) problems.push(partitionMismatches.join("; "));
    if (input.maxLag !== undefined && totalLag !== null && totalLag > input.maxLag)
      problems.push(`${totalLag} messages not replicated (limit ${input.maxLag})`);
    if (problems.length > 0) {
      throw new SwitchoverError(
        ErrorCode.AssertionFailed,
        `replication ${flow.name} unhealthy: ${problems.join("; ")}`,
        {
          details: outputs,
        },
      );
    }
    return { changes: [], outputs };
  },
  async apply() {
    return null;
  },
  async verify() {},
  revert: () => undefined,
});
