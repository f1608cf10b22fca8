// The audit port: the engine reports every transition and every applied change; the audit module
// (hash chain, Redis stream, JSONL) implements it. Secrets never reach it: inputs carry names only.

export interface AuditEvent {
  at: number;
  runId: string;
  type:
    | "run.created"
    | "run.transition"
    | "step.transition"
    | "step.planned"
    | "step.applied"
    | "step.approval"
    | "approval.break_glass"
    | "run.drift";
  stepId?: string;
  from?: string;
  to?: string;
  actor?: string;
  data?: Record<string, unknown>;
}

/** What a step.applied entry recorded (its data), as read back from the log. */
export interface RecordedApply {
  applyTry?: number;
  firstApply?: boolean;
  before?: unknown;
}

export interface AuditSink {
  append(event: AuditEvent): Promise<void>;
  /**
   * The step.applied entries already recorded for a step. The executor asks before repeating an
   * apply it resumed after a crash: an apply recorded but not yet marked in the run record (the
   * process died between the two writes) is neither applied nor recorded again. Sinks that cannot
   * read leave it undefined (the apply then repeats, which steps tolerate: apply converges).
   */
  recordedApplies?(runId: string, stepId: string): Promise<RecordedApply[]>;
}

export class MemoryAuditSink implements AuditSink {
  readonly events: AuditEvent[] = [];
  async append(event: AuditEvent): Promise<void> {
    this.events.push(structuredClone(event));
  }
}
