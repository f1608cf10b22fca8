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

/** One page of a paged audit query (AuditLog.query's shape). */
interface AuditPageOf {
  entries: { stepId?: string; data: Record<string, unknown> }[];
  nextAfterSeq: number | null;
}

/** An AuditReader over a paged query: every entry of the run and action, page after page. */
export function pagedAuditReader(
  query: (q: { runId: string; action: string; afterSeq: number; limit: number }) => Promise<AuditPageOf>,
): AuditReader {
  return async (runId, action) => {
    const out: AuditPageOf["entries"] = [];
    for (let afterSeq = 0; ;) {
      const page = await query({ runId, action, afterSeq, limit: 1_000 });
      out.push(...page.entries);
      if (page.nextAfterSeq === null) return out;
      afterSeq = page.nextAfterSeq;
    }
  };
}
