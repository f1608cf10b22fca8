// The drill report of a run: per-step durations, RTO (the run's wall time), the recovery point and
// reprocess window as reported by steps' outputs, and the timeline of recorded events.
import type { JsonValue } from "../engine/json.js";
import type { RunRecord } from "../engine/run-record.js";
import type { RunMeta } from "../queue/run-meta.js";
import type { StoredRunEvent } from "../queue/run-events.js";
import type { components } from "../contract/openapi.js";

export type RunReport = components["schemas"]["RunReport"];

/**
 * Reprocess window as kafka.verifyTranslatedOffsets and kafka.applyTranslatedOffsets report it
 * (reprocessWindow). The last step that measured wins: it measured closest to the switch.
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

export type Recovery = RunReport["recovery"];

const intOrNull = (v: JsonValue | undefined): number | null =>
  typeof v === "number" && Number.isFinite(v) ? Math.round(v) : null;

/** The step kind whose job is measuring the recovery point before the switch. */
const RPO_VERIFIER = "kafka.verifyTranslatedOffsets";

const hasRpo = (o: Record<string, JsonValue> | undefined): boolean =>
  intOrNull(o?.rpoMessages) !== null || intOrNull(o?.rpoAgeMs) !== null;

/**
 * The step whose RPO figure the report gives: the last verification step (kafka.verifyTranslatedOffsets)
 * that measured one, else the last step that did. A step later in the run (apply-offsets) measures
 * after the verification, so its "newest replicated message is N s old" has grown by the time
 * in between without anything more being lost; the verification's figure is the one decided on.
 */
function rpoStep(run: RunRecord): RunRecord["steps"][number] | undefined {
  const steps = [...run.steps].reverse().filter((s) => hasRpo(s.outputs));
  return steps.find((s) => s.uses === RPO_VERIFIER) ?? steps[0];
}

/** The `rpo` field: the RPO outputs of the step recovery.rpoStepId names. */
function rpoOutputs(run: RunRecord): { stepId: string; value: JsonValue } | null {
  const s = rpoStep(run);
  if (!s?.outputs) return null;
  const found = ["rpoMessages", "rpoAgeMs"].filter((k) => s.outputs![k] !== undefined);
  return { stepId: s.id, value: Object.fromEntries(found.map((k) => [k, s.outputs![k]!])) };
}

/**
 * The recovery figures: RPO from rpoStep (rpoMessages when the source answered, rpoAgeMs when it did
 * not), the reprocess window from the last step that gave a number (exact, or an upper bound
 * estimated without the source: reprocessWindowExact false).
 */
export function recoveryOf(run: RunRecord): Recovery {
  const recovery: Recovery = {
    rpoMessages: null,
    rpoAgeMs: null,
    rpoStepId: null,
    reprocessWindow: null,
    reprocessExact: false,
    reprocessBasis: null,
    reprocessStepId: null,
  };
  const rpo = rpoStep(run);
  if (rpo) {
    const o = rpo.outputs ?? {};
    Object.assign(recovery, {
      rpoMessages: intOrNull(o.rpoMessages),
      rpoAgeMs: intOrNull(o.rpoAgeMs),
      rpoStepId: rpo.id,
    });
  }
  const steps = [...run.steps].reverse();
  for (const s of steps) {
    const o = s.outputs ?? {};
    const window = intOrNull(o.reprocessWindow);
    if (window === null) continue;
    const exact = o.reprocessWindowExact !== false;
    Object.assign(recovery, {
      reprocessWindow: window,
      reprocessExact: exact,
      reprocessBasis:
        typeof o.reprocessBasis === "string"
          ? o.reprocessBasis
          : exact
            ? "measured against the source cluster's committed offsets"
            : null,
      reprocessStepId: s.id,
    });
    break;
  }
  return recovery;
}

export function buildReport(
  run: RunRecord,
  meta: RunMeta,
  events: readonly StoredRunEvent[],
  comparison: RunReport["comparison"] = null,
): RunReport {
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
    timeToRecoveryMs:
      run.state === "succeeded" && run.finishedAt !== undefined ? run.finishedAt - run.createdAt : null,
    recovery: recoveryOf(run),
    comparison,
    rpo: rpoOutputs(run),
    reprocess: lastOutputs(run, ["reprocessWindow"]),
    steps: run.steps.map((s) => {
      const step: RunReport["steps"][number] = {
        id: s.id,
        uses: s.uses,
        state: s.state,
        attempt: s.attempt,
        changes: s.plan?.changes.length ?? 0,
        // What it applied (a real run) or would apply (a dry-run): apply acts only on the plan.
        changeList: s.plan?.changes ?? [],
        durationMs:
          s.startedAt !== undefined && s.finishedAt !== undefined ? s.finishedAt - s.startedAt : null,
      };
      if (s.startedAt !== undefined) step.startedAt = s.startedAt;
      if (s.finishedAt !== undefined) step.finishedAt = s.finishedAt;
      if (s.timings?.planMs !== undefined) step.planMs = s.timings.planMs;
      if (s.timings?.applyMs !== undefined) step.applyMs = s.timings.applyMs;
      if (s.timings?.verifyMs !== undefined) step.verifyMs = s.timings.verifyMs;
      if (s.skipReason !== undefined) step.skipReason = s.skipReason;
      if (s.error) step.error = s.error;
      return step;
    }),
    timeline: events.map((e) => e.event),
  };
  if (run.startedAt !== undefined) report.startedAt = run.startedAt;
  if (run.finishedAt !== undefined) report.finishedAt = run.finishedAt;
  if (run.breakGlass && run.breakGlass.length > 0) report.breakGlass = run.breakGlass.map((b) => ({ ...b }));
  return report;
}
