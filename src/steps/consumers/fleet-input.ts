// Input fields and resolution shared by consumers.pause and consumers.resume: which fleet, on which
// cluster, which groups (defaulting to the fleet's config), and the verification deadlines.
import type { JsonObject } from "../../engine/json.js";
import { z } from "zod";
import type { ConsumerFleet } from "../../adapters/consumers/consumer-fleets.js";
import { isDuration } from "../../engine/duration.js";
import { ErrorCode, SwitchoverError } from "../../engine/errors.js";
import { clusterRef, consumerFleetRef } from "../../engine/target-ref.js";
import type { StepTargets } from "../../engine/step-contract.js";
import type { TargetCatalog } from "../../engine/target-catalog.js";

export const duration = z.string().refine(isDuration, 'expected a duration such as "30s" or "5m"');

export const fleetFields = (t: TargetCatalog) => ({
  fleet: consumerFleetRef(t),
  /** Defaults to the fleet's `cluster` in the environment file. */
  cluster: clusterRef(t).optional(),
  /** Defaults to the fleet's `groups`; verification checks each of them on Kafka. */
  groups: z.array(z.string().min(1)).optional(),
});

/** The fleet is changed; the cluster is where its groups are checked (and, for resume, pointed). */
export const fleetTargets = { fleet: "consumer fleet", cluster: "cluster" } as const satisfies StepTargets;

export interface FleetTargetInput {
  fleet: string;
  cluster?: string | undefined;
  groups?: string[] | undefined;
}

export interface ResolvedFleet {
  fleet: ConsumerFleet;
  cluster: string | undefined;
  groups: string[];
}

export function resolveFleet(
  fleets: { fleet(name: string): ConsumerFleet },
  input: FleetTargetInput,
): ResolvedFleet {
  const fleet = fleets.fleet(input.fleet);
  return { fleet, cluster: input.cluster ?? fleet.cluster, groups: input.groups ?? fleet.groups };
}

/** Verification on Kafka needs a cluster once there are groups to check. */
export function clusterForGroups(r: ResolvedFleet, step: string): string {
  if (r.cluster === undefined) {
    throw new SwitchoverError(
      ErrorCode.Validation,
      `${step}: fleet ${r.fleet.name} has groups (${r.groups.join(", ")}) but no cluster to check them on; set cluster in the step or the fleet`,
    );
  }
  return r.cluster;
}

/** The fleet a step acts on, and what its controller is told: cluster, bootstrap servers, groups. */
export function fleetTarget(
  adapters: {
    consumers: { fleet(name: string): ConsumerFleet };
    consumerGroups: { bootstrapServers(cluster: string): string[] };
  },
  input: FleetTargetInput,
) {
  const r = resolveFleet(adapters.consumers, input);
  const bootstrapServers = r.cluster ? adapters.consumerGroups.bootstrapServers(r.cluster) : [];
  return { r, target: { cluster: r.cluster, bootstrapServers, groups: r.groups } };
}

/** The outputs pause and resume plans start from: which fleet, cluster and groups; replicas unknown yet. */
export function fleetOutputs(r: ReturnType<typeof fleetTarget>["r"]): JsonObject {
  return { fleet: r.fleet.name, cluster: r.cluster ?? null, groups: r.groups, previousReplicas: null };
}
