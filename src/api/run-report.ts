// The drill report of a run: per-step durations, RTO (the run's wall time), the recovery point and
// reprocess window as reported by steps' outputs, and the timeline of recorded events.
import type { JsonValue } from "../engine/json.js";
import type { RunRecord } from "../engine/run-record.js";
import type { RunMeta } from "../queue/run-meta.js";
import type { StoredRunEvent } from "../queue/run-events.js";
import type { components } from "./generated/openapi.js";
import { formatDuration } from "./render/run-text.js";

export type RunReport = components["schemas"]["RunReport"];

/**
 * Recovery point and reprocess window as kafka.verifyTranslatedOffsets reports them (rpoMessages,
 * rpoAgeMs, reprocessWindow). The last step that measured wins: it measured closest to the switch.
 */
function lastOutputs(run: RunRecord, keys: readonly string[]): { stepId: string; value: JsonValue } | null {
  for (const s of [...run.steps].reverse()) {
    const found = keys.filter((k) => s.outputs?.[k] !== undefined);
    if (found.length === 0) continue;
    if (found.length === 1 && keys.length === 1) return { stepId: s.id, value: s.outputs![found[0]!]! };
    return { stepId: s.id, value: Object.fromEntries(found.map((k) => [k, s.outputs![k]!])) };
  }
  return null;
}

export function buildReport(run: RunRecord, meta: RunMeta, events: readonly StoredRunEvent[]): RunReport {
  const report: RunReport = {
    runId: run.id,
    runbook: run.runbook.metadata.name,
    dryRun: run.dryRun,
    state: run.state,
    trigger: meta.trigger,
    createdAt: run.createdAt,
    queuedMs: run.startedAt !== undefined ? run.startedAt - run.createdAt : null,
    rtoMs:
      run.startedAt !== undefined && run.finishedAt !== undefined ? run.finishedAt - run.startedAt : null,
    rpo: lastOutputs(run, ["rpoMessages", "rpoAgeMs"]),
    reprocess: lastOutputs(run, ["reprocessWindow"]),
    steps: run.steps.map((s) => {
      const step: RunReport["steps"][number] = {
        id: s.id,
        uses: s.uses,
        state: s.state,
        attempt: s.attempt,
        changes: s.plan?.changes.length ?? 0,
        durationMs:
          s.startedAt !== undefined && s.finishedAt !== undefined ? s.finishedAt - s.startedAt : null,
      };
      if (s.startedAt !== undefined) step.startedAt = s.startedAt;
      if (s.finishedAt !== undefined) step.finishedAt = s.finishedAt;
      if (s.timings?.planMs !== undefined) step.planMs = s.timings.planMs;
      if (s.timings?.applyMs !== undefined) step.applyMs = s.timings.applyMs;
      if (s.timings?.verifyMs !== undefined) step.verifyMs = s.timings.verifyMs;
      if (s.error) step.error = s.error;
      return step;
    }),
    timeline: events.map((e) => e.event),
  };
  if (run.startedAt !== undefined) report.startedAt = run.startedAt;
  if (run.finishedAt !== undefined) report.finishedAt = run.finishedAt;
  return report;
}

export function renderReportText(r: RunReport): string {
  const lines = [
    `report ${r.runId}  ${r.runbook}  ${r.dryRun ? "DRY-RUN" : "REAL RUN"}  ${r.state.toUpperCase()}  (trigger ${r.trigger})`,
    `RTO contribution ${formatDuration(r.rtoMs ?? undefined)}  queued ${formatDuration(r.queuedMs ?? undefined)}`,
    `RPO ${r.rpo ? `${JSON.stringify(r.rpo.value)} (step ${r.rpo.stepId})` : "not reported by any step"}`,
    `reprocess ${r.reprocess ? `${JSON.stringify(r.reprocess.value)} (step ${r.reprocess.stepId})` : "not reported by any step"}`,
    "",
    ...r.steps.map(
      (s) =>
        `  ${s.id.padEnd(24)} ${s.state.padEnd(10)} ${formatDuration(s.durationMs ?? undefined).padStart(8)}  plan ${formatDuration(s.planMs)} apply ${formatDuration(s.applyMs)} verify ${formatDuration(s.verifyMs)}  ${s.changes} change(s)`,
    ),
    "",
    "timeline",
    ...r.timeline.map(
      (e) =>
        `  ${new Date(e.at).toISOString()}  ${e.type}${e.stepId ? ` ${e.stepId}` : ""}${e.from || e.to ? ` ${e.from ?? "?"} → ${e.to ?? "?"}` : ""}${e.actor ? ` (${e.actor})` : ""}`,
    ),
  ];
  return lines.join("\n") + "\n";
}
