// `mirror.createFlow`: create (or update, or remove) MirrorMaker 2 connectors through the Connect REST
// API — given explicitly, or derived as the reverse of a configured flow (what failback needs:
// dc2 → dc1 with source and target swapped). Configs are validated by the worker at plan time.
import { z } from "zod";
import type { ConnectClient } from "../../adapters/kafka/connect-client.js";
import type { KafkaAdapter } from "../../adapters/kafka/kafka-adapter.js";
import { ErrorCode, SwitchoverError } from "../../engine/errors.js";
import type { JsonObject, JsonValue } from "../../engine/json.js";
import { defineStep } from "../step-adapters.js";
import type { StepPlan } from "../../engine/step-contract.js";
import { connectWorkerRef, replicationFlowRef } from "../../engine/target-ref.js";
import type { TargetCatalog } from "../../engine/target-catalog.js";
import { connectorRoles, flowConnectors } from "./flow-connectors.js";
import { evaluateCreateFlow } from "./evaluate-mirror-steps.js";

const connectorName = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,200}$/, "a connector name (letters, digits, . _ -)");
const connectorConfig = z.record(z.string(), z.string());

const inputSchema = (t: TargetCatalog) =>
  z
    .strictObject({
      /** Connect worker (a name under `connect` in the environment); default: the reversed flow's. */
      connect: connectWorkerRef(t).optional(),
      /** Derive connectors as the reverse of this flow (source ⇄ target). */
      reverseOf: replicationFlowRef(t).optional(),
      roles: z.array(z.enum(connectorRoles)).min(1).optional(),
      /** Suffix for derived connector names. */
      suffix: z
        .string()
        .regex(/^[A-Za-z0-9._-]{1,50}$/)
        .default("-reverse"),
      /** Source-topic regex of the derived flow (default: the original's). */
      topics: z.string().min(1).optional(),
      /** Explicit connectors: name → config, or null to remove one (revert uses this). */
      connectors: z.record(connectorName, connectorConfig.nullable()).optional(),
      settleMs: z.number().int().positive().max(300_000).default(30_000),
    })
    .check((ctx) => {
      const v = ctx.value;
      if ((v.reverseOf === undefined) === (v.connectors === undefined)) {
        ctx.issues.push({
          code: "custom",
          input: v,
          path: [],
          message: "give either reverseOf or connectors",
        });
      }
      if (v.connectors !== undefined && v.connect === undefined) {
        ctx.issues.push({
          code: "custom",
          input: v,
          path: ["connect"],
          message: "explicit connectors need a connect worker",
        });
      }
    });
type Input = z.infer<ReturnType<typeof inputSchema>>;

/** MM2 connector config with the two clusters swapped (aliases, bootstrap and client settings). */
export function reverseConnectorConfig(
  config: Readonly<Record<string, string>>,
  name: string,
  topics?: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(config)) {
    if (k.startsWith("source.cluster.")) out[`target.cluster.${k.slice("source.cluster.".length)}`] = v;
    else if (k.startsWith("target.cluster.")) out[`source.cluster.${k.slice("target.cluster.".length)}`] = v;
    else out[k] = v;
  }
  out.name = name;
  if (topics !== undefined) out.topics = topics;
  return out;
}

function workerFor(ctx: { adapters: { kafka: KafkaAdapter } }, input: Input): ConnectClient {
  if (input.connect !== undefined) return ctx.adapters.kafka.connect(input.connect);
  return flowConnectors(ctx.adapters.kafka, input.reverseOf!).connect;
}

const same = (a: Record<string, string> | null, b: Record<string, string> | null): boolean =>
  JSON.stringify(a && Object.entries(a).sort()) === JSON.stringify(b && Object.entries(b).sort());

const nameOf = (resource: string): string =>
  resource.slice(resource.indexOf("/connector/") + "/connector/".length);

export const mirrorCreateFlowStep = defineStep<Input, "kafka">({
  kind: "mirror.createFlow",
  description: "Create, update or remove MM2 connectors (explicit, or the reverse of a configured flow)",
  adapters: ["kafka"],
  targets: { reverseOf: "replication flow", connect: "connect worker" },
  input: inputSchema,
  evaluate: evaluateCreateFlow,
  async plan(ctx, input): Promise<StepPlan> {
    const connect = workerFor(ctx, input);
    const desired = new Map<string, Record<string, string> | null>();
    if (input.reverseOf !== undefined) {
      const { connect: origin, connectors } = flowConnectors(
        ctx.adapters.kafka,
        input.reverseOf,
        input.roles,
      );
      for (const c of connectors) {
        const config = await origin.configOf(c.name, ctx.signal);
        if (!config)
          throw new SwitchoverError(
            ErrorCode.NotFound,
            `connector ${c.name} of flow ${input.reverseOf} does not exist on ${origin.name}`,
          );
        const name = `${c.name}${input.suffix}`;
        desired.set(name, reverseConnectorConfig(config, name, input.topics));
      }
    } else {
      for (const [name, config] of Object.entries(input.connectors!))
        desired.set(name, config && { ...config, name });
    }
    const changes: StepPlan["changes"] = [];
    for (const [name, config] of desired) {
      const current = await connect.configOf(name, ctx.signal);
      if (same(current, config)) continue;
      if (config) {
        const errors = await connect.validate(config, ctx.signal);
        if (errors.length > 0) {
          throw new SwitchoverError(
            ErrorCode.Validation,
            `connector ${name} config rejected by ${connect.name}: ${errors.join("; ")}`,
            {
              details: { errors },
            },
          );
        }
      }
      changes.push({
        resource: `${connect.name}/connector/${name}`,
        field: "config",
        from: current,
        to: config,
      });
    }
    return { changes, outputs: { connectors: [...desired.keys()], connect: connect.name } };
  },
  async apply(ctx, plan, input) {
    const connect = workerFor(ctx, input);
    const before: JsonObject = {};
    for (const c of plan.changes) {
      const name = nameOf(c.resource);
      const want = c.to as Record<string, string> | null;
      const current = await connect.configOf(name, ctx.signal);
      if (same(current, want)) continue;
      before[name] = current;
      if (want) await connect.putConfig(name, want, ctx.signal);
      else await connect.remove(name, ctx.signal);
    }
    return before;
  },
  async verify(ctx, input, plan) {
    const connect = workerFor(ctx, input);
    const deadline = ctx.clock.now() + input.settleMs;
    for (;;) {
      const waiting: string[] = [];
      for (const c of plan.changes) {
        const name = nameOf(c.resource);
        const s = await connect.status(name, ctx.signal);
        if (c.to === null ? s !== null : s?.state !== "RUNNING" || s.tasks.some((t) => t.state === "FAILED"))
          waiting.push(
            `${name}: ${s ? `${s.state} tasks [${s.tasks.map((t) => t.state).join(", ")}]` : "absent"}`,
          );
      }
      if (waiting.length === 0) return { connectors: plan.changes.length };
      if (ctx.clock.now() >= deadline)
        throw new SwitchoverError(ErrorCode.VerifyFailed, `connectors not settled: ${waiting.join("; ")}`);
      await ctx.clock.sleep(500, ctx.signal);
    }
  },
  revert(record) {
    const before = (record.before ?? {}) as Record<string, JsonValue>;
    const connectors: JsonObject = {};
    for (const c of record.plan.changes) {
      const name = nameOf(c.resource);
      connectors[name] = name in before ? before[name]! : c.from;
    }
    if (Object.keys(connectors).length === 0) return undefined;
    return {
      uses: "mirror.createFlow",
      with: { connect: record.plan.changes[0]!.resource.split("/")[0]!, connectors },
    };
  },
});
