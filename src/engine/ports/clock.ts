// The time port. The engine never calls Date.now or setTimeout directly, so tests can drive time
// and every sleep (backoff, wait steps, polling) is cancellable through an AbortSignal.
import { ErrorCode, SwitchoverError } from "../errors.js";

export interface Clock {
  now(): number;
  /** Resolves after ms, or rejects with a CANCELLED SwitchoverError as soon as signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export function abortError(signal: AbortSignal): SwitchoverError {
  const reason: unknown = signal.reason;
  if (reason instanceof SwitchoverError) return reason;
  return new SwitchoverError(ErrorCode.Cancelled, "cancelled", { cause: reason });
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortError(signal));
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(abortError(signal!));
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
};
