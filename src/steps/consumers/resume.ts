// `consumers.resume`: start a consumer fleet on a cluster (webhook call with the target cluster, or
// scale back up), recording what it found; prove it on Kafka: members there, and optionally progress.
import { z } from "zod";
import { parseDurationMs } from "../../engine/duration.js";
import { ErrorCode, SwitchoverError } from "../../engine/errors.js";
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
import { waitGroupsHaveMembers, waitOffsetsAdvance } from "./group-checks.js";
import { observedState } from "./observed-state.js";
import { evaluateFleet } from "./evaluate-fleet.js";

const inputSchema = (t: TargetCatalog) =>
  z.strictObject({
    ...fleetFields(t),
    /** Kubernetes fleets: the replica count to scale to (e.g. the pause step's previousReplicas). */
    replicas: z.number().int().min(1).max(10_000).optional(),
    /** Check on Kafka that every group has members on the cluster within membersWithin. */
    verifyMembers: z.boolean().default(true),
    membersWithin: duration.default("60s"),
    /** Also require committed offsets to move (only meaningful when there is traffic). */
    offsetsAdvance: z.boolean().default(false),
    offsetsWithin: duration.default("60s"),
  });
type Input = z.infer<ReturnType<typeof inputSchema>>;

export const consumersResumeStep = defineStep<Input, "consumers" | "consumerGroups">({
  kind: "consumers.resume",
  description:
    "Resume a consumer fleet on a cluster (webhook or Kubernetes scale); verify members and progress on Kafka",
  adapters: ["consumers", "consumerGroups"],
  targets: fleetTargets,
  input: inputSchema,
  evaluate: evaluateFleet,

  async plan(ctx, input): Promise<StepPlan> {
    const { r } = fleetTarget(ctx.adapters, input);
    const controller = r.fleet.controller;
    const outputs = fleetOutputs(r);
    if (controller.kind === "kubernetes") {
      if (input.replicas === undefined) {
        throw new SwitchoverError(
          ErrorCode.Validation,
          `consumers.resume: fleet ${r.fleet.name} is a Kubernetes ${controller.describe("resume")}; give replicas (e.g. \${{ steps.<pause step>.outputs.previousReplicas }})`,
        );
      }
      const replicas = (await controller.replicas(ctx.signal)) ?? 0;
      outputs.previousReplicas = replicas;
      const changes =
        replicas === input.replicas
          ? []
          : [
              {
                resource: controller.describe("resume"),
                field: "replicas",
                from: replicas,
                to: input.replicas,
              },
            ];
      return { changes, outputs };
    }
    const from = await observedState(ctx, r.cluster, r.groups);
    const to = r.cluster ? `consuming on ${r.cluster}` : "consuming";
    return { changes: [{ resource: controller.describe("resume"), field: "consumers", from, to }], outputs };
  },

  async apply(ctx, plan, input) {
    if (plan.changes.length === 0) return { replicas: plan.outputs.previousReplicas ?? null };
    const { r, target } = fleetTarget(ctx.adapters, input);
    const found = await r.fleet.controller.resume(target, input.replicas, ctx.signal);
    ctx.logger.info({ fleet: r.fleet.name, cluster: r.cluster ?? null }, "fleet resumed");
    return { replicas: found ?? null };
  },

  async verify(ctx, input): Promise<JsonObject> {
    const { r } = fleetTarget(ctx.adapters, input);
    if (!input.verifyMembers || r.groups.length === 0) return { verifiedOnKafka: false };
    const cluster = clusterForGroups(r, "consumers.resume");
    const observer = ctx.adapters.consumerGroups;
    const poll = { groups: observer, clock: ctx.clock, signal: ctx.signal, cluster };
    // Snapshot first: progress is measured from before the members are confirmed.
    const before: Record<string, Record<string, number>> = {};
    if (input.offsetsAdvance) {
      for (const g of r.groups) before[g] = await observer.committedOffsets(cluster, g);
    }
    const members = await waitGroupsHaveMembers(
      { ...poll, within: input.membersWithin, withinMs: parseDurationMs(input.membersWithin) },
      r.groups,
    );
    const out: JsonObject = { verifiedOnKafka: true, cluster, members };
    if (input.offsetsAdvance) {
      out.offsetsAdvanced = await waitOffsetsAdvance(
        { ...poll, within: input.offsetsWithin, withinMs: parseDurationMs(input.offsetsWithin) },
        before,
      );
    }
    return out;
  },

  revert({ input, plan }) {
    if (plan.changes.length === 0) return undefined;
    const replicas = plan.outputs.previousReplicas;
    const cluster = plan.outputs.cluster;
    const base = {
      fleet: input.fleet,
      ...(typeof cluster === "string" ? { cluster } : {}),
      ...(input.groups ? { groups: input.groups } : {}),
    };
    // Back to what it had: a count above zero is a resume to that count, otherwise a pause.
    if (typeof replicas === "number" && replicas > 0) return { with: { ...base, replicas } };
    return { uses: "consumers.pause", with: base };
  },
});
