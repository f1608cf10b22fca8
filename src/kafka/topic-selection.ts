// Which topics a step acts on: explicit names, a regular expression, and/or predicates over live
// state (e.g. min.insync.replicas above the replicas left in surviving racks). Internal topics are
// left out unless asked for; a named topic that does not exist is an error, a pattern may match none.
import { z } from "zod";
import { ErrorCode, SwitchoverError } from "../engine/errors.js";
import type { BrokerInfo, TopicState } from "./cluster-state.js";

const regex = z.string().check((ctx) => {
  try {
    new RegExp(ctx.value);
  } catch (err) {
    ctx.issues.push({
      code: "custom",
      input: ctx.value,
      message: `invalid regular expression: ${err instanceof Error ? err.message : String(err)}`,
    });
  }
});

export const topicSelectionSchema = z
  .strictObject({
    names: z.array(z.string().min(1).max(249)).min(1).optional(),
    /** Anchored: the whole topic name must match. */
    pattern: regex.optional(),
    where: z
      .strictObject({
        /** min.insync.replicas > replicas on live brokers outside these racks (the DC-loss predicate). */
        minIsrExceedsSurvivingReplicas: z
          .strictObject({ failedRacks: z.array(z.string()).default([]) })
          .optional(),
        /**
         * Some partition has a replica on one of these racks or brokers. With racks given, a replica
         * on a broker that is not live counts too: a lost DC's brokers leave the cluster's broker list,
         * and with them the only record of their rack (a dead broker holds no usable replica anyway).
         */
        hasReplicasOn: z
          .strictObject({
            racks: z.array(z.string()).optional(),
            brokers: z.array(z.number().int()).optional(),
          })
          .optional(),
        underReplicated: z.boolean().optional(),
      })
      .optional(),
    includeInternal: z.boolean().default(false),
  })
  .check((ctx) => {
    if (!ctx.value.names && ctx.value.pattern === undefined && !ctx.value.where) {
      ctx.issues.push({
        code: "custom",
        input: ctx.value,
        message: "select topics by names, pattern and/or where",
      });
    }
  });
export type TopicSelection = z.infer<typeof topicSelectionSchema>;

/** Kafka's own internals and MirrorMaker 2 / Connect bookkeeping topics. */
export function isInternalTopic(name: string): boolean {
  return (
    name.startsWith("__") ||
    name.endsWith(".internal") ||
    /(^|\.)heartbeats$/.test(name) ||
    /^(mm2|connect)-(offsets|status|configs)(\..*)?$/.test(name)
  );
}

export interface SelectionFacts {
  states: Map<string, TopicState>;
  minIsr: Map<string, number>;
  brokers: BrokerInfo[];
}

/** Replicas of a partition that sit on live brokers outside the failed racks. */
export function survivingReplicas(
  replicas: readonly number[],
  brokers: readonly BrokerInfo[],
  failedRacks: readonly string[],
): number {
  const alive = new Map(brokers.map((b) => [b.nodeId, b.rack]));
  return replicas.filter((r) => alive.has(r) && !failedRacks.includes(alive.get(r) ?? "")).length;
}

/** The predicate part of a selection, over facts already read (pure; unit-tested). */
export function matchesWhere(
  topic: string,
  where: NonNullable<TopicSelection["where"]>,
  facts: SelectionFacts,
): boolean {
  const state = facts.states.get(topic);
  if (!state) return false;
  if (where.minIsrExceedsSurvivingReplicas) {
    const minIsr = facts.minIsr.get(topic) ?? 1;
    const failed = where.minIsrExceedsSurvivingReplicas.failedRacks;
    const worst = Math.min(
      ...state.partitions.map((p) => survivingReplicas(p.replicas, facts.brokers, failed)),
    );
    if (!(minIsr > worst)) return false;
  }
  if (where.hasReplicasOn) {
    const racks = new Set(where.hasReplicasOn.racks ?? []);
    const ids = new Set(where.hasReplicasOn.brokers ?? []);
    const rackOf = new Map(facts.brokers.map((b) => [b.nodeId, b.rack]));
    const on = (r: number): boolean =>
      ids.has(r) || (racks.size > 0 && (!rackOf.has(r) || racks.has(rackOf.get(r) ?? "\u0000")));
    if (!state.partitions.some((p) => p.replicas.some(on))) return false;
  }
  if (where.underReplicated !== undefined) {
    const under = state.partitions.some((p) => p.isr.length < p.replicas.length);
    if (under !== where.underReplicated) return false;
  }
  return true;
}

/** Names and pattern against the cluster's topic list (pure). */
export function matchNames(all: readonly string[], sel: TopicSelection): string[] {
  const exists = new Set(all);
  if (sel.names) {
    const missing = sel.names.filter((n) => !exists.has(n));
    if (missing.length > 0) {
      throw new SwitchoverError(ErrorCode.NotFound, `unknown topic(s): ${missing.join(", ")}`, {
        details: { missing },
      });
    }
  }
  const re = sel.pattern !== undefined ? new RegExp(`^(?:${sel.pattern})$`) : undefined;
  let picked = sel.names ? [...new Set(sel.names)] : [...all];
  if (re) picked = picked.filter((t) => re.test(t));
  // Named internal topics are an explicit ask; patterns and predicates skip them unless included.
  if (!sel.includeInternal) picked = picked.filter((t) => !isInternalTopic(t) || sel.names?.includes(t));
  return picked.sort();
}
