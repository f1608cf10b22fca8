// `kafka.setTopicConfig`: set (or restore) topic overrides on a selection — min.insync.replicas first
// of all — while every other override stays exactly as it was. Validated by the brokers at plan time.
import { z } from "zod";
import { selectTopics } from "../../adapters/kafka/select-topics.js";
import { topicSelectionSchema } from "../../kafka/topic-selection.js";
import { ErrorCode, SwitchoverError } from "../../engine/errors.js";
import type { JsonObject } from "../../engine/json.js";
import { defineStep } from "../step-adapters.js";
import type { StepPlan } from "../../engine/step-contract.js";
import { clusterRef } from "../../engine/target-ref.js";
import type { TargetCatalog } from "../../engine/target-catalog.js";
import { parseResource, topicResource } from "./resource-names.js";
import { evaluateClusterTopics } from "./evaluate-kafka-steps.js";

const configKey = z.string().regex(/^[a-z][a-z0-9.]*$/, "a Kafka config name such as min.insync.replicas");
const configValue = z.union([z.string(), z.number().transform(String), z.null()]);

const inputSchema = (t: TargetCatalog) =>
  z
    .strictObject({
      cluster: clusterRef(t),
      topics: topicSelectionSchema.optional(),
      /** Overrides to set on every selected topic; null removes an override. */
      set: z.record(configKey, configValue).optional(),
      /** Per-topic overrides to put back (what revert uses): topic → key → value or null. */
      restore: z.record(z.string(), z.record(configKey, z.union([z.string(), z.null()]))).optional(),
    })
    .check((ctx) => {
      const v = ctx.value;
      const bySet = v.topics !== undefined && v.set !== undefined;
      if (bySet === (v.restore !== undefined)) {
        ctx.issues.push({
          code: "custom",
          input: v,
          message: "give either topics and set, or restore",
          path: [],
        });
      }
      if (v.set && Object.keys(v.set).length === 0) {
        ctx.issues.push({ code: "custom", input: v.set, message: "set at least one config", path: ["set"] });
      }
    });
type Input = z.infer<ReturnType<typeof inputSchema>>;

/** topic → key → desired value, from the plan's changes. */
function desiredFromPlan(plan: StepPlan): Map<string, Record<string, string | null>> {
  const out = new Map<string, Record<string, string | null>>();
  for (const c of plan.changes) {
    const { topic } = parseResource(c.resource);
    const entry = out.get(topic!) ?? {};
    entry[c.field] = c.to as string | null;
    out.set(topic!, entry);
  }
  return out;
}

export const setTopicConfigStep = defineStep<Input, "kafka">({
  kind: "kafka.setTopicConfig",
  description: "Set or restore topic configs on a selection, keeping every other override unchanged",
  adapters: ["kafka"],
  targets: { cluster: "cluster" },
  input: inputSchema,
  evaluate: evaluateClusterTopics,
  async plan(ctx, input): Promise<StepPlan> {
    const client = ctx.adapters.kafka.cluster(input.cluster);
    const wanted = new Map<string, Record<string, string | null>>();
    if (input.restore) {
      for (const [topic, values] of Object.entries(input.restore)) wanted.set(topic, values);
    } else {
      const { topics } = await selectTopics(client, input.topics!, ctx.signal);
      for (const t of topics) wanted.set(t, input.set!);
    }
    const current = await client.topicOverrides([...wanted.keys()], ctx.signal);
    const changes: StepPlan["changes"] = [];
    const pending = new Map<string, Record<string, string | null>>();
    for (const [topic, values] of wanted) {
      const now = current.get(topic)!.values;
      for (const [key, to] of Object.entries(values)) {
        const from = now[key] ?? null;
        if (from === to) continue;
        changes.push({ resource: topicResource(input.cluster, topic), field: key, from, to });
        pending.set(topic, { ...pending.get(topic), [key]: to });
      }
    }
    // The brokers' own validation: a bad value fails the dry-run, not the real run halfway.
    if (pending.size > 0)
      await client.alterTopicOverrides(pending, { validateOnly: true, signal: ctx.signal });
    return { changes, outputs: { topics: [...wanted.keys()], changed: pending.size } };
  },
  async apply(ctx, plan, input) {
    const client = ctx.adapters.kafka.cluster(input.cluster);
    const desired = desiredFromPlan(plan);
    const current = await client.topicOverrides([...desired.keys()], ctx.signal);
    const todo = new Map<string, Record<string, string | null>>();
    const before: JsonObject = {};
    for (const [topic, values] of desired) {
      const now = current.get(topic)!.values;
      for (const [key, to] of Object.entries(values)) {
        if ((now[key] ?? null) === to) continue;
        todo.set(topic, { ...todo.get(topic), [key]: to });
        before[topic] = { ...(before[topic] as JsonObject | undefined), [key]: now[key] ?? null };
      }
    }
    if (todo.size > 0) await client.alterTopicOverrides(todo, { signal: ctx.signal });
    ctx.logger.info({ topics: todo.size }, "topic overrides written");
    return before;
  },
  async verify(ctx, input, plan) {
    const client = ctx.adapters.kafka.cluster(input.cluster);
    const desired = desiredFromPlan(plan);
    const current = await client.topicOverrides([...desired.keys()], ctx.signal);
    const wrong: string[] = [];
    for (const [topic, values] of desired) {
      for (const [key, to] of Object.entries(values)) {
        const now = current.get(topic)!.values[key] ?? null;
        if (now !== to) wrong.push(`${topic} ${key}=${String(now)} (want ${String(to)})`);
      }
    }
    if (wrong.length > 0) {
      throw new SwitchoverError(ErrorCode.VerifyFailed, `topic configs did not take: ${wrong.join("; ")}`);
    }
  },
  revert(record) {
    // Apply's before-state, or after a crash inside apply the plan's "from" values.
    const restore: Record<string, Record<string, string | null>> = {};
    const before = record.before as Record<string, Record<string, string | null>> | null;
    if (before && Object.keys(before).length > 0) Object.assign(restore, before);
    else
      for (const c of record.plan.changes) {
        const { topic } = parseResource(c.resource);
        restore[topic!] = { ...restore[topic!], [c.field]: c.from as string | null };
      }
    if (Object.keys(restore).length === 0) return undefined;
    return { uses: "kafka.setTopicConfig", with: { cluster: record.input.cluster, restore } };
  },
});
