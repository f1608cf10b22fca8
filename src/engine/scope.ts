// Builds the expression scope of a run at a point in time: typed params, finished steps' outputs and
// states, run facts. Declared params without a value read as null rather than "not defined".
import type { ExpressionScope, ScopeValue } from "./expression/evaluate-expression.js";
import type { RunRecord } from "./run-record.js";

export function scopeOf(run: RunRecord): ExpressionScope {
  const params: Record<string, ScopeValue> = {};
  for (const name of Object.keys(run.runbook.params)) params[name] = run.params[name] ?? null;
  const steps: ExpressionScope["steps"] = {};
  for (const s of run.steps) {
    if (s.state === "pending") continue;
    steps[s.id] = { state: s.state, outputs: s.outputs ?? {} };
  }
  return { params, steps, run: { id: run.id, dryRun: run.dryRun, runbook: run.runbook.metadata.name } };
}
