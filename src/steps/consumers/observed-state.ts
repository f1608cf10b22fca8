// What Kafka says a fleet is doing on a cluster ("consuming", "no members", "unknown"): the "from" of
// a webhook fleet's plan, whose application state cannot be read directly.
import type { StepContext } from "../step-adapters.js";

export async function observedState(
  ctx: StepContext<"consumerGroups">,
  cluster: string | undefined,
  groups: readonly string[],
): Promise<string> {
  if (cluster === undefined || groups.length === 0) return "unknown";
  try {
    const members = await Promise.all(groups.map((g) => ctx.adapters.consumerGroups.members(cluster, g)));
    return members.some((m) => m.members.length > 0) ? `consuming on ${cluster}` : `no members on ${cluster}`;
  } catch (err) {
    // The cluster being unreachable is exactly the DC-loss case: plan the call anyway.
    ctx.logger.warn(
      { cluster, error: err instanceof Error ? err.message : String(err) },
      "cannot read group membership",
    );
    return "unknown";
  }
}
