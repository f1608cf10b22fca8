// Break glass is loud: every time an admin proceeds without a second person it is logged at warn
// level and POSTed to service.approvals.breakGlassWebhook when one is configured. The body names the
// run, the step, who, why and the plan; never a token or a secret (headers come from the config).
import type { RunRecord } from "../engine/run-record.js";
import type { Logger } from "../engine/ports/logger.js";
import type { HttpClient } from "../steps/builtin/http-client.js";

export interface BreakGlassWebhook {
  url: string;
  /** Resolved at start-up from the config (literal values or secret refs). */
  headers: Record<string, string>;
}

export interface BreakGlassEvent {
  event: "approval.break_glass";
  runId: string;
  runbook: string;
  stepId: string;
  by: string;
  requestedBy: string | null;
  reason: string;
  planHash: string | null;
  at: number;
}

export class BreakGlassNotifier {
  constructor(private readonly d: { http?: HttpClient; webhook?: BreakGlassWebhook; logger: Logger }) {}

  /** The newest break glass of the run, as the webhook and the log carry it. */
  static eventOf(run: RunRecord): BreakGlassEvent | undefined {
    const last = run.breakGlass?.at(-1);
    if (!last) return undefined;
    const step = run.steps.find((s) => s.id === last.stepId);
    return {
      event: "approval.break_glass",
      runId: run.id,
      runbook: run.runbook.metadata.name,
      stepId: last.stepId,
      by: last.by,
      requestedBy: run.requestedBy ?? null,
      reason: last.reason,
      planHash: step?.approval?.planHash ?? null,
      at: last.at,
    };
  }

  /** Logs, then POSTs; a webhook that fails is logged, never thrown: the approval already stands. */
  async notify(event: BreakGlassEvent): Promise<void> {
    const log = this.d.logger.child({ runId: event.runId, stepId: event.stepId });
    log.warn(
      { by: event.by, reason: event.reason },
      "BREAK GLASS: an admin approved without a second person",
    );
    const hook = this.d.webhook;
    if (!hook || !this.d.http) return;
    try {
      const res = await this.d.http.request({
        method: "POST",
        url: hook.url,
        headers: { "content-type": "application/json", ...hook.headers },
        body: { ...event },
        signal: AbortSignal.timeout(10_000),
        timeoutMs: 10_000,
      });
      if (res.status >= 300)
        log.error({ status: res.status }, "break-glass webhook refused the notification");
    } catch (err) {
      log.error({ err: err instanceof Error ? err.message : String(err) }, "break-glass webhook failed");
    }
  }
}
