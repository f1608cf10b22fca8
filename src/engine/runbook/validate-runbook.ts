// Checks a runbook document completely and reports every problem at once: structure (zod), then
// duplicate ids, unknown step kinds, each step's inputs against its kind's own schema, and every
// expression's syntax and references (params declared, steps earlier in the runbook).
import type { z } from "zod";
import type { Expr } from "../expression/ast.js";
import { ExpressionError, parseExpression, references } from "../expression/parse-expression.js";
import { hasTemplate, parseTemplate } from "../expression/template.js";
import type { StepCatalog } from "../step-catalog.js";
import type { TargetCatalog } from "../target-catalog.js";
import { runbookDocumentSchema } from "./document-schema.js";
import { PARAM_TYPES } from "./model.js";
import { checkParamValue } from "./params.js";
import { formatPath } from "./problem.js";

export interface RawProblem {
  path: (string | number)[];
  message: string;
  /** Point at the key rather than the value (unknown keys). */
  key?: boolean;
  /** Offset inside a string value (expressions). */
  offset?: number;
}

const RUN_FIELDS = ["id", "dryRun", "runbook"];
const STEP_FIELDS = ["outputs", "state"];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);

export function validateRunbookDocument(
  raw: unknown,
  catalog: StepCatalog,
  targets: TargetCatalog,
): RawProblem[] {
  const problems: RawProblem[] = [];
  const structure = runbookDocumentSchema.safeParse(raw);
  if (!structure.success) problems.push(...zodProblems(structure.error.issues, []));
  if (!isObj(raw)) return problems;

  const params = isObj(raw.params) ? raw.params : {};
  checkParams(params, problems);

  const steps = Array.isArray(raw.steps) ? (raw.steps as unknown[]) : [];
  const seen = new Map<string, number>();
  const last = lastIndexById(steps);
  steps.forEach((step, i) => {
    if (!isObj(step)) return;
    const id = typeof step.id === "string" ? step.id : undefined;
    if (id !== undefined) {
      const first = seen.get(id);
      if (first !== undefined) {
        problems.push({
          path: ["steps", i, "id"],
          message: `duplicate step id "${id}" (first used by steps[${first}])`,
        });
      } else seen.set(id, i);
    }
    // Steps that may be referenced from step i: those before it, by id. Lookups into two maps,
    // not sets rebuilt per step (that was quadratic in the number of steps).
    const refs: RefContext = {
      params,
      secrets: targets.secrets,
      isEarlier: (sid) => (seen.get(sid) ?? i) < i,
      isLater: (sid) => (last.get(sid) ?? -1) >= i,
    };

    if (typeof step.when === "string") {
      // A condition never reads a secret: which branch ran would tell its value.
      const noSecrets = { ...refs, secrets: undefined };
      checkExpressionString(step.when, ["steps", i, "when"], noSecrets, problems, true);
    }
    if (isObj(step.with)) checkTemplates(step.with, ["steps", i, "with"], refs, problems);
    if (typeof step.uses === "string") checkInputs(step, i, catalog, targets, problems);
  });
  return problems;
}

function lastIndexById(steps: unknown[]): Map<string, number> {
  const last = new Map<string, number>();
  steps.forEach((s, i) => {
    if (isObj(s) && typeof s.id === "string") last.set(s.id, i);
  });
  return last;
}

function checkParams(params: Obj, problems: RawProblem[]): void {
  for (const [name, spec] of Object.entries(params)) {
    // An unknown type is reported by the structural check; values can only be checked against a known one.
    if (!isObj(spec)) continue;
    const type = PARAM_TYPES.find((t) => t === spec.type);
    if (type === undefined) continue;
    const enumValues = Array.isArray(spec.enum) ? (spec.enum as unknown[]) : undefined;
    if (enumValues) {
      enumValues.forEach((e, k) => {
        const why = checkParamValue({ type }, type === "string[]" ? [e] : e);
        if (why) problems.push({ path: ["params", name, "enum", k], message: `enum value: ${why}` });
      });
    }
    if (spec.default !== undefined) {
      const validEnum = enumValues?.every((e) => typeof e === "string" || typeof e === "number");
      const why = checkParamValue(validEnum ? { type, enum: enumValues } : { type }, spec.default);
      if (why) problems.push({ path: ["params", name, "default"], message: `default: ${why}` });
      if (spec.required === true) {
        problems.push({
          path: ["params", name, "required"],
          message: "a required param cannot have a default",
        });
      }
    }
  }
}

interface RefContext {
  params: Obj;
  /** Secret names readable here; undefined where secrets may not be read (conditions). */
  secrets: readonly string[] | undefined;
  isEarlier: (id: string) => boolean;
  isLater: (id: string) => boolean;
}

function checkTemplates(
  value: unknown,
  path: (string | number)[],
  refs: RefContext,
  problems: RawProblem[],
): void {
  if (typeof value === "string") {
    if (hasTemplate(value)) checkExpressionString(value, path, refs, problems, false);
  } else if (Array.isArray(value)) {
    value.forEach((v, k) => checkTemplates(v, [...path, k], refs, problems));
  } else if (isObj(value)) {
    for (const [k, v] of Object.entries(value)) checkTemplates(v, [...path, k], refs, problems);
  }
}

