// The engine's one AuditSink, fanned out: the tamper-evident audit log (must succeed, or the step
// fails) and best-effort observers such as the per-run event streams behind SSE, written together.
import type { AuditEvent, AuditSink, RecordedApply } from "../engine/ports/audit-sink.js";

/** Reads the log's entries of one run and action (AuditLog.query satisfies it). */
export type AuditReader = (
  runId: string,
  action: string,
) => Promise<{ stepId?: string; data: Record<string, unknown> }[]>;

export class FanoutAuditSink implements AuditSink {
  readonly recordedApplies?: (runId: string, stepId: string) => Promise<RecordedApply[]>;

  constructor(
    private readonly primary: AuditSink,
    private readonly observers: readonly AuditSink[],
    read?: AuditReader,
  ) {
    if (read) {
      this.recordedApplies = async (runId, stepId) =>
        (await read(runId, "step.applied"))
          .filter((e) => e.stepId === stepId)
          .map((e) => (e.data.details ?? {}) as RecordedApply);
    }
  }

  async append(event: AuditEvent): Promise<void> {
    // Observers never throw (they are best effort), so writing them alongside costs no ordering:
    // the engine awaits this call before its next event.
    await Promise.all([this.primary.append(event), ...this.observers.map((o) => o.append(event))]);
  }
}
