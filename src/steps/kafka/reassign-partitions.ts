// `kafka.reassignPartitions`: move replicas off failed brokers/racks onto survivors (rack-aware,
// balanced), or restore a recorded placement; optional replication throttle set and removed; waits
// until every reassignment finished with a full ISR, reporting progress as it goes.
import { z } from "zod";
import type { ClusterClient } from "../../adapters/kafka/cluster-client.js";
import { PlacementError, planPlacement } from "../../kafka/replica-placement.js";
import { selectTopics } from "../../adapters/kafka/select-topics.js";
import { topicSelectionSchema } from "../../kafka/topic-selection.js";
import { isDuration, parseDurationMs } from "../../engine/duration.js";
import { ErrorCode, SwitchoverError } from "../../engine/errors.js";
import type { JsonObject } from "../../engine/json.js";
import { defineStep } from "../step-adapters.js";
import type { StepContext } from "../step-adapters.js";
import type { StepPlan } from "../../engine/step-contract.js";
import { clusterRef } from "../../engine/target-ref.js";
import type { TargetCatalog } from "../../engine/target-catalog.js";
import { parseResource, partitionResource } from "./resource-names.js";
import { evaluateClusterTopics } from "./evaluate-kafka-steps.js";

const brokerId = z.number().int().min(0);
const inputSchema = (t: TargetCatalog) =>
  z
    .strictObject({
      cluster: clusterRef(t),
      topics: topicSelectionSchema.optional(),
      drainRacks: z.array(z.string().min(1)).default([]),
      drainBrokers: z.array(brokerId).default([]),
      replicationFactor: z.number().int().min(1).optional(),
      /** A recorded placement to put back: topic → partition → replicas (what revert uses). */
      restore: z.record(z.string(), z.record(z.string().regex(/^\d+$/), z.array(brokerId).min(1))).optional(),
      /** Replication throttle in bytes/s while moving; removed when done. */
      throttleBytesPerSecond: z.number().int().positive().optional(),
      pollInterval: z.string().refine(isDuration, "a duration such as 2s").default("2s"),
    })
    .check((ctx) => {
      if ((ctx.value.topics === undefined) === (ctx.value.restore === undefined)) {
        ctx.issues.push({
          code: "custom",
          input: ctx.value,
          message: "give either topics or restore",
          path: [],
        });
      }
    });
type Input = z.infer<ReturnType<typeof inputSchema>>;

interface Target {
  topic: string;
  partition: number;
  replicas: number[];
}

const sameList = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);
const sameSet = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((x) => b.includes(x));

function targetsOf(plan: StepPlan): Target[] {
  return plan.changes.map((c) => {
    const r = parseResource(c.resource);
    return { topic: r.topic!, partition: r.partition!, replicas: c.to as number[] };
  });
}

const THROTTLE_TOPIC_KEYS = [
  "leader.replication.throttled.replicas",
  "follower.replication.throttled.replicas",
];
const THROTTLE_BROKER_KEYS = ["leader.replication.throttled.rate", "follower.replication.throttled.rate"];

/** Sets the throttle and returns a function that puts the previous values back. */
async function throttle(
  client: ClusterClient,
  topics: string[],
  rate: number,
  ctx: StepContext<"kafka">,
): Promise<() => Promise<void>> {
  const topicBefore = await client.topicOverrides(topics, ctx.signal);
  const brokers = (await client.brokers(ctx.signal)).map((b) => b.nodeId);
  const brokerBefore = await client.brokerOverrides(brokers, ctx.signal);
  const set = (keys: string[], v: string): Record<string, string> =>
    Object.fromEntries(keys.map((k) => [k, v]));
  await client.alterTopicOverrides(new Map(topics.map((t) => [t, set(THROTTLE_TOPIC_KEYS, "*")])), {
    signal: ctx.signal,
  });
  for (const b of brokers)
    await client.alterBrokerOverrides(b, set(THROTTLE_BROKER_KEYS, String(rate)), ctx.signal);
  ctx.logger.info({ rate, topics: topics.length, brokers }, "replication throttle set");
  return async () => {
    const back = (keys: string[], values: Record<string, string>): Record<string, string | null> =>
      Object.fromEntries(keys.map((k) => [k, values[k] ?? null]));
    // Not under the step's signal: the throttle must come off even when the wait timed out.
    await client.alterTopicOverrides(
      new Map(topics.map((t) => [t, back(THROTTLE_TOPIC_KEYS, topicBefore.get(t)!.values)])),
    );
    for (const b of brokers)
      await client.alterBrokerOverrides(b, back(THROTTLE_BROKER_KEYS, brokerBefore.get(b)!.values));
    ctx.logger.info({ topics: topics.length }, "replication throttle removed");
  };
}