/** `when` may be a bare expression or one `${{ }}`; inputs must use `${{ }}`. */
function checkExpressionString(
  text: string,
  path: (string | number)[],
  refs: RefContext,
  problems: RawProblem[],
  bare: boolean,
): void {
  let exprs: { expr: Expr; offset: number }[];
  try {
    if (bare && !hasTemplate(text)) exprs = [{ expr: parseExpression(text), offset: 0 }];
    else {
      const t = parseTemplate(text);
      exprs = t.exprs.map((expr, k) => ({ expr, offset: t.parts[k]!.offset }));
    }
  } catch (err) {
    if (!(err instanceof ExpressionError)) throw err;
    problems.push({ path, message: `invalid expression: ${err.message}`, offset: 0 });
    return;
  }
  for (const { expr, offset } of exprs) {
    for (const ref of references(expr)) {
      const why = checkReference(ref.path, refs);
      if (why) problems.push({ path, message: why, offset });
    }
  }
}

function checkReference(path: (string | number)[], refs: RefContext): string | undefined {
  const [root, first, second] = path;
  const shown = formatPath(path);
  switch (root) {
    case "params":
      if (typeof first !== "string") return `${shown}: name a param, e.g. params.cluster`;
      if (!Object.hasOwn(refs.params, first)) {
        const declared = Object.keys(refs.params);
        return `unknown param "${first}" in ${shown} (declared: ${declared.join(", ") || "none"})`;
      }
      return undefined;
    case "steps":
      if (typeof first !== "string") return `${shown}: name a step, e.g. steps.check.outputs.lag`;
      if (!refs.isEarlier(first)) {
        if (refs.isLater(first))
          return `${shown} refers to step "${first}", which has not run yet at this point`;
        return `unknown step "${first}" in ${shown}`;
      }
      if (typeof second !== "string" || !STEP_FIELDS.includes(second)) {
        return `${shown}: a step exposes ${STEP_FIELDS.map((f) => `steps.${first}.${f}`).join(" and ")}`;
      }
      if (second === "outputs" && path.length < 4)
        return `${shown}: name an output, e.g. steps.${first}.outputs.<key>`;
      return undefined;
    case "secrets":
      if (refs.secrets === undefined) return `${shown}: secrets can be read only in a step's with`;
      if (typeof first !== "string" || path.length > 2)
        return `${shown}: name a secret, e.g. secrets.SLACK_URL`;
      if (!refs.secrets.includes(first)) {
        const known = [...refs.secrets].sort();
        return `unknown secret "${first}" in ${shown} (the environment's secrets: ${known.join(", ") || "none"})`;
      }
      return undefined;
    case "run":
      if (typeof first !== "string" || !RUN_FIELDS.includes(first) || path.length > 2) {
        return `${shown}: run exposes ${RUN_FIELDS.map((f) => `run.${f}`).join(", ")}`;
      }
      return undefined;
    default:
      return `unknown name "${String(root)}" in ${shown}; expressions read params.*, steps.*, run.*, secrets.*`;
  }
}

function checkInputs(
  step: Obj,
  i: number,
  catalog: StepCatalog,
  targets: TargetCatalog,
  problems: RawProblem[],
): void {
  const kind = step.uses as string;
  const def = catalog.get(kind);
  if (!def) {
    const hint = closest(kind, catalog.kinds());
    problems.push({
      path: ["steps", i, "uses"],
      message: `unknown step kind "${kind}"${hint ? ` (did you mean "${hint}"?)` : ""}`,
    });
    return;
  }
  if (step.with !== undefined && !isObj(step.with)) return;
  const input = step.with ?? {};
  const result = def.input(targets).safeParse(input);
  if (result.success) return;
  const base = ["steps", i, "with"];
  // A value written as an expression is only known when the step runs; it is checked then.
  const issues = result.error.issues.filter((issue) => !underTemplate(input, issue.path));
  problems.push(...zodProblems(issues, base));
}

function underTemplate(value: unknown, path: readonly PropertyKey[]): boolean {
  let current: unknown = value;
  for (const seg of path) {
    if (typeof current === "string") return hasTemplate(current);
    if (current === null || typeof current !== "object") return false;
    current = (current as Record<PropertyKey, unknown>)[seg];
  }
  return typeof current === "string" && hasTemplate(current);
}

export function zodProblems(issues: readonly z.core.$ZodIssue[], base: (string | number)[]): RawProblem[] {
  const out: RawProblem[] = [];
  for (const issue of issues) {
    const path = [...base, ...(issue.path as (string | number)[])];
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) out.push({ path: [...path, key], message: "unknown field", key: true });
      continue;
    }
    out.push({ path, message: zodMessage(issue) });
  }
  return out;
}

/** zod's messages, minus their generic prefixes; a missing field says so. */
export function zodMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_key" && issue.issues[0]) return issue.issues[0].message;
  return issue.message
    .replace(/^(Invalid input|Invalid option|Too small|Too big): /, "")
    .replace(/^expected (.+), received undefined$/, "required field is missing (expected $1)");
}

/** Nearest known kind by edit distance, for "did you mean" hints on typos. */
function closest(kind: string, kinds: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 4;
  for (const k of kinds) {
    const d = editDistance(kind.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 4 || a.length > 64 || b.length > 64) return 99;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
