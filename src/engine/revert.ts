// Builds the failback of a finished run from its record alone: every step that changed the world,
// in reverse order, restoring the before-state it recorded. Nobody has to remember old values.
import { ErrorCode, SwitchoverError } from "./errors.js";
import type { RunRecord } from "./run-record.js";
import type { Runbook, StepSpec } from "./runbook/model.js";
import { isTerminalRun } from "./states.js";
import type { StepCatalog } from "./step-catalog.js";

export function buildRevertRunbook(run: RunRecord, catalog: StepCatalog): Runbook {
  if (run.dryRun) {
    throw new SwitchoverError(ErrorCode.NotRevertible, `run ${run.id} is a dry-run; it changed nothing`);
  }
  if (!isTerminalRun(run.state)) {
    throw new SwitchoverError(
      ErrorCode.NotRevertible,
      `run ${run.id} is ${run.state}; revert a finished run`,
    );
  }
  const steps: StepSpec[] = [];
  const problems: string[] = [];
  for (const step of [...run.steps].reverse()) {
    // Once a step reached applying, apply may have run (fully or partly): it must be undone even
    // if it failed later. Its "before" is recorded, or after a crash inside apply the plan's "from".
    const touched = step.applyStartedAt !== undefined;
    if (!touched || !step.plan || step.plan.changes.length === 0) continue;
    const def = catalog.get(step.uses);
    if (!def?.revert) {
      problems.push(
        `step ${step.id} (${step.uses}) changed ${step.plan.changes.length} thing(s) but its kind cannot revert`,
      );
      continue;
    }
    const reverse = def.revert({
      input: step.input,
      plan: { changes: step.plan.changes, outputs: step.plan.outputs },
      before: step.before ?? null,
    });
    if (!reverse) continue;
    steps.push({
      id: `revert-${step.id}`.slice(0, 63),
      uses: reverse.uses ?? step.uses,
      name: `revert ${step.id}`,
      with: reverse.with,
      onFailure: "abort",
      literal: true,
    });
  }
  if (problems.length > 0) {
    throw new SwitchoverError(
      ErrorCode.NotRevertible,
      `run ${run.id} cannot be reverted: ${problems.join("; ")}`,
      {
        details: { problems },
      },
    );
  }
  if (steps.length === 0) {
    throw new SwitchoverError(
      ErrorCode.NotRevertible,
      `run ${run.id} changed nothing; there is nothing to revert`,
    );
  }
  return {
    apiVersion: "switchover/v1",
    kind: "Runbook",
    metadata: {
      name: `${run.runbook.metadata.name}-revert`.slice(0, 63),
      description: `Revert of run ${run.id} (${run.runbook.metadata.name}), built from its record`,
      labels: { ...run.runbook.metadata.labels, "switchover/revert-of": run.id },
    },
    params: {},
    steps,
  };
}
