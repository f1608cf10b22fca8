// `kafka.applyTranslatedOffsets`: commit MM2's translated offsets for groups on the target cluster.
// Refuses groups with live members (naming them); never moves an offset backwards unless
// `allowRewind` says so (held-back partitions are listed in the outputs and logged, not hidden).
import { z } from "zod";
import { isDuration, parseDurationMs } from "../../engine/duration.js";
import { ErrorCode, SwitchoverError } from "../../engine/errors.js";
import type { JsonObject } from "../../engine/json.js";
import { defineStep } from "../step-adapters.js";
import type { StepPlan } from "../../engine/step-contract.js";
import { clusterRef, replicationFlowRef } from "../../engine/target-ref.js";
import type { TargetCatalog } from "../../engine/target-catalog.js";
import { groupResource, parseResource } from "./resource-names.js";
import { failOnProblems, refuseLiveGroups, translate, translationOutputs } from "./translated-offsets.js";
import { evaluateApplyTranslatedOffsets } from "./evaluate-kafka-steps.js";

const offset = z.number().int().min(0);
const inputSchema = (t: TargetCatalog) =>
  z
    .strictObject({
      flow: replicationFlowRef(t).optional(),
      groups: z.array(z.string().min(1)).min(1).optional(),
      maxCheckpointAge: z.string().refine(isDuration, "a duration such as 30s").default("5m"),
      /** Allow committing an offset lower than the group's current one on the target. */
      allowRewind: z.boolean().default(false),
      /** Revert mode: put these offsets back on `cluster` (group → topic → partition → offset). */
      cluster: clusterRef(t).optional(),
      restore: z
        .record(z.string(), z.record(z.string(), z.record(z.string().regex(/^\d+$/), offset)))
        .optional(),
    })
    .check((ctx) => {
      const v = ctx.value;
      const byFlow = v.flow !== undefined;
      const byRestore = v.restore !== undefined && v.cluster !== undefined;
      if (byFlow === byRestore) {
        ctx.issues.push({
          code: "custom",
          input: v,
          path: [],
          message: "give either flow (and groups), or cluster and restore",
        });
      }
    });
type Input = z.infer<ReturnType<typeof inputSchema>>;

interface Desired {
  group: string;
  topic: string;
  partition: number;
  offset: bigint;
}

function desiredFromPlan(plan: StepPlan): Desired[] {
  return plan.changes.map((c) => {
    const r = parseResource(c.resource);
    return { group: r.group!, topic: r.topic!, partition: r.partition!, offset: BigInt(c.to as number) };
  });
}

function targetCluster(
  ctx: { adapters: { kafka: { flow(n: string): { target: string } } } },
  input: Input,
): string {
  return input.flow !== undefined ? ctx.adapters.kafka.flow(input.flow).target : input.cluster!;
}

