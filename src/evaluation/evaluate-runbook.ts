// Pre-flight evaluation of one runbook with given params: each step's input resolved as a run would
// resolve it (params only — no step has run), then its read-only `evaluate` hook, all steps at once.
// Nothing is planned, locked, recorded or changed.
import { ErrorCode, SwitchoverError } from "../engine/errors.js";
import { evaluateExpression, truthy } from "../engine/expression/evaluate-expression.js";
import type { ExpressionScope } from "../engine/expression/evaluate-expression.js";
import { parseExpression } from "../engine/expression/parse-expression.js";
import { resolveTree } from "../engine/expression/template.js";
import type { Clock } from "../engine/ports/clock.js";
import type { Logger } from "../engine/ports/logger.js";
import type { ParamValue, Runbook, StepSpec } from "../engine/runbook/model.js";
import { resolveParams } from "../engine/runbook/params.js";
import { zodMessage } from "../engine/runbook/validate-runbook.js";
import type { StepCatalog } from "../engine/step-catalog.js";
import type { ProvidedAdapters, EvaluationCheck, EvaluationOutcome } from "../engine/step-contract.js";
import type { TargetCatalog } from "../engine/target-catalog.js";
import { messageOf, worst } from "./checks.js";

export interface StepEvaluation {
  id: string;
  uses: string;
  outcome: EvaluationOutcome;
  reason: string;
  checks: EvaluationCheck[];
  durationMs: number;
}

export interface RunbookEvaluation {
  runbook: string;
  params: Record<string, ParamValue>;
  outcome: EvaluationOutcome;
  reason: string;
  evaluatedAt: string;
  durationMs: number;
  steps: StepEvaluation[];
}

export interface EvaluatorDeps {
  steps: StepCatalog;
  targets: TargetCatalog;
  adapters: ProvidedAdapters;
  logger: Logger;
  clock: Clock;
  /** Per step: a hook that takes longer is blocked ("no answer within …"). */
  stepTimeoutMs?: number;
}

/** "steps.x" references: inputs that only a run can resolve. */
const STEP_REF = /\bsteps\.([a-z][a-z0-9-]*)/;

function summarize(checks: EvaluationCheck[]): { outcome: EvaluationOutcome; reason: string } {
  const outcome = worst(checks.map((c) => c.outcome));
  const relevant = checks.filter((c) => c.outcome === outcome);
  return { outcome, reason: relevant.map((c) => `${c.check}: ${c.reason}`).join("; ") };
}

async function evaluateStep(
  d: EvaluatorDeps,
  spec: StepSpec,
  scope: ExpressionScope,
  signal: AbortSignal,
): Promise<Omit<StepEvaluation, "durationMs">> {
  const base = { id: spec.id, uses: spec.uses };
  const def = d.steps.get(spec.uses);
  if (!def) {
    return { ...base, outcome: "blocked", reason: `unknown step kind ${spec.uses}`, checks: [] };
  }
  const caveats: EvaluationCheck[] = [];
  if (spec.when !== undefined) {
    try {
      if (!truthy(evaluateExpression(parseExpression(spec.when), scope, spec.when))) {
        return {
          ...base,
          outcome: "ready",
          reason: `skipped with these params: when ${spec.when} is false`,
          checks: [],
        };
      }
    } catch (err) {
      caveats.push({
        check: "when",
        outcome: "ready",
        reason: `condition cannot be decided before the run (${messageOf(err)}); evaluated as if it holds`,
      });
    }
  }
  let raw: unknown;
  try {
    raw = spec.literal ? spec.with : resolveTree(spec.with, scope);
  } catch (err) {
    const ref = STEP_REF.exec(JSON.stringify(spec.with));
    if (ref) {
      return {
        ...base,
        outcome: "degraded",
        reason: `input depends on outputs of step ${ref[1]}; only a run can check this step (${messageOf(err)})`,
        checks: caveats,
      };
    }
    return {
      ...base,
      outcome: "blocked",
      reason: `input cannot be resolved: ${messageOf(err)}`,
      checks: caveats,
    };
  }
  const parsed = def.input(d.targets).safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `with.${i.path.join(".")}: ${zodMessage(i)}`).join("; ");
    return { ...base, outcome: "blocked", reason: `input is invalid: ${problems}`, checks: caveats };
  }
  if (!def.evaluate) {
    return { ...base, outcome: "ready", reason: `${spec.uses} has no pre-flight checks`, checks: caveats };
  }
  const adapters: Record<string, unknown> = {};
  for (const name of def.adapters) {
    const adapter = d.adapters[name];
    if (adapter === undefined) {
      return {
        ...base,
        outcome: "blocked",
        reason: `adapter ${String(name)} is not configured`,
        checks: caveats,
      };
    }
    adapters[name] = adapter;
  }
  const timeoutMs = d.stepTimeoutMs ?? 20_000;
  const stepSignal = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
  let checks: EvaluationCheck[];
  try {
    const hook = def.evaluate.bind(def);
    checks = await new Promise<EvaluationCheck[]>((resolve, reject) => {
      const onAbort = () =>
        reject(
          new SwitchoverError(ErrorCode.Timeout, `no answer within ${timeoutMs} ms`, { retryable: true }),
        );
      stepSignal.addEventListener("abort", onAbort, { once: true });
      hook(
        {
          logger: d.logger.child({ evaluation: true, stepId: spec.id }),
          signal: stepSignal,
          clock: d.clock,
          targets: d.targets,
          adapters,
        },
        parsed.data,
      )
        .then(resolve, reject)
        .finally(() => stepSignal.removeEventListener("abort", onAbort));
    });
  } catch (err) {
    checks = [{ check: "evaluate", outcome: "blocked", reason: messageOf(err) }];
  }
  const all = [...caveats, ...checks];
  const s = summarize(
    all.length > 0 ? all : [{ check: spec.uses, outcome: "ready", reason: "nothing to check" }],
  );
  return { ...base, ...s, checks: all };
}

/** Evaluates every step; a blocked step with onFailure: continue only degrades the runbook. */
export async function evaluateRunbook(
  d: EvaluatorDeps,
  runbook: Runbook,
  givenParams: Record<string, ParamValue> | undefined,
  signal: AbortSignal,
): Promise<RunbookEvaluation> {
  const t0 = d.clock.now();
  const params = resolveParams(runbook.params, givenParams ?? {});
  const scopeParams: ExpressionScope["params"] = {};
  for (const name of Object.keys(runbook.params)) scopeParams[name] = params[name] ?? null;
  const scope: ExpressionScope = {
    params: scopeParams,
    steps: {},
    run: { id: "evaluation", dryRun: true, runbook: runbook.metadata.name },
  };
  const steps = await Promise.all(
    runbook.steps.map(async (spec) => {
      const s0 = performance.now();
      const r = await evaluateStep(d, spec, scope, signal);
      return { ...r, durationMs: Math.round(performance.now() - s0) };
    }),
  );
  const effective = steps.map((s, i) =>
    s.outcome === "blocked" && runbook.steps[i]!.onFailure === "continue" ? "degraded" : s.outcome,
  );
  const outcome = worst(effective);
  const culprits = steps.filter((_, i) => effective[i] === outcome && outcome !== "ready");
  return {
    runbook: runbook.metadata.name,
    params,
    outcome,
    reason:
      outcome === "ready"
        ? `all ${steps.length} steps ready`
        : culprits.map((s) => `${s.id}: ${s.reason}`).join("; "),
    evaluatedAt: new Date(t0).toISOString(),
    durationMs: d.clock.now() - t0,
    steps,
  };
}