/** Unfinished targets: still reassigning, placed differently, or ISR short of the replicas. */
async function unfinished(client: ClusterClient, targets: Target[], signal: AbortSignal): Promise<string[]> {
  const ongoing = await client.ongoingReassignments(signal);
  const states = new Map(
    (await client.topicStates([...new Set(targets.map((t) => t.topic))], signal)).map((s) => [s.topic, s]),
  );
  const out: string[] = [];
  for (const t of targets) {
    const p = states.get(t.topic)?.partitions.find((x) => x.partition === t.partition);
    const key = `${t.topic}/${t.partition}`;
    if (ongoing.has(key)) out.push(`${key} reassigning`);
    else if (!p || !sameList(p.replicas, t.replicas))
      out.push(`${key} replicas ${JSON.stringify(p?.replicas)}`);
    else if (!t.replicas.every((r) => p.isr.includes(r))) out.push(`${key} isr ${JSON.stringify(p.isr)}`);
  }
  return out;
}

export const reassignPartitionsStep = defineStep<Input, "kafka">({
  kind: "kafka.reassignPartitions",
  description:
    "Move replicas off failed brokers/racks (rack-aware, balanced) or restore a recorded placement",
  adapters: ["kafka"],
  targets: { cluster: "cluster" },
  input: inputSchema,
  evaluate: evaluateClusterTopics,
  async plan(ctx, input): Promise<StepPlan> {
    const client = ctx.adapters.kafka.cluster(input.cluster);
    const brokers = await client.brokers(ctx.signal);
    const live = brokers.map((b) => b.nodeId);
    const changes: StepPlan["changes"] = [];
    if (input.restore) {
      const topics = Object.keys(input.restore);
      const existing = new Set(await client.listTopics(ctx.signal));
      const missing = topics.filter((t) => !existing.has(t));
      if (missing.length > 0)
        throw new SwitchoverError(ErrorCode.NotFound, `unknown topic(s): ${missing.join(", ")}`);
      const states = new Map((await client.topicStates(topics, ctx.signal)).map((s) => [s.topic, s]));
      for (const [topic, parts] of Object.entries(input.restore)) {
        for (const [p, replicas] of Object.entries(parts)) {
          const dead = replicas.filter((r) => !live.includes(r));
          if (dead.length > 0) {
            throw new SwitchoverError(
              ErrorCode.Validation,
              `cannot place ${topic}-${p} on broker(s) ${dead.join(", ")}: not a live broker of ${input.cluster} (live: ${live.join(", ")})`,
              { details: { topic, partition: Number(p), dead, live } },
            );
          }
          if (new Set(replicas).size !== replicas.length) {
            throw new SwitchoverError(
              ErrorCode.Validation,
              `${topic}-${p}: duplicate brokers in ${JSON.stringify(replicas)}`,
            );
          }
          const cur = states.get(topic)!.partitions.find((x) => x.partition === Number(p));
          if (!cur) throw new SwitchoverError(ErrorCode.NotFound, `topic ${topic} has no partition ${p}`);
          if (!sameList(cur.replicas, replicas)) {
            changes.push({
              resource: partitionResource(input.cluster, topic, cur.partition),
              field: "replicas",
              from: cur.replicas,
              to: replicas,
            });
          }
        }
      }
    } else {
      const unknown = input.drainBrokers.filter((b) => !live.includes(b));
      if (unknown.length > 0) ctx.logger.info({ unknown }, "brokers to drain are already gone");
      const { topics, facts } = await selectTopics(client, input.topics!, ctx.signal);
      try {
        const moves = planPlacement({
          partitions: topics.flatMap((t) =>
            facts.states
              .get(t)!
              .partitions.map((p) => ({ topic: t, partition: p.partition, replicas: p.replicas })),
          ),
          brokers,
          drainBrokers: input.drainBrokers,
          drainRacks: input.drainRacks,
          ...(input.replicationFactor !== undefined ? { replicationFactor: input.replicationFactor } : {}),
        });
        for (const m of moves) {
          changes.push({
            resource: partitionResource(input.cluster, m.topic, m.partition),
            field: "replicas",
            from: m.from,
            to: m.to,
          });
        }
      } catch (err) {
        if (err instanceof PlacementError) throw new SwitchoverError(ErrorCode.Validation, err.message);
        throw err;
      }
    }
    return { changes, outputs: { partitions: changes.length, liveBrokers: live } };
  },
  async apply(ctx, plan, input) {
    const client = ctx.adapters.kafka.cluster(input.cluster);
    const targets = targetsOf(plan);
    if (targets.length === 0) return {};
    const topics = [...new Set(targets.map((t) => t.topic))];
    const states = new Map((await client.topicStates(topics, ctx.signal)).map((s) => [s.topic, s]));
    const ongoing = await client.ongoingReassignments(ctx.signal);
    const before: JsonObject = {};
    const submit: Target[] = [];
    for (const t of targets) {
      const cur = states.get(t.topic)!.partitions.find((p) => p.partition === t.partition)!;
      const running = ongoing.get(`${t.topic}/${t.partition}`);
      if (running) {
        const target = running.replicas.filter((r) => !running.removing.includes(r));
        if (sameSet(target, t.replicas)) continue; // already on its way (a repeated apply)
      } else if (sameList(cur.replicas, t.replicas)) continue;
      before[t.topic] = {
        ...(before[t.topic] as JsonObject | undefined),
        [String(t.partition)]: cur.replicas,
      };
      submit.push(t);
    }
    const unthrottle =
      input.throttleBytesPerSecond !== undefined && submit.length > 0
        ? await throttle(client, topics, input.throttleBytesPerSecond, ctx)
        : undefined;
    try {
      await client.reassign(submit, ctx.signal);
      ctx.logger.info({ submitted: submit.length, total: targets.length }, "reassignments submitted");
      // Small moves finish within a second: poll soon, then back off to pollInterval.
      const interval = parseDurationMs(input.pollInterval);
      let wait = Math.min(250, interval);
      for (;;) {
        const left = await unfinished(client, targets, ctx.signal);
        ctx.logger.info(
          { done: targets.length - left.length, total: targets.length, waiting: left.slice(0, 5) },
          "reassignment progress",
        );
        if (left.length === 0) break;
        await ctx.clock.sleep(wait, ctx.signal);
        wait = Math.min(wait * 2, interval);
      }
    } finally {
      await unthrottle?.();
    }
    return before;
  },
  async verify(ctx, input, plan) {
    const client = ctx.adapters.kafka.cluster(input.cluster);
    const left = await unfinished(client, targetsOf(plan), ctx.signal);
    if (left.length > 0) {
      throw new SwitchoverError(
        ErrorCode.VerifyFailed,
        `reassignment not complete: ${left.slice(0, 10).join("; ")}`,
      );
    }
    return { reassigned: plan.changes.length };
  },
  revert(record) {
    const restore: Record<string, Record<string, number[]>> = {};
    const before = record.before as Record<string, Record<string, number[]>> | null;
    if (before && Object.keys(before).length > 0) Object.assign(restore, before);
    else
      for (const c of record.plan.changes) {
        const { topic, partition } = parseResource(c.resource);
        restore[topic!] = { ...restore[topic!], [String(partition)]: c.from as number[] };
      }
    if (Object.keys(restore).length === 0) return undefined;
    const w: JsonObject = { cluster: record.input.cluster, restore };
    if (record.input.throttleBytesPerSecond !== undefined)
      w.throttleBytesPerSecond = record.input.throttleBytesPerSecond;
    return { uses: "kafka.reassignPartitions", with: w };
  },
});