export const applyTranslatedOffsetsStep = defineStep<Input, "kafka">({
  kind: "kafka.applyTranslatedOffsets",
  description: "Commit MM2 translated offsets for consumer groups on the target cluster",
  adapters: ["kafka"],
  targets: { flow: "replication flow", cluster: "cluster" },
  input: inputSchema,
  evaluate: evaluateApplyTranslatedOffsets,
  async plan(ctx, input): Promise<StepPlan> {
    const clusterName = targetCluster(ctx, input);
    const client = ctx.adapters.kafka.cluster(clusterName);
    const wanted: Desired[] = [];
    let outputs: JsonObject = {};
    let allowRewind = input.allowRewind;
    if (input.flow !== undefined) {
      const t = await translate(
        ctx.adapters.kafka,
        input.flow,
        input.groups,
        parseDurationMs(input.maxCheckpointAge),
        ctx.signal,
        ctx.logger,
        ctx.clock.now(),
      );
      failOnProblems(t);
      for (const a of t.groups)
        for (const p of a.partitions)
          wanted.push({ group: a.group, topic: p.targetTopic, partition: p.partition, offset: p.translated });
      outputs = translationOutputs(t);
    } else {
      allowRewind = true; // restoring a recorded state is an explicit rewind
      for (const [group, topics] of Object.entries(input.restore!))
        for (const [topic, parts] of Object.entries(topics))
          for (const [p, o] of Object.entries(parts))
            wanted.push({ group, topic, partition: Number(p), offset: BigInt(o) });
    }
    const groups = [...new Set(wanted.map((w) => w.group))].sort();
    await refuseLiveGroups(client, groups, ctx.signal);
    const current = new Map<string, Map<string, Map<number, bigint>>>();
    for (const g of groups) current.set(g, await client.groupOffsets(g, undefined, ctx.signal));
    const changes: StepPlan["changes"] = [];
    const notRewound: string[] = [];
    for (const w of wanted) {
      const cur = current.get(w.group)?.get(w.topic)?.get(w.partition) ?? null;
      if (cur === w.offset) continue;
      if (cur !== null && cur > w.offset && !allowRewind) {
        notRewound.push(`${w.group} ${w.topic}-${w.partition}: current ${cur} > translated ${w.offset}`);
        continue;
      }
      changes.push({
        resource: groupResource(clusterName, w.group, w.topic, w.partition),
        field: "offset",
        from: cur === null ? null : Number(cur),
        to: Number(w.offset),
      });
    }
    if (notRewound.length > 0) {
      ctx.logger.warn(
        { notRewound: notRewound.slice(0, 20) },
        "offsets ahead of the translation are left as they are (allowRewind: false)",
      );
    }
    return { changes, outputs: { ...outputs, commits: changes.length, notRewound } };
  },
  async apply(ctx, plan, input) {
    const client = ctx.adapters.kafka.cluster(targetCluster(ctx, input));
    const desired = desiredFromPlan(plan);
    const allowRewind = input.allowRewind || input.restore !== undefined;
    const groups = [...new Set(desired.map((d) => d.group))].sort();
    await refuseLiveGroups(client, groups, ctx.signal);
    const before: JsonObject = {};
    for (const g of groups) {
      const current = await client.groupOffsets(g, undefined, ctx.signal);
      const byTopic = new Map<string, { partition: number; offset: bigint }[]>();
      for (const d of desired.filter((x) => x.group === g)) {
        const cur = current.get(d.topic)?.get(d.partition) ?? null;
        if (cur === d.offset) continue;
        if (cur !== null && cur > d.offset && !allowRewind) {
          ctx.logger.warn(
            { group: g, topic: d.topic, partition: d.partition, current: cur.toString() },
            "offset moved past the translation since planning; not rewinding",
          );
          continue;
        }
        const list = byTopic.get(d.topic) ?? [];
        list.push({ partition: d.partition, offset: d.offset });
        byTopic.set(d.topic, list);
        const gb = (before[g] ??= {}) as JsonObject;
        const tb = (gb[d.topic] ??= {}) as JsonObject;
        tb[String(d.partition)] = cur === null ? null : Number(cur);
      }
      for (const [topic, parts] of byTopic) await client.commitGroupOffsets(g, topic, parts, ctx.signal);
    }
    return before;
  },
  async verify(ctx, input, plan) {
    const client = ctx.adapters.kafka.cluster(targetCluster(ctx, input));
    const desired = desiredFromPlan(plan);
    const wrong: string[] = [];
    for (const g of new Set(desired.map((d) => d.group))) {
      const current = await client.groupOffsets(g, undefined, ctx.signal);
      for (const d of desired.filter((x) => x.group === g)) {
        const cur = current.get(d.topic)?.get(d.partition) ?? null;
        if (cur === null || cur < d.offset)
          wrong.push(`${g} ${d.topic}-${d.partition}: ${cur} (want ${d.offset})`);
      }
    }
    if (wrong.length > 0)
      throw new SwitchoverError(
        ErrorCode.VerifyFailed,
        `offsets not committed: ${wrong.slice(0, 10).join("; ")}`,
      );
    return { committed: desired.length };
  },
  revert(record) {
    // Offsets that did not exist before cannot be un-committed through kafkajs (no OffsetDelete): kept.
    const restore: Record<string, Record<string, Record<string, number>>> = {};
    const before = record.before as Record<string, Record<string, Record<string, number | null>>> | null;
    const add = (g: string, t: string, p: string, o: number | null): void => {
      if (o === null) return;
      ((restore[g] ??= {})[t] ??= {})[p] = o;
    };
    if (before && Object.keys(before).length > 0) {
      for (const [g, ts] of Object.entries(before))
        for (const [t, ps] of Object.entries(ts)) for (const [p, o] of Object.entries(ps)) add(g, t, p, o);
    } else {
      for (const c of record.plan.changes) {
        const r = parseResource(c.resource);
        add(r.group!, r.topic!, String(r.partition), c.from as number | null);
      }
    }
    if (Object.keys(restore).length === 0) return undefined;
    const cluster = record.plan.changes[0]
      ? parseResource(record.plan.changes[0].resource).cluster
      : record.input.cluster!;
    return { uses: "kafka.applyTranslatedOffsets", with: { cluster, restore } };
  },
});
