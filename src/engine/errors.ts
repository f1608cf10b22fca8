// One error model for the engine and every step: a code, whether retrying can help, the HTTP status
// the API should answer with, structured details, and the cause. Retry decisions read `retryable` only.

export const ErrorCode = {
  Validation: "VALIDATION",
  RunbookInvalid: "RUNBOOK_INVALID",
  ParamsInvalid: "PARAMS_INVALID",
  Expression: "EXPRESSION",
  StepInputInvalid: "STEP_INPUT_INVALID",
  /** A real run names a target that cannot be resolved before it starts, so it cannot be locked. */
  TargetUnresolved: "TARGET_UNRESOLVED",
  UnknownStepKind: "UNKNOWN_STEP_KIND",
  NotFound: "NOT_FOUND",
  Conflict: "CONFLICT",
  /** Another real run holds one of the run's targets (details.lockHolder names it). */
  TargetLocked: "TARGET_LOCKED",
  /** An Idempotency-Key came back with a different request. */
  IdempotencyKeyReused: "IDEMPOTENCY_KEY_REUSED",
  /** A request with this Idempotency-Key is still being processed. */
  IdempotencyInProgress: "IDEMPOTENCY_IN_PROGRESS",
  InvalidTransition: "INVALID_TRANSITION",
  PlanDrift: "PLAN_DRIFT",
  PinMismatch: "PIN_MISMATCH",
  Timeout: "STEP_TIMEOUT",
  Cancelled: "CANCELLED",
  ApprovalRejected: "APPROVAL_REJECTED",
  /** The request for approval was older than approvals.expiresAfterSeconds. */
  ApprovalExpired: "APPROVAL_EXPIRED",
  /** The approver approved a plan other than the one the run waits on. */
  ApprovalPlanChanged: "APPROVAL_PLAN_CHANGED",
  /** The requester tried to approve or skip past the second person. */
  TwoPersonRule: "TWO_PERSON_RULE",
  /** Gates are approved or rejected, never skipped. */
  GateNotSkippable: "GATE_NOT_SKIPPABLE",
  AssertionFailed: "ASSERTION_FAILED",
  VerifyFailed: "VERIFY_FAILED",
  NotRevertible: "NOT_REVERTIBLE",
  /** A run succeeded although steps with `onFailure: continue` failed (kept on the run, never thrown). */
  StepsFailedContinued: "STEPS_FAILED_CONTINUED",
  Upstream: "UPSTREAM",
  UpstreamUnavailable: "UPSTREAM_UNAVAILABLE",
  Forbidden: "FORBIDDEN",
  /** The environment lacks something a step needs (a secret whose env var or file is missing). */
  Configuration: "CONFIGURATION",
  /**
   * Redis lost state the audit file proves it had (keyspace, entries, a fork): nothing that records
   * a change is accepted until an admin restores the chain (POST /v1/audit/restore).
   */
  StateLost: "STATE_LOST",
  Internal: "INTERNAL",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface SwitchoverErrorOptions {
  retryable?: boolean;
  httpStatus?: number;
  details?: Record<string, unknown>;
  cause?: unknown;
}

/** Defaults per code, so a call site states only what differs from the usual meaning. */
const DEFAULTS: Record<ErrorCode, { retryable: boolean; httpStatus: number }> = {
  VALIDATION: { retryable: false, httpStatus: 422 },
  RUNBOOK_INVALID: { retryable: false, httpStatus: 422 },
  PARAMS_INVALID: { retryable: false, httpStatus: 422 },
  EXPRESSION: { retryable: false, httpStatus: 422 },
  STEP_INPUT_INVALID: { retryable: false, httpStatus: 422 },
  TARGET_UNRESOLVED: { retryable: false, httpStatus: 422 },
  UNKNOWN_STEP_KIND: { retryable: false, httpStatus: 422 },
  NOT_FOUND: { retryable: false, httpStatus: 404 },
  CONFLICT: { retryable: false, httpStatus: 409 },
  TARGET_LOCKED: { retryable: false, httpStatus: 409 },
  IDEMPOTENCY_KEY_REUSED: { retryable: false, httpStatus: 422 },
  IDEMPOTENCY_IN_PROGRESS: { retryable: true, httpStatus: 409 },
  INVALID_TRANSITION: { retryable: false, httpStatus: 409 },
  PLAN_DRIFT: { retryable: false, httpStatus: 409 },
  PIN_MISMATCH: { retryable: false, httpStatus: 409 },
  STEP_TIMEOUT: { retryable: true, httpStatus: 504 },
  CANCELLED: { retryable: false, httpStatus: 409 },
  APPROVAL_REJECTED: { retryable: false, httpStatus: 409 },
  APPROVAL_EXPIRED: { retryable: false, httpStatus: 409 },
  APPROVAL_PLAN_CHANGED: { retryable: false, httpStatus: 409 },
  TWO_PERSON_RULE: { retryable: false, httpStatus: 403 },
  GATE_NOT_SKIPPABLE: { retryable: false, httpStatus: 409 },
  ASSERTION_FAILED: { retryable: false, httpStatus: 422 },
  VERIFY_FAILED: { retryable: true, httpStatus: 502 },
  NOT_REVERTIBLE: { retryable: false, httpStatus: 409 },
  STEPS_FAILED_CONTINUED: { retryable: false, httpStatus: 500 },
  UPSTREAM: { retryable: false, httpStatus: 502 },
  UPSTREAM_UNAVAILABLE: { retryable: true, httpStatus: 503 },
  FORBIDDEN: { retryable: false, httpStatus: 403 },
  CONFIGURATION: { retryable: false, httpStatus: 500 },
  STATE_LOST: { retryable: false, httpStatus: 503 },
  INTERNAL: { retryable: false, httpStatus: 500 },
};

export class SwitchoverError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly httpStatus: number;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: SwitchoverErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "SwitchoverError";
    this.code = code;
    this.retryable = options.retryable ?? DEFAULTS[code].retryable;
    this.httpStatus = options.httpStatus ?? DEFAULTS[code].httpStatus;
    this.details = options.details ?? {};
  }
}

/** What a run record keeps of an error: data only, safe to serialise and show. */
export interface ErrorRecord {
  code: string;
  message: string;
  retryable: boolean;
  details?: Record<string, unknown>;
}

/**
 * Anything thrown becomes a SwitchoverError. Unknown errors are not retryable: retrying a bug
 * hides it, and a step that knows a failure is transient says so.
 */
export function toSwitchoverError(err: unknown): SwitchoverError {
  if (err instanceof SwitchoverError) return err;
  if (err instanceof Error) return new SwitchoverError(ErrorCode.Internal, err.message, { cause: err });
  return new SwitchoverError(ErrorCode.Internal, String(err));
}

export function toErrorRecord(err: unknown): ErrorRecord {
  const e = toSwitchoverError(err);
  const record: ErrorRecord = { code: e.code, message: e.message, retryable: e.retryable };
  if (Object.keys(e.details).length > 0) record.details = e.details;
  return record;
}
