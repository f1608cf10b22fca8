// The engine's one AuditSink, fanned out: first the tamper-evident audit log (must succeed, or the
// step fails), then best-effort observers such as the per-run event streams behind SSE.
import type { AuditEvent, AuditSink } from "../engine/ports/audit-sink.js";

export class FanoutAuditSink implements AuditSink {
  constructor(
    private readonly primary: AuditSink,
    private readonly observers: readonly AuditSink[],
  ) {}

  async append(event: AuditEvent): Promise<void> {
    await this.primary.append(event);
    await Promise.all(this.observers.map((o) => o.append(event)));
  }
}
