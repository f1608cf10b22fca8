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
    | "run.drift";
  stepId?: string;
  from?: string;
  to?: string;
  actor?: string;
  data?: Record<string, unknown>;
}

export interface AuditSink {
  append(event: AuditEvent): Promise<void>;
}

export class MemoryAuditSink implements AuditSink {
  readonly events: AuditEvent[] = [];
  async append(event: AuditEvent): Promise<void> {
    this.events.push(structuredClone(event));
  }
}
