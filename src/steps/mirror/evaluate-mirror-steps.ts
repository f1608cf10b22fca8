// Pre-flight (`evaluate`) hooks of the mirror.* steps, kept apart from their plan/apply/verify:
// Connect answers and knows the flow's connectors; a reverse flow's clusters are reachable.
import { clusterReachable, connectorsKnown, connectReachable, messageOf } from "../../evaluation/checks.js";
import type { EvaluateContext } from "../step-adapters.js";
import type { EvaluationCheck } from "../../engine/step-contract.js";

type Ctx = EvaluateContext<"kafka">;

/** mirror.pause / mirror.resume: every acted-on connector exists on the worker. */
export function evaluateConnectorState(
  ctx: Ctx,
  input: { flow: string; connectors?: readonly string[] | undefined },
): Promise<EvaluationCheck[]> {
  return connectorsKnown(ctx.adapters.kafka, input.flow, input.connectors, ctx.signal);
}

/** mirror.createFlow: the worker answers; for a reverse flow, the new source (old target) answers. */
export async function evaluateCreateFlow(
  ctx: Ctx,
  input: {
    connect?: string | undefined;
    reverseOf?: string | undefined;
    suffix: string;
    connectors?: Record<string, unknown> | undefined;
  },
): Promise<EvaluationCheck[]> {
  const kafka = ctx.adapters.kafka;
  if (input.reverseOf !== undefined) {
    let flow;
    try {
      flow = kafka.flow(input.reverseOf);
    } catch (err) {
      return [{ check: `flow ${input.reverseOf}`, outcome: "blocked", reason: messageOf(err) }];
    }
    const connect = input.connect ?? flow.connect;
    const checks = [
      await clusterReachable(kafka, flow.target, ctx.signal),
      // The old source is where the reverse flow writes; it is often the DC being recovered.
      await clusterReachable(kafka, flow.source, ctx.signal, "degraded"),
    ];
    if (!connect) {
      checks.push({
        check: "Connect worker",
        outcome: "blocked",
        reason: `flow ${flow.name} names no Connect worker; set connect`,
      });
    } else {
      const probe = `${flow.connectors?.source ?? "mm2-source"}${input.suffix}`;
      checks.push(await connectReachable(kafka, connect, probe, ctx.signal));
    }
    return checks;
  }
  const first = Object.keys(input.connectors ?? {})[0] ?? "none";
  return [await connectReachable(kafka, input.connect!, first, ctx.signal)];
}
