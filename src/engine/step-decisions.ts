// What the executor does at each branch of a step, decided as data (like retry.ts): pure functions
// of the run record and the step's spec, no I/O, no mutation. run-executor.ts acts on each decision
// in one exhaustive switch; the tables in step-decisions.test.ts pin every branch.
import { decideGate } from "./approval-policy.js";
import type { GateDecision } from "./approval-policy.js";
import { ErrorCode, SwitchoverError } from "./errors.js";
import { evaluateExpression, truthy } from "./expression/evaluate-expression.js";
import { parseExpression } from "./expression/parse-expression.js";
import type { JsonValue } from "./json.js";
import type { RecordedApply } from "./ports/audit-sink.js";
import { decideRetry, describeDecision } from "./retry.js";
import type { RetryDecision } from "./retry.js";
import type { DriftReport, RunRecord, StepRecord } from "./run-record.js";
import type { StepSpec } from "./runbook/model.js";
import { scopeOf } from "./scope.js";
import type { Change } from "./step-contract.js";

/** A plan as pinning compares it: the reviewed one, or the one just computed. */
export interface ComparedPlan {
  hash: string;
  changes: Change[];
}

/** What a step that was planned in the pinned dry-run but is now skipped is compared against. */
export const SKIPPED_PLAN: ComparedPlan = { hash: "skipped", changes: [] };

/** A pending step: skipped (its `when` is false), drift (skipped now, planned when reviewed), or planned. */
export type StartDecision =
  | { outcome: "skip"; reason: string }
  | { outcome: "drift"; expected: ComparedPlan; why: string }
  | { outcome: "plan" };

/** Throws (a step failure) when `when` does not evaluate. */
export function decideStart(run: RunRecord, spec: StepSpec): StartDecision {
  if (spec.when === undefined) return { outcome: "plan" };
  if (truthy(evaluateExpression(parseExpression(spec.when), scopeOf(run), spec.when)))
    return { outcome: "plan" };
  const pinned = run.pin?.plans[spec.id];
  if (pinned && pinned.changes.length > 0) {
    return {
      outcome: "drift",
      expected: pinned,
      why: "was planned in the pinned dry-run but is now skipped",
    };
  }
  return { outcome: "skip", reason: `when: ${spec.when} is false` };
}

/** What the engine knows once a step's plan is computed. */
export interface PlanFacts {
  dryRun: boolean;
  /** The run is pinned to a reviewed dry-run… */
  pinned: boolean;
  /** …which planned this step so (undefined: the reviewed run did not plan it). */
  pinnedPlan?: ComparedPlan;
  /** The step's approval so far, and the plan recorded when the gate was first reached. */
  approval?: StepRecord["approval"];
  approvedPlan?: ComparedPlan;
  /** Whether the step parks for approval (approval-policy.ts decideGate). */
  gate: GateDecision;
  /** The plan just computed. */
  hash: string;
}

/** The facts of step i once its plan is recorded. */
export function planFactsOf(
  run: RunRecord,
  i: number,
  planned: ComparedPlan,
  kindRequiresApproval: boolean,
): PlanFacts {
  const step = run.steps[i]!;
  return {
    dryRun: run.dryRun,
    pinned: run.pin !== undefined,
    pinnedPlan: run.pin?.plans[step.id],
    approval: step.approval,
    approvedPlan: step.plan,
    gate: decideGate(run, i, kindRequiresApproval, planned.changes),
    hash: planned.hash,
  };
}

/**
 * After a plan: a dry-run's step is done, the plan drifted, a human must approve, the policy lets a
 * runbook gate through (recorded as approved by the policy), or apply.
 */
export type PlanOutcome =
  | { outcome: "dry_run_done" }
  | { outcome: "drift"; expected: ComparedPlan; why: string }
  | { outcome: "await_approval"; gate: "runbook" | "policy" }
  | { outcome: "apply_by_policy" }
  | { outcome: "apply" };

