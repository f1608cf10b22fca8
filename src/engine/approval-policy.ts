// The second person as data: whether a step must wait for approval (decideGate), what an approve
// request does (decideApproval), and what may never be skipped (isGate). Pure functions; the
// engine and executor act on the decisions, so every path (approve, skip, retry, schedule) meets
// the same rules.
import { ErrorCode, SwitchoverError } from "./errors.js";
import type { RunRecord, StepApproval, StepRecord } from "./run-record.js";
import type { StepSpec } from "./runbook/model.js";
import type { Change } from "./step-contract.js";

/** Who approved a runbook gate that `approvals.required: none` let through. */
export const POLICY_NONE_APPROVER = "policy:none";

export type GateDecision =
  | { outcome: "proceed" }
  | { outcome: "wait"; gate: "runbook" | "policy" }
  /** approvals.required none: the runbook's gate passes, recorded as approved by the policy. */
  | { outcome: "pass" };

/** Whether the step is a human gate by its definition (kind or `approval:`), whatever its state. */
export function isRunbookGate(spec: StepSpec, kindRequiresApproval: boolean): boolean {
  return spec.approval !== undefined || kindRequiresApproval;
}

/**
 * A gate can never be skipped: the runbook's gates, and any step the policy parked (its approval
 * pending or rejected). Approving or rejecting is the only way past one.
 */
export function isGate(spec: StepSpec, step: StepRecord, kindRequiresApproval: boolean): boolean {
  const open = step.approval?.status === "pending" || step.approval?.status === "rejected";
  return isRunbookGate(spec, kindRequiresApproval) || open;
}

/** Some gate of the run was approved: the server policy's second person has looked at this run. */
export function runApproved(run: RunRecord): boolean {
  return run.steps.some((s) => s.approval?.status === "approved" && s.approval.by !== POLICY_NONE_APPROVER);
}

/**
 * After a step's plan, before its apply: does the run park here? Under `all`, a real run parks at
 * its first step that would change something unless a gate of the run was approved already; the
 * runbook's own gates park under `all` and `runbook`.
 */
export function decideGate(
  run: RunRecord,
  i: number,
  kindRequiresApproval: boolean,
  changes: readonly Change[],
): GateDecision {
  const step = run.steps[i]!;
  const spec = run.runbook.steps[i]!;
  if (run.dryRun || step.approval?.status === "approved") return { outcome: "proceed" };
  const required = run.approvalPolicy?.required ?? "runbook";
  if (isRunbookGate(spec, kindRequiresApproval)) {
    return required === "none" ? { outcome: "pass" } : { outcome: "wait", gate: "runbook" };
  }
  if (required === "all" && changes.length > 0 && !runApproved(run))
    return { outcome: "wait", gate: "policy" };
  return { outcome: "proceed" };
}

/** The pending request a parking run records on its gate step. */
export function approvalRequest(
  run: RunRecord,
  gate: "runbook" | "policy",
  planHash: string,
  now: number,
  message?: string,
): StepApproval {
  const policy = run.approvalPolicy;
  return {
    status: "pending",
    gate,
    planHash,
    required: policy?.approvers ?? 1,
    grants: [],
    requestedAt: now,
    ...(policy ? { expiresAt: now + policy.expiresAfterMs } : {}),
    ...(message ? { message } : {}),
  };
}

export interface ApproveRequest {
  by?: string;
  comment?: string;
  /** The plan the approver saw; refused when the run now waits on another. */
  planHash?: string;
  /** An admin alone (the caller checked the role), with a reason. */
  breakGlass?: { reason: string };
}

export type ApprovalDecision =
  | { outcome: "refuse"; error: SwitchoverError }
  /** The request is older than approvals.expiresAfterSeconds: the run fails instead. */
  | { outcome: "expired" }
  /** Recorded; `remaining` more distinct approvers are needed. */
  | { outcome: "grant"; remaining: number }
  | { outcome: "approve"; breakGlass: boolean };

export function decideApproval(
  run: RunRecord,
  step: StepRecord,
  req: ApproveRequest,
  now: number,
): ApprovalDecision {
  const a = step.approval;
  if (!a || a.status !== "pending") {
    return refuse(ErrorCode.InvalidTransition, `run ${run.id} is ${run.state}, not waiting for approval`);
  }
  if (a.expiresAt !== undefined && now > a.expiresAt) return { outcome: "expired" };
  const waitingOn = a.planHash ?? step.plan?.hash;
  if (req.planHash !== undefined && req.planHash !== waitingOn) {
    return refuse(
      ErrorCode.ApprovalPlanChanged,
      `run ${run.id} waits for approval of plan ${waitingOn ?? "(none)"}, not ${req.planHash}; read the run again and approve what it shows`,
      { planHash: waitingOn ?? null },
    );
  }
  if (req.breakGlass) {
    if (!req.breakGlass.reason.trim()) {
      return refuse(ErrorCode.Validation, "breaking glass needs a reason", {
        problems: [{ path: "body.reason", message: "required with breakGlass: true" }],
      });
    }
    return { outcome: "approve", breakGlass: true };
  }
  if (req.by !== undefined && req.by === run.requestedBy) {
    return refuse(
      ErrorCode.TwoPersonRule,
      `run ${run.id} was requested by ${req.by}; another approver must approve it (an admin alone may break glass with a reason)`,
    );
  }
  const grants = a.grants ?? [];
  if (req.by !== undefined && grants.some((g) => g.by === req.by)) {
    return refuse(
      ErrorCode.Conflict,
      `${req.by} already approved run ${run.id}; ${(a.required ?? 1) - grants.length} more distinct approver(s) needed`,
    );
  }
  const remaining = (a.required ?? 1) - grants.length - 1;
  return remaining > 0 ? { outcome: "grant", remaining } : { outcome: "approve", breakGlass: false };
}

function refuse(code: ErrorCode, message: string, details?: Record<string, unknown>): ApprovalDecision {
  return {
    outcome: "refuse",
    error: new SwitchoverError(code, message, details ? { details } : {}),
  };
}

/** Roles whose tokens may approve (admin passes every role check). */
export const APPROVER_ROLES = ["approver", "admin"] as const;

/**
 * Skipping a step is deciding, alone, that a check or change does not matter. On a real run that
 * has not failed that needs the second person: an approver who is not the requester. A failed run
 * (or a dry-run) may be skipped past by an operator; the retried run still meets the policy's gate.
 */
export function decideSkip(
  run: RunRecord,
  stepId: string,
  who: { by?: string; mayApprove: boolean },
): SwitchoverError | undefined {
  if (run.dryRun || run.state === "failed") return undefined;
  if (who.by !== undefined && who.by === run.requestedBy) {
    return new SwitchoverError(
      ErrorCode.TwoPersonRule,
      `run ${run.id} was requested by ${who.by}; skipping step ${stepId} of a real run that has not failed needs an approver who is not the requester`,
      { details: { runId: run.id } },
    );
  }
  if (!who.mayApprove) {
    return new SwitchoverError(
      ErrorCode.Forbidden,
      `skipping step ${stepId} of real run ${run.id}, which has not failed, needs an approver (approver or admin role) who is not the requester`,
      { details: { runId: run.id } },
    );
  }
  return undefined;
}

/** The pending request of a parked run whose time ran out (the reconciler fails such runs). */
export function expiredRequest(run: RunRecord, now: number): StepRecord | undefined {
  if (run.state !== "waiting_approval") return undefined;
  const step = run.steps.find((s) => s.approval?.status === "pending");
  const expiresAt = step?.approval?.expiresAt;
  return expiresAt !== undefined && now > expiresAt ? step : undefined;
}
