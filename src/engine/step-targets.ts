// The configured targets a runbook's steps name, read only from the input fields each step kind
// declares as targets (StepDefinition.targets), never from any string that happens to match a name.
// Before a real run starts they are resolved from its params; what cannot be known then (a name
// taken from an earlier step's outputs, an unknown name) is a problem, so locking fails closed.
import { evaluateExpression, truthy } from "./expression/evaluate-expression.js";
import type { ExpressionScope, ScopeValue } from "./expression/evaluate-expression.js";
import { parseExpression } from "./expression/parse-expression.js";
import { resolveTree } from "./expression/template.js";
import type { ParamValue, Runbook, StepSpec } from "./runbook/model.js";
import { formatPath } from "./runbook/problem.js";
import type { StepCatalog } from "./step-catalog.js";
import type { StepTargets } from "./step-contract.js";
import type { TargetCatalog } from "./target-catalog.js";
import { knownTargets, unknownTarget } from "./target-ref.js";
import type { TargetKind } from "./target-ref.js";

export interface NamedTarget {
  kind: TargetKind;
  name: string;
}

/** A declared target field that cannot be resolved before the run starts. */
export interface TargetProblem {
  /** Where in the runbook, e.g. steps[1].with.cluster. */
  path: string;
  message: string;
}

export interface RunbookTargets {
  /** Each named target once, in step order. */
  targets: NamedTarget[];
  problems: TargetProblem[];
}

/** "cluster dc1", "replication flow dc1-to-dc2": how messages name a target. */
export function describeTarget(t: NamedTarget): string {
  return `${t.kind} ${t.name}`;
}

/** The targets a step's resolved input names, in the order the step declares them. */
export function targetsOfInput(declared: StepTargets | undefined, input: unknown): NamedTarget[] {
  if (!declared || typeof input !== "object" || input === null) return [];
  const fields = input as Record<string, unknown>;
  const out: NamedTarget[] = [];
  for (const [field, kind] of Object.entries(declared)) {
    const v = fields[field];
    if (typeof v === "string" && v !== "") out.push({ kind, name: v });
  }
  return out;
}

/**
 * Resolves every declared target field of every step from the params alone. A step whose `when`
 * is false on those params is left out (it will be skipped); a `when` that needs earlier steps'
 * outputs cannot be decided yet, so that step's targets count.
 */
export function resolveRunbookTargets(
  runbook: Runbook,
  params: Readonly<Record<string, ParamValue>>,
  steps: StepCatalog,
  known: TargetCatalog,
  run: { id: string; dryRun: boolean },
): RunbookTargets {
  const scope = paramsOnlyScope(runbook, params, run);
  const targets = new Map<string, NamedTarget>();
  const problems: TargetProblem[] = [];
  runbook.steps.forEach((spec, i) => {
    const declared = steps.get(spec.uses)?.targets;
    if (!declared || skippedOnParams(spec, scope)) return;
    for (const [field, kind] of Object.entries(declared)) {
      if (!Object.hasOwn(spec.with, field)) continue;
      const path = formatPath(["steps", i, "with", field]);
      const resolved = resolveField(spec, field, kind, scope, known);
      if ("problem" in resolved) problems.push({ path, message: resolved.problem });
      else targets.set(`${kind}\u0000${resolved.name}`, { kind, name: resolved.name });
    }
  });
  return { targets: [...targets.values()], problems };
}

function paramsOnlyScope(
  runbook: Runbook,
  params: Readonly<Record<string, ParamValue>>,
  run: { id: string; dryRun: boolean },
): ExpressionScope {
  const values: Record<string, ScopeValue> = {};
  for (const name of Object.keys(runbook.params)) values[name] = params[name] ?? null;
  // No step has run: a reference to steps.* throws "not defined", which is what makes it a problem.
  return {
    params: values,
    steps: {},
    run: { id: run.id, dryRun: run.dryRun, runbook: runbook.metadata.name },
  };
}

function skippedOnParams(spec: StepSpec, scope: ExpressionScope): boolean {
  if (spec.when === undefined) return false;
  try {
    return !truthy(evaluateExpression(parseExpression(spec.when), scope, spec.when));
  } catch {
    return false;
  }
}

function resolveField(
  spec: StepSpec,
  field: string,
  kind: TargetKind,
  scope: ExpressionScope,
  known: TargetCatalog,
): { name: string } | { problem: string } {
  const raw = spec.with[field];
  let value: unknown;
  try {
    // Revert runs carry recorded world state, taken as written (see StepSpec.literal).
    value = spec.literal ? raw : resolveTree(raw, scope);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return { problem: `the ${kind} cannot be resolved before the run starts (${why}); name it from params` };
  }
  if (typeof value !== "string") {
    return { problem: `the ${kind} resolves to ${value === null ? "null" : typeof value}, not a name` };
  }
  const names = knownTargets(known, kind);
  if (!names.includes(value)) return { problem: unknownTarget(names, kind, value) };
  return { name: value };
}
