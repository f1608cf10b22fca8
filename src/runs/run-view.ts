// How runs look over HTTP: the engine's record plus trigger and targets (Run), and a compact
// summary for lists (RunSummary). Shapes are the OpenAPI document's.
import { redact, redactString } from "../audit/redact.js";
import type { RunRecord } from "../engine/run-record.js";
import type { RunMeta } from "../queue/run-meta.js";
import type { components } from "../api/generated/openapi.js";

export type RunView = components["schemas"]["Run"];
export type RunSummaryView = components["schemas"]["RunSummary"];

/**
 * A run as anyone with a token may read it: the runbook's step inputs, plans, outputs and errors
 * with credentials redacted (values under sensitive keys such as `Authorization` or `apiKey`,
 * bearer tokens, URL passwords and query keys, and every secret value the process has read).
 */
export function forViewers(run: RunRecord): RunRecord {
  return redact(run) as unknown as RunRecord;
}

export function toRunView(run: RunRecord, meta: RunMeta): RunView {
  const view = { ...forViewers(run), trigger: meta.trigger, targets: meta.targets } as RunView;
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
  if (run.reason !== undefined) out.reason = redactString(run.reason);
  if (run.revertOf !== undefined) out.revertOf = run.revertOf;
  if (meta.scheduleId !== undefined) out.scheduleId = meta.scheduleId;
  if (run.error !== undefined) out.error = forViewers(run).error!;
  return out;
}
