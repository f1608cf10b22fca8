// How runs look over HTTP: the engine's record plus trigger and targets (Run), and a compact
// summary for lists (RunSummary). Shapes are the OpenAPI document's.
import type { RunRecord } from "../engine/run-record.js";
import type { RunMeta } from "../queue/run-meta.js";
import type { components } from "../api/generated/openapi.js";

export type RunView = components["schemas"]["Run"];
export type RunSummaryView = components["schemas"]["RunSummary"];

export function toRunView(run: RunRecord, meta: RunMeta): RunView {
  const view = { ...run, trigger: meta.trigger, targets: meta.targets } as RunView;
  if (meta.scheduleId !== undefined) view.scheduleId = meta.scheduleId;
  return view;
}

export function toRunSummary(run: RunRecord, meta: RunMeta): RunSummaryView {
  const steps: Record<string, number> = {};
  for (const s of run.steps) steps[s.state] = (steps[s.state] ?? 0) + 1;
  const out: RunSummaryView = {
    id: run.id,
    runbook: run.runbook.metadata.name,
    dryRun: run.dryRun,
    state: run.state,
    createdAt: run.createdAt,
    trigger: meta.trigger,
    targets: meta.targets,
    steps,
  };
  if (run.startedAt !== undefined) out.startedAt = run.startedAt;
  if (run.finishedAt !== undefined) out.finishedAt = run.finishedAt;
  if (run.requestedBy !== undefined) out.requestedBy = run.requestedBy;
  if (run.reason !== undefined) out.reason = run.reason;
  if (run.revertOf !== undefined) out.revertOf = run.revertOf;
  if (meta.scheduleId !== undefined) out.scheduleId = meta.scheduleId;
  if (run.error !== undefined) out.error = run.error;
  return out;
}
