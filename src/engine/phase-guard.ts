// Runs one step phase (plan, apply, verify) under the step's timeout and the run's cancellation.
// The engine stops waiting as soon as either fires, even if the step ignores its signal.
import { parseDurationMs } from "./duration.js";
import { ErrorCode, SwitchoverError } from "./errors.js";
import { abortError } from "./ports/clock.js";
import type { Clock } from "./ports/clock.js";
import type { StepSpec } from "./runbook/model.js";
import type { AnyStep } from "./step-contract.js";
import { describeTarget, targetsOfInput } from "./step-targets.js";

export async function guardPhase<T>(
  clock: Clock,
  spec: StepSpec,
  runSignal: AbortSignal,
  fn: (signal: AbortSignal) => Promise<T>,
  on?: string,
): Promise<T> {
  if (runSignal.aborted) throw abortError(runSignal);
  const stepCtl = new AbortController();
  const timerCtl = spec.timeout !== undefined ? new AbortController() : undefined;
  const onRunAbort = (): void => stepCtl.abort(runSignal.reason);
  runSignal.addEventListener("abort", onRunAbort, { once: true });
  try {
    const aborted = new Promise<never>((_, reject) => {
      stepCtl.signal.addEventListener("abort", () => reject(abortError(stepCtl.signal)), { once: true });
    });
    const racers: Promise<T>[] = [fn(stepCtl.signal), aborted];
    if (timerCtl) {
      racers.push(
        clock.sleep(parseDurationMs(spec.timeout!), timerCtl.signal).then(() => {
          const err = timeoutError(spec, on);
          stepCtl.abort(err);
          throw err;
        }),
      );
    }
    return await Promise.race(racers);
  } finally {
    timerCtl?.abort();
    runSignal.removeEventListener("abort", onRunAbort);
  }
}

function timeoutError(spec: StepSpec, on: string | undefined): SwitchoverError {
  return new SwitchoverError(
    ErrorCode.Timeout,
    `step ${spec.id} timed out after ${spec.timeout}${on ? ` (${spec.uses} on ${on})` : ""}`,
    { details: { timeout: spec.timeout!, ...(on ? { target: on } : {}) } },
  );
}

/** The first target the step declares its input names ("cluster dc1"…), for a precise timeout message. */
export function targetOf(def: AnyStep, input: unknown): string | undefined {
  const first = targetsOfInput(def.targets, input)[0];
  return first ? describeTarget(first) : undefined;
}
