// Bounded retries with exponential backoff for the consumer-control calls: the error decides whether
// another try can help (5xx, 429, network), so a 4xx fails at once and a final 5xx is reported as such.
import { setTimeout as sleepFor } from "node:timers/promises";
import { ErrorCode, SwitchoverError } from "../../engine/errors.js";

export interface RetryPolicy {
  /** Tries after the first. */
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
}

export const defaultSleep = (ms: number, signal: AbortSignal): Promise<void> =>
  sleepFor(ms, undefined, { signal }).catch(() => {
    throw new SwitchoverError(ErrorCode.Cancelled, "cancelled while backing off");
  });

export function retryPolicy(partial: Partial<RetryPolicy> = {}): RetryPolicy {
  return { retries: 2, baseDelayMs: 250, maxDelayMs: 5_000, sleep: defaultSleep, ...partial };
}

/** Runs `attempt(n)` until it succeeds, throws a non-retryable error, or the tries run out. */
export async function withRetries<T>(
  policy: RetryPolicy,
  signal: AbortSignal,
  attempt: (n: number) => Promise<T>,
): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      const retryable = err instanceof SwitchoverError && err.retryable;
      if (!retryable || n > policy.retries || signal.aborted) throw err;
      await policy.sleep(Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (n - 1)), signal);
    }
  }
}
