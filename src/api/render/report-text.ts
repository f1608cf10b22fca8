// The drill report as plain text (GET /v1/runs/{id}/report, Accept: text/plain), each step with its
// changes as `resource field: from → to`, and the recovery sentences the HTML report reuses.
import type { Recovery, RunReport } from "../../runs/run-report.js";
import { changeText } from "./change-text.js";
import { breakGlassLines, formatDuration } from "./run-text.js";

export function renderReportText(r: RunReport): string {
  const lines = [
    ...breakGlassLines(r.breakGlass),
    `report ${r.runId}  ${r.runbook}  ${r.dryRun ? "DRY-RUN" : "REAL RUN"}  ${r.state.toUpperCase()}  (trigger ${r.trigger})`,
    `RTO contribution ${formatDuration(r.rtoMs ?? undefined)}  queued ${formatDuration(r.queuedMs ?? undefined)}`,
    `time to recovery ${formatDuration(r.timeToRecoveryMs ?? undefined)}${r.timeToRecoveryMs === null ? " (not recovered)" : ""}`,
    `RPO ${rpoText(r.recovery)}`,
    `reprocess window ${reprocessText(r.recovery)}`,
    ...(r.comparison ? [`previous drill ${comparisonText(r.comparison)}`] : []),
    "",
    ...r.steps.flatMap((s) => [
      `  ${s.id.padEnd(24)} ${s.state.padEnd(10)} ${formatDuration(s.durationMs ?? undefined).padStart(8)}  plan ${formatDuration(s.planMs)} apply ${formatDuration(s.applyMs)} verify ${formatDuration(s.verifyMs)}`,
      ...stepDetailLines(s, r.dryRun),
    ]),
    "",
    "timeline",
    ...r.timeline.map(
      (e) =>
        `  ${new Date(e.at).toISOString()}  ${e.type}${e.stepId ? ` ${e.stepId}` : ""}${e.from || e.to ? ` ${e.from ?? "?"} → ${e.to ?? "?"}` : ""}${e.actor ? ` (${e.actor})` : ""}`,
    ),
  ];
  return lines.join("\n") + "\n";
}

/**
 * Under a step: each change as `resource field: from → to` (equalities as `= value (unchanged)`),
 * why it was skipped, how it failed. A step that planned nothing says so.
 */
function stepDetailLines(s: RunReport["steps"][number], dryRun: boolean): string[] {
  const lines = s.changeList.map((c) => `      ${changeText(c)}`);
  if (s.changeList.length === 0 && (s.planMs !== undefined || s.state === "succeeded"))
    lines.push("      (no changes)");
  if (dryRun && s.changeList.length > 0) lines.unshift("      would change:");
  if (s.skipReason) lines.push(`      skipped: ${s.skipReason}`);
  if (s.error) lines.push(`      error ${s.error.code}: ${s.error.message}`);
  return lines;
}

export function rpoText(r: Recovery): string {
  if (r.rpoStepId === null) return "not reported by any step";
  const parts: string[] = [];
  if (r.rpoMessages !== null) parts.push(`${r.rpoMessages} message(s) not replicated`);
  if (r.rpoAgeMs !== null)
    parts.push(`newest replicated message ${formatDuration(r.rpoAgeMs)} old (source unreachable)`);
  return `${parts.join(", ")} (step ${r.rpoStepId})`;
}

export function reprocessText(r: Recovery): string {
  if (r.reprocessStepId === null) return "not reported by any step";
  return `${r.reprocessExact ? "" : "≤ "}${r.reprocessWindow} message(s)${r.reprocessBasis ? `: ${r.reprocessBasis}` : ""} (step ${r.reprocessStepId})`;
}

export function comparisonText(c: NonNullable<RunReport["comparison"]>): string {
  const speed =
    c.slowerByPercent === null
      ? "duration not comparable"
      : `${c.slowerByPercent >= 0 ? "+" : ""}${c.slowerByPercent.toFixed(0)} % time (${formatDuration(c.previousRtoMs ?? undefined)} → ${formatDuration(c.rtoMs ?? undefined)})`;
  return `${c.previousRunId} (${c.previousState}): ${speed}${c.outcomeChanged ? ", outcome changed" : ""}${c.regressed ? " — REGRESSION" : ""}`;
}
