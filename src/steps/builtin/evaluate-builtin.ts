// Pre-flight (`evaluate`) hooks of the built-in steps, kept apart from their plan/apply/verify.
// HTTP targets are probed by opening a connection only: a request could act.
import { urlReachable } from "../../evaluation/checks.js";
import type { EvaluateContext } from "../step-adapters.js";
import type { EvaluationCheck } from "../../engine/step-contract.js";

export async function evaluateApproval(): Promise<EvaluationCheck[]> {
  return [{ check: "approval", outcome: "ready", reason: "needs an approver when the run reaches it" }];
}

export async function evaluateAssert(
  _ctx: EvaluateContext<never>,
  input: { that: boolean; message: string },
): Promise<EvaluationCheck[]> {
  return [
    input.that
      ? { check: "assertion", outcome: "ready", reason: "holds with these params" }
      : { check: "assertion", outcome: "blocked", reason: `would fail: ${input.message}` },
  ];
}

export async function evaluateUrl(
  ctx: EvaluateContext<"http">,
  input: { url: string },
): Promise<EvaluationCheck[]> {
  return [await urlReachable(input.url, ctx.signal)];
}

export async function evaluateWait(
  ctx: EvaluateContext<"http">,
  input: { poll?: { url: string } | undefined },
): Promise<EvaluationCheck[]> {
  if (!input.poll) return [{ check: "wait", outcome: "ready", reason: "nothing external to reach" }];
  return [await urlReachable(input.poll.url, ctx.signal)];
}
