// Retry decisions as data: given the error, the attempt and the step's policy, either retry after a
// delay or fail. Only the error decides whether retrying can help; the policy decides how often.
import { formatDuration, parseDurationMs } from "./duration.js";
import type { SwitchoverError } from "./errors.js";
import type { RetrySpec } from "./runbook/model.js";

export type RetryDecision =
  | { outcome: "retry"; delayMs: number; attempt: number }
  | { outcome: "fail"; reason: "not_retryable" | "attempts_exhausted" };

export function backoffDelayMs(policy: RetrySpec, failedAttempt: number): number {
  const base = parseDurationMs(policy.backoff.delay);
  const max = parseDurationMs(policy.backoff.maxDelay);
  if (policy.backoff.type === "fixed") return base;
  return Math.min(max, base * 2 ** Math.min(30, failedAttempt - 1));
}

export function decideRetry(
  error: SwitchoverError,
  failedAttempt: number,
  policy: RetrySpec | undefined,
): RetryDecision {
  if (!error.retryable) return { outcome: "fail", reason: "not_retryable" };
  if (!policy || failedAttempt >= policy.attempts) return { outcome: "fail", reason: "attempts_exhausted" };
  return { outcome: "retry", delayMs: backoffDelayMs(policy, failedAttempt), attempt: failedAttempt + 1 };
}

export function describeDecision(d: RetryDecision): string {
  return d.outcome === "retry" ? `retry #${d.attempt} in ${formatDuration(d.delayMs)}` : `fail (${d.reason})`;
}
