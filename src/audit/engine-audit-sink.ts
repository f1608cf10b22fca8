// The engine's AuditSink port on top of the audit log: each engine event becomes one chained entry,
// with the event type as the action and "system" as the actor unless the event names a person.
import type { AuditEvent, AuditSink } from "../engine/ports/audit-sink.js";
import type { AuditAppendInput } from "./audit-log.js";

/** What the adapter needs from the log (AuditLog satisfies it). */
export interface AuditAppender {
  append(input: AuditAppendInput): Promise<unknown>;
}

export const SYSTEM_ACTOR = "system";

export class AuditSinkAdapter implements AuditSink {
  constructor(private readonly log: AuditAppender) {}

  async append(event: AuditEvent): Promise<void> {
    await this.log.append(toAppendInput(event));
  }
}

/**
 * data: `eventAt` (when the engine saw it; the entry's own `at` is when it was recorded), the
 * transition `from`/`to` when present, and the event's own data under `details`.
 */
export function toAppendInput(event: AuditEvent): AuditAppendInput {
  const data: Record<string, unknown> = {
    eventAt: Number.isFinite(event.at) ? new Date(event.at).toISOString() : null,
  };
  if (event.from !== undefined) data.from = event.from;
  if (event.to !== undefined) data.to = event.to;
  if (event.data !== undefined) data.details = event.data;
  const input: AuditAppendInput = {
    actor: event.actor ?? SYSTEM_ACTOR,
    action: event.type,
    runId: event.runId,
    data,
  };
  if (event.stepId !== undefined) input.stepId = event.stepId;
  return input;
}
