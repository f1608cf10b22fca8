// Test-only crash points inside the executor. Production never sets one (EngineResources.faults is
// undefined unless SWITCHOVER_FAULT_KILL_AT or SWITCHOVER_FAULT_TRACE is in the environment, see
// src/queue/fault-injection.ts); the reliability suite uses them to SIGKILL a worker at exact points.

/**
 * Where in a step the executor is. Each is reached after the previous phase's state was persisted:
 * before-plan (step is planning), after-plan (plan computed and audited, applying not yet saved),
 * before-apply (applying saved), mid-apply (inside apply, after its nth adapter call resolved),
 * after-apply (apply returned, nothing recorded), after-applied-audit (step.applied audited,
 * verifying not yet saved), before-verify (verifying saved), after-verify (verify passed, the
 * step's success not yet saved).
 */
export const FAULT_PHASES = [
  "before-plan",
  "after-plan",
  "before-apply",
  "mid-apply",
  "after-apply",
  "after-applied-audit",
  "before-verify",
  "after-verify",
] as const;

export type FaultPhase = (typeof FAULT_PHASES)[number];

export interface FaultHook {
  /** Called at every point but mid-apply; may end the process. */
  reached(runId: string, stepId: string, phase: FaultPhase): void;
  /** Wraps the adapters one apply call gets, so mid-apply points fire after the nth adapter call. */
  wrapApply<T extends object>(runId: string, stepId: string, adapters: T): T;
  /** Called when an apply returned (tracing counts the adapter calls it made). */
  applyDone(runId: string, stepId: string): void;
}
