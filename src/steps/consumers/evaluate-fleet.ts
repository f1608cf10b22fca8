// Pre-flight (`evaluate`) hook of consumers.pause / consumers.resume, kept apart from their
// plan/apply/verify: the fleet's controller answers and the cluster knows its groups.
import { fleetAnswering, messageOf } from "../../evaluation/checks.js";
import type { EvaluateContext } from "../step-adapters.js";
import type { EvaluationCheck } from "../../engine/step-contract.js";
import { resolveFleet } from "./fleet-input.js";
import type { FleetTargetInput } from "./fleet-input.js";

export async function evaluateFleet(
  ctx: EvaluateContext<"consumers" | "consumerGroups">,
  input: FleetTargetInput,
): Promise<EvaluationCheck[]> {
  let r;
  try {
    r = resolveFleet(ctx.adapters.consumers, input);
  } catch (err) {
    return [{ check: `consumer fleet ${input.fleet}`, outcome: "blocked", reason: messageOf(err) }];
  }
  const checks = [await fleetAnswering(ctx.adapters.consumers, input.fleet, ctx.signal)];
  if (r.cluster !== undefined && r.groups.length > 0) {
    const check = `groups of ${r.fleet.name} on ${r.cluster}`;
    try {
      const states = await Promise.all(
        r.groups.map(
          async (g) => [g, (await ctx.adapters.consumerGroups.members(r.cluster!, g)).state] as const,
        ),
      );
      const unknown = states.filter(([, s]) => s === "Dead").map(([g]) => g);
      checks.push(
        unknown.length > 0
          ? { check, outcome: "degraded", reason: `no such group on ${r.cluster}: ${unknown.join(", ")}` }
          : { check, outcome: "ready", reason: states.map(([g, s]) => `${g} ${s}`).join(", ") },
      );
    } catch (err) {
      checks.push({ check, outcome: "blocked", reason: messageOf(err) });
    }
  }
  return checks;
}
