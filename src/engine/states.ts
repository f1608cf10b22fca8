// Run and step state machines from PRODUCT.md as data, plus the predicates the engine and API use.
// Changing a state anywhere goes through assertRunTransition/assertStepTransition.
import { ErrorCode, SwitchoverError } from "./errors.js";

export const RUN_STATES = [
  "queued",
  "running",
  "waiting_approval",
  "succeeded",
  "failed",
  "cancelled",
] as const;
export type RunState = (typeof RUN_STATES)[number];

export const STEP_STATES = [
  "pending",
  "planning",
  "applying",
  "verifying",
  "succeeded",
  "failed",
  "skipped",
] as const;
export type StepState = (typeof STEP_STATES)[number];

const RUN_TRANSITIONS: Record<RunState, readonly RunState[]> = {
  queued: ["running", "cancelled"],
  running: ["waiting_approval", "succeeded", "failed", "cancelled"],
  waiting_approval: ["running", "failed", "cancelled"],
  succeeded: [],
  // The operator's "retry from the failed step" (audited, reason required) re-queues a failed run.
  failed: ["queued"],
  cancelled: [],
};

const STEP_TRANSITIONS: Record<StepState, readonly StepState[]> = {
  pending: ["planning", "skipped"],
  // planning → succeeded: dry-runs stop after the plan.
  planning: ["applying", "succeeded", "failed", "skipped"],
  // applying → planning never happens: after a crash the persisted plan is applied again.
  applying: ["verifying", "failed"],
  // verifying → applying: a retryable verify failure re-applies the same (converging) plan.
  verifying: ["succeeded", "failed", "applying"],
  succeeded: [],
  // failed → pending: a retried run re-enters the failed step; failed → skipped: operator skip.
  failed: ["pending", "skipped"],
  skipped: [],
};

export function canTransitionRun(from: RunState, to: RunState): boolean {
  return RUN_TRANSITIONS[from].includes(to);
}

export function canTransitionStep(from: StepState, to: StepState): boolean {
  return STEP_TRANSITIONS[from].includes(to);
}

export function assertRunTransition(runId: string, from: RunState, to: RunState): void {
  if (!canTransitionRun(from, to)) {
    throw new SwitchoverError(ErrorCode.InvalidTransition, `run ${runId} cannot go from ${from} to ${to}`, {
      details: { runId, from, to },
    });
  }
}

export function assertStepTransition(stepId: string, from: StepState, to: StepState): void {
  if (!canTransitionStep(from, to)) {
    throw new SwitchoverError(ErrorCode.InvalidTransition, `step ${stepId} cannot go from ${from} to ${to}`, {
      details: { stepId, from, to },
    });
  }
}

export const isTerminalRun = (s: RunState): boolean =>
  s === "succeeded" || s === "failed" || s === "cancelled";
export const isActiveRun = (s: RunState): boolean => s === "running" || s === "waiting_approval";
export const isTerminalStep = (s: StepState): boolean =>
  s === "succeeded" || s === "failed" || s === "skipped";
/** Phases in which the step may have touched the world: resume must not re-plan from here. */
export const isMutatingPhase = (s: StepState): boolean => s === "applying" || s === "verifying";
