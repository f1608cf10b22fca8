// The context one call of a step gets: run and step ids, attempt, a logger tagged with both, the
// run's cancellation signal, and exactly the adapters the step kind declares — nothing else.
import { ErrorCode, SwitchoverError } from "./errors.js";
import type { EngineResources } from "./resources.js";
import type { RunRecord } from "./run-record.js";
import { scopeOf } from "./scope.js";
import type { AnyStep, StepContext } from "./step-contract.js";

export function stepContext(
  res: Pick<EngineResources, "adapters" | "logger" | "clock" | "targets">,
  run: RunRecord,
  i: number,
  def: AnyStep,
  signal: AbortSignal,
): StepContext {
  const step = run.steps[i]!;
  const adapters: Record<string, unknown> = {};
  for (const name of def.adapters) {
    const adapter = res.adapters[name];
    if (adapter === undefined) {
      throw new SwitchoverError(
        ErrorCode.Internal,
        `step kind ${def.kind} needs adapter "${String(name)}", which is not configured`,
      );
    }
    adapters[name] = adapter;
  }
  return {
    runId: run.id,
    stepId: step.id,
    attempt: step.attempt,
    dryRun: run.dryRun,
    logger: res.logger.child({ runId: run.id, stepId: step.id, attempt: step.attempt }),
    signal,
    clock: res.clock,
    targets: res.targets,
    scope: scopeOf(run),
    adapters,
  };
}
