// `consumers.pause`: stop a consumer fleet (webhook call or scale to zero), recording the replicas it
// had, and prove it through Kafka: the fleet's groups have no members left on the cluster it leaves.
import { z } from "zod";
import { parseDurationMs } from "../../engine/duration.js";
import type { JsonObject } from "../../engine/json.js";
import { defineStep } from "../step-adapters.js";
import type { StepPlan } from "../../engine/step-contract.js";
import type { TargetCatalog } from "../../engine/target-catalog.js";
import {
  clusterForGroups,
  duration,
  fleetFields,
  fleetOutputs,
  fleetTarget,
  fleetTargets,
} from "./fleet-input.js";
import { observedState } from "./observed-state.js";
import { waitGroupsEmpty } from "./group-checks.js";
import { evaluateFleet } from "./evaluate-fleet.js";

const inputSchema = (t: TargetCatalog) =>
  z.strictObject({
    ...fleetFields(t),
    /** Check on Kafka that the groups left the cluster; off when that cluster is gone (DC loss). */
    verifyEmpty: z.boolean().default(true),
    emptyWithin: duration.default("60s"),
  });
type Input = z.infer<ReturnType<typeof inputSchema>>;

export const consumersPauseStep = defineStep<Input, "consumers" | "consumerGroups">({
  kind: "consumers.pause",
  description:
    "Pause a consumer fleet (webhook or Kubernetes scale to 0); verify its groups left the cluster",
  adapters: ["consumers", "consumerGroups"],
  targets: fleetTargets,
  input: inputSchema,
  evaluate: evaluateFleet,

  async plan(ctx, input): Promise<StepPlan> {
    const { r } = fleetTarget(ctx.adapters, input);
    const controller = r.fleet.controller;
    const outputs = fleetOutputs(r);
    if (controller.kind === "kubernetes") {
      const replicas = (await controller.replicas(ctx.signal)) ?? 0;
      outputs.previousReplicas = replicas;
      const changes =
        replicas === 0
          ? []
          : [{ resource: controller.describe("pause"), field: "replicas", from: replicas, to: 0 }];
      return { changes, outputs };
    }
    // A webhook application's state cannot be read, and pausing is idempotent by contract: always
    // call it (a missed pause is a zombie consumer); Kafka's view is shown as the "from".
    const from = await observedState(ctx, r.cluster, r.groups);
    return {
      changes: [{ resource: controller.describe("pause"), field: "consumers", from, to: "paused" }],
      outputs,
    };
  },

  async apply(ctx, plan, input) {
    if (plan.changes.length === 0) return { replicas: plan.outputs.previousReplicas ?? null };
    const { r, target } = fleetTarget(ctx.adapters, input);
    const found = await r.fleet.controller.pause(target, ctx.signal);
    ctx.logger.info({ fleet: r.fleet.name, via: r.fleet.controller.describe("pause") }, "fleet paused");
    return { replicas: found ?? null };
  },

  async verify(ctx, input): Promise<JsonObject> {
    const { r } = fleetTarget(ctx.adapters, input);
    if (!input.verifyEmpty || r.groups.length === 0) {
      return { verifiedOnKafka: false };
    }
    const cluster = clusterForGroups(r, "consumers.pause");
    await waitGroupsEmpty(
      {
        groups: ctx.adapters.consumerGroups,
        clock: ctx.clock,
        signal: ctx.signal,
        cluster,
        within: input.emptyWithin,
        withinMs: parseDurationMs(input.emptyWithin),
      },
      r.groups,
    );
    return { verifiedOnKafka: true, emptyOn: cluster };
  },

  revert({ input, plan }) {
    if (plan.changes.length === 0) return undefined;
    const replicas = plan.outputs.previousReplicas;
    const cluster = plan.outputs.cluster;
    return {
      uses: "consumers.resume",
      with: {
        fleet: input.fleet,
        ...(typeof cluster === "string" ? { cluster } : {}),
        ...(input.groups ? { groups: input.groups } : {}),
        ...(typeof replicas === "number" && replicas > 0 ? { replicas } : {}),
      },
    };
  },
});
