// How runs look over HTTP: the engine's record plus trigger and targets (Run), and a compact
// summary for lists (RunSummary). Shapes are the OpenAPI document's. A run waiting for approval
// also says who may approve, who has, how many are still needed and when the request expires.
import { redact, redactString } from "../audit/redact.js";
import { APPROVER_ROLES } from "../engine/approval-policy.js";
import type { RunRecord } from "../engine/run-record.js";
import type { RunMeta } from "../queue/run-meta.js";
import type { components } from "../contract/openapi.js";
import type { Role } from "../config/schema.js";

export type RunView = components["schemas"]["Run"];
export type RunSummaryView = components["schemas"]["RunSummary"];
export type ApprovalStatusView = components["schemas"]["ApprovalStatus"];

/**
 * A run as anyone with a token may read it: the runbook's step inputs, plans, outputs and errors
 * with credentials redacted (values under sensitive keys such as `Authorization` or `apiKey`,
 * bearer tokens, URL passwords and query keys, and every secret value the process has read).
 */
export function forViewers(run: RunRecord): RunRecord {
  return redact(run) as unknown as RunRecord;
}

/** What the approval status needs beyond the run: the configured principals, and the time. */
export interface ApprovalContext {
  principals: readonly { name: string; roles: readonly Role[] }[];
  now: number;
}

export function toRunView(run: RunRecord, meta: RunMeta, ctx?: ApprovalContext): RunView {
  const view = { ...forViewers(run), trigger: meta.trigger, targets: meta.targets } as RunView;
  if (meta.scheduleId !== undefined) view.scheduleId = meta.scheduleId;
  const approval = ctx ? approvalStatus(run, ctx) : undefined;
  if (approval) view.approval = approval;
  return view;
}

/** The pending request of a run waiting for approval, as the people asked to answer it see it. */
export function approvalStatus(run: RunRecord, ctx: ApprovalContext): ApprovalStatusView | undefined {
  if (run.state !== "waiting_approval") return undefined;
  const step = run.steps.find((s) => s.approval?.status === "pending");
  const a = step?.approval;
  if (!step || !a) return undefined;
  const required = a.required ?? 1;
  const approvedBy = (a.grants ?? []).map((g) => g.by);
  const mayApprove = (roles: readonly Role[]): boolean => APPROVER_ROLES.some((r) => roles.includes(r));
  const eligible = ctx.principals
    .filter((p) => mayApprove(p.roles) && p.name !== run.requestedBy && !approvedBy.includes(p.name))
    .map((p) => p.name)
    .sort();
  const out: ApprovalStatusView = {
    stepId: step.id,
    gate: a.gate ?? "runbook",
    required,
    approvedBy,
    remaining: Math.max(0, required - approvedBy.length),
    roles: [...APPROVER_ROLES],
    eligible,
    requestedAt: a.requestedAt ?? run.startedAt ?? run.createdAt,
  };
  if (a.message !== undefined) out.message = a.message;
  if (a.planHash !== undefined) out.planHash = a.planHash;
  if (run.requestedBy !== undefined) out.requestedBy = run.requestedBy;
  if (a.expiresAt !== undefined) {
    out.expiresAt = a.expiresAt;
    out.expired = ctx.now > a.expiresAt;
  }
  return out;
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