export function decidePlanOutcome(f: PlanFacts): PlanOutcome {
  if (f.dryRun) return { outcome: "dry_run_done" };
  if (f.pinned && f.pinnedPlan?.hash !== f.hash) {
    return {
      outcome: "drift",
      expected: f.pinnedPlan ?? SKIPPED_PLAN,
      why: "plan differs from the pinned dry-run",
    };
  }
  if (f.approval?.status === "approved" && f.approvedPlan && f.approvedPlan.hash !== f.hash) {
    // The human approved a specific plan; the world moved while they were deciding.
    return { outcome: "drift", expected: f.approvedPlan, why: "plan changed while waiting for approval" };
  }
  switch (f.gate.outcome) {
    case "wait":
      return { outcome: "await_approval", gate: f.gate.gate };
    case "pass":
      return { outcome: "apply_by_policy" };
    case "proceed":
      return { outcome: "apply" };
    default:
      return unreachable(f.gate);
  }
}

/**
 * An apply about to run: apply, or (resumed after a crash) take the try already applied and audited
 * before the process died between the audit write and the run record's. Only a first, uninterrupted
 * apply saw the true before-state.
 */
export type ApplyDecision =
  | { outcome: "apply"; firstApply: boolean }
  | { outcome: "already_applied"; before: JsonValue; firstApply: boolean };

export function decideApply(firstApply: boolean, recorded: RecordedApply | undefined): ApplyDecision {
  if (!recorded) return { outcome: "apply", firstApply };
  return {
    outcome: "already_applied",
    before: (recorded.before ?? null) as JsonValue,
    firstApply: recorded.firstApply === true,
  };
}

/**
 * A phase failed: retry it where it is (plan, apply), re-apply the same plan (verify failed: apply
 * converges), fail the step and go on (onFailure: continue), or fail the run.
 */
export type FailureDecision =
  | { outcome: "retry_in_place"; attempt: number; delayMs: number; retry: RetryDecision }
  | { outcome: "reapply"; attempt: number; delayMs: number; retry: RetryDecision }
  | { outcome: "fail_step"; retry: RetryDecision }
  | { outcome: "fail_run"; retry: RetryDecision };

export function decideFailure(
  error: SwitchoverError,
  step: Pick<StepRecord, "state" | "attempt">,
  spec: Pick<StepSpec, "retry" | "onFailure">,
): FailureDecision {
  const retry = decideRetry(error, step.attempt, spec.retry);
  if (retry.outcome === "retry") {
    const { attempt, delayMs } = retry;
    return { outcome: step.state === "verifying" ? "reapply" : "retry_in_place", attempt, delayMs, retry };
  }
  return { outcome: spec.onFailure === "continue" ? "fail_step" : "fail_run", retry };
}

export function describeFailure(d: FailureDecision): string {
  return describeDecision(d.retry);
}

/** Every step is terminal: the run succeeded, possibly with steps that failed under onFailure: continue. */
export type RunEnd = { outcome: "succeeded" } | { outcome: "succeeded_with_failures"; failed: string[] };

export function decideRunEnd(run: Pick<RunRecord, "steps">): RunEnd {
  const failed = run.steps.filter((s) => s.state === "failed").map((s) => s.id);
  return failed.length > 0 ? { outcome: "succeeded_with_failures", failed } : { outcome: "succeeded" };
}

/**
 * Whether the step after i can enter planning in the same save as step i finishing: it is pending,
 * unconditional, not backing off, and nobody asked to cancel. Both transitions are still persisted
 * before anything acts on them, with one round trip instead of two.
 */
export function canStartNextWith(run: RunRecord, i: number): boolean {
  const next = run.steps[i + 1];
  return (
    next?.state === "pending" &&
    run.runbook.steps[i + 1]?.when === undefined &&
    next.retryAt === undefined &&
    run.cancelRequest === undefined
  );
}

/** The drift report and error of a step whose plan no longer matches the one reviewed or approved. */
export function driftOf(
  run: RunRecord,
  stepId: string,
  actual: ComparedPlan,
  expected: ComparedPlan,
  why: string,
): { report: DriftReport; error: SwitchoverError } {
  const report: DriftReport = {
    stepId,
    pinnedRunId: run.pin?.runId ?? run.id,
    expectedHash: expected.hash,
    actualHash: actual.hash,
    expected: expected.changes,
    actual: actual.changes,
  };
  const error = new SwitchoverError(ErrorCode.PlanDrift, `step ${stepId}: ${why}; nothing was applied`, {
    details: { drift: report as unknown as JsonValue },
  });
  return { report, error };
}

/** Fails a switch that missed a case at compile time, and loudly at run time. */
export function unreachable(x: never): never {
  throw new Error(`unreachable: ${JSON.stringify(x)}`);
}
