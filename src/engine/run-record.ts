// What a run is, as persisted: the runbook snapshot, params, mode, states, and per step the
// resolved input, plan, before-state, outputs and timings. Everything the engine needs to resume
// or revert is in here — nothing lives only in memory.
import type { ErrorRecord } from "./errors.js";
import type { JsonObject, JsonValue } from "./json.js";
import type { ParamValue, Runbook } from "./runbook/model.js";
import type { RunState, StepState } from "./states.js";
import type { Change } from "./step-contract.js";

export interface RecordedPlan {
  changes: Change[];
  outputs: JsonObject;
  /** canonicalHash(changes): what pinning compares. */
  hash: string;
}

/** One approver's yes, bound to the plan they saw. */
export interface ApprovalGrant {
  by: string;
  at: number;
  planHash?: string;
  comment?: string;
}

/** An admin proceeding without a second person (audited as its own event, notified, shown loudly). */
export interface BreakGlassRecord {
  by: string;
  at: number;
  reason: string;
  stepId: string;
}

/** A gate on a step: the runbook's own (`approval` kind or `approval:`) or the server policy's. */
export interface StepApproval {
  status: "pending" | "approved" | "rejected";
  message?: string;
  /** Who decided last (the approver whose grant completed it, or the rejecter). */
  by?: string;
  at?: number;
  comment?: string;
  /** runbook: the runbook asked for it; policy: approvals.required "all" stopped the first change. */
  gate?: "runbook" | "policy";
  /** The plan the approvers are asked about (the step's plan hash when the run parked). */
  planHash?: string;
  /** Distinct approvers needed (approvals.approvers when the run was created). */
  required?: number;
  grants?: ApprovalGrant[];
  requestedAt?: number;
  /** After this the request stands no more: approving fails the run (APPROVAL_EXPIRED). */
  expiresAt?: number;
  breakGlass?: BreakGlassRecord;
}

/** The server's approval policy as it stood when the run was created (config service.approvals). */
export interface RunApprovalPolicy {
  required: "all" | "runbook" | "none";
  approvers: number;
  expiresAfterMs: number;
}

export interface StepRecord {
  id: string;
  uses: string;
  state: StepState;
  /** Tries so far: 1 on the first, +1 per retry. A crash-resume continues the attempt it interrupted. */
  attempt: number;
  input?: JsonValue;
  plan?: RecordedPlan;
  /**
   * apply's return value from the first, uninterrupted apply: the state found before changing
   * anything. null when apply had to be repeated (crash, retry); plan.changes[].from is then the
   * record, since it was persisted before any apply began.
   */
  before?: JsonValue;
  /** Applies started (first, retries, re-apply after verify); crash-resumes are not counted. */
  applyTries?: number;
  applyRepeated?: boolean;
  outputs?: JsonObject;
  approval?: StepApproval;
  skipReason?: string;
  error?: ErrorRecord;
  /** Earliest time the next try may start (retry backoff), so a resumed run keeps honouring it. */
  retryAt?: number;
  startedAt?: number;
  /** Set, and persisted, before apply is first called: from here the step may have changed things. */
  applyStartedAt?: number;
  finishedAt?: number;
  timings?: { planMs?: number; applyMs?: number; verifyMs?: number };
}

export interface DriftReport {
  stepId: string;
  pinnedRunId: string;
  expectedHash: string;
  actualHash: string;
  expected: Change[];
  actual: Change[];
}

export interface RunRecord {
  id: string;
  /** Incremented by every save; the store refuses a save whose version is stale. */
  version: number;
  runbook: Runbook;
  params: Record<string, ParamValue>;
  dryRun: boolean;
  state: RunState;
  steps: StepRecord[];
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  requestedBy?: string;
  reason?: string;
  /** Real run pinned to a reviewed dry-run: per step, the plan that was reviewed. */
  pin?: { runId: string; plans: Record<string, { hash: string; changes: Change[] }> };
  /** Set on a revert run: the run it undoes. */
  revertOf?: string;
  cancelRequest?: { at: number; by?: string; reason?: string };
  /** Absent on runs created without one (engine tests): only the runbook's gates wait, 1 approver. */
  approvalPolicy?: RunApprovalPolicy;
  /** Every time an admin broke glass on this run. */
  breakGlass?: BreakGlassRecord[];
  error?: ErrorRecord;
  drift?: DriftReport;
}
