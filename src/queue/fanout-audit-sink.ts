// The engine's one AuditSink, fanned out: the tamper-evident audit log (must succeed, or the step
// fails) and best-effort observers such as the per-run event streams behind SSE, written together.
import type { AuditEvent, AuditSink } from "../engine/ports/audit-sink.js";

export class FanoutAuditSink implements AuditSink {
  constructor(
    private readonly primary: AuditSink,
    private readonly observers: readonly AuditSink[],
  ) {}

  async append(event: AuditEvent): Promise<void> {
    // Observers never throw (they are best effort), so writing them alongside costs no ordering:
    // the engine awaits this call before its next event.
    await Promise.all([this.primary.append(event), ...this.observers.map((o) => o.append(event))]);
  }
}
