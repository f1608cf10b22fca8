// The terminal rendering of a run (Accept: text/plain): header, then one line per step with state,
// attempt and duration, and under it each planned change as `resource field: from → to`
// (an equality as `resource field = value (unchanged)`). Break glass opens the page, loudly; a run
// waiting for approval says who may approve, who has and how many more are needed.
import type { BreakGlassRecord, RunRecord, StepRecord } from "../../engine/run-record.js";
import type { RunMeta } from "../../queue/run-meta.js";
import type { ApprovalStatusView, RunSummaryView } from "../../runs/run-view.js";
import { changeText } from "./change-text.js";

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "-";
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)}s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1_000);
  return m < 60
    ? `${m}m${String(s).padStart(2, "0")}s`
    : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

function iso(ms: number | undefined): string {
  return ms === undefined ? "-" : new Date(ms).toISOString();
}

function stepDuration(s: StepRecord, now: number): number | undefined {
  if (s.startedAt === undefined) return undefined;
  return (s.finishedAt ?? now) - s.startedAt;
}

const MARK: Record<string, string> = {
  succeeded: "✔",
  failed: "✘",
  skipped: "↷",
  pending: "·",
  planning: "…",
  applying: "…",
  verifying: "…",
};

/** One line per break glass, the same in the run view and the report. */
export function breakGlassLines(records: readonly BreakGlassRecord[] | undefined): string[] {
  return (records ?? []).map(
    (b) =>
      `!!! BREAK GLASS by ${b.by} at step ${b.stepId}: ${b.reason} (${iso(b.at)}; approved without a second person)`,
  );
}

/** The waiting run's request for approval, in one line. */
export function approvalLine(a: ApprovalStatusView): string {
  const given = a.approvedBy.length;
  const by = given > 0 ? ` by ${a.approvedBy.join(", ")}` : "";
  const notBy = a.requestedBy ? `, not the requester (${a.requestedBy})` : "";
  const eligible = a.eligible.length > 0 ? a.eligible.join(", ") : "nobody configured";
  const expires =
    a.expiresAt === undefined
      ? ""
      : a.expired
        ? `; EXPIRED ${iso(a.expiresAt)}`
        : `; expires ${iso(a.expiresAt)}`;
  return `approval: ${given} of ${a.required} given${by} at step ${a.stepId} (${a.remaining} more needed); may approve: ${a.roles.join(" or ")} role${notBy}; eligible: ${eligible}${expires}${a.planHash ? `; plan ${a.planHash}` : ""}`;
}

export function renderRunText(
  run: RunRecord,
  meta: RunMeta,
  now = Date.now(),
  approval?: ApprovalStatusView,
): string {
  const lines: string[] = [...breakGlassLines(run.breakGlass)];
  const mode = run.dryRun ? "DRY-RUN" : "REAL RUN";
  lines.push(`run ${run.id}  ${run.runbook.metadata.name}  ${mode}  ${run.state.toUpperCase()}`);
  const who = run.requestedBy ? ` by ${run.requestedBy}` : "";
  lines.push(
    `trigger ${meta.trigger}${meta.scheduleId ? ` (${meta.scheduleId})` : ""}${who}${run.reason ? ` — ${run.reason}` : ""}`,
  );
  const total = run.startedAt !== undefined ? (run.finishedAt ?? now) - run.startedAt : undefined;
  lines.push(
    `created ${iso(run.createdAt)}  started ${iso(run.startedAt)}  finished ${iso(run.finishedAt)}  took ${formatDuration(total)}`,
  );
  if (meta.targets.length > 0) lines.push(`targets ${meta.targets.join(", ")}`);
  if (run.pin) lines.push(`pinned to dry-run ${run.pin.runId}`);
  if (run.revertOf) lines.push(`reverts run ${run.revertOf}`);
  if (approval) lines.push(approvalLine(approval));
  lines.push("");
  const idWidth = Math.max(4, ...run.steps.map((s) => s.id.length));
  const usesWidth = Math.max(4, ...run.steps.map((s) => s.uses.length));
  lines.push(`  ${"STEP".padEnd(idWidth)}  ${"KIND".padEnd(usesWidth)}  ${"STATE".padEnd(16)}  TRY  TIME`);
  for (const s of run.steps) {
    const state = s.approval?.status === "pending" ? "waiting approval" : s.state;
    lines.push(
      `${MARK[s.state] ?? " "} ${s.id.padEnd(idWidth)}  ${s.uses.padEnd(usesWidth)}  ${state.padEnd(16)}  ${String(s.attempt).padStart(3)}  ${formatDuration(stepDuration(s, now))}`,
    );
    const changes = s.plan?.changes ?? [];
    for (const c of changes) {
      lines.push(`      ${changeText(c)}`);
    }
    if (s.plan && changes.length === 0) lines.push("      (no changes)");
    if (s.approval?.status === "pending")
      lines.push(`      approval needed${s.approval.message ? `: ${s.approval.message}` : ""}`);
    if (s.skipReason) lines.push(`      skipped: ${s.skipReason}`);
    if (s.error) lines.push(`      error ${s.error.code}: ${s.error.message}`);
  }
  if (run.error) {
    lines.push("");
    lines.push(`error ${run.error.code}: ${run.error.message}`);
  }
  if (run.drift) {
    lines.push(`drift at step ${run.drift.stepId}: the world changed since dry-run ${run.drift.pinnedRunId}`);
  }
  return lines.join("\n") + "\n";
}

export function renderRunListText(items: readonly RunSummaryView[]): string {
  if (items.length === 0) return "no runs\n";
  const lines = items.map((r) => {
    const mode = r.dryRun ? "dry " : "REAL";
    const took =
      r.startedAt !== undefined && r.finishedAt !== undefined ? r.finishedAt - r.startedAt : undefined;
    return `${r.id}  ${mode}  ${r.state.padEnd(16)}  ${r.runbook.padEnd(24)}  ${new Date(r.createdAt).toISOString()}  ${formatDuration(took)}`;
  });
  return lines.join("\n") + "\n";
}
