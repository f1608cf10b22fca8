// Evaluates a parsed expression against a run's scope (params, step outputs, run facts). Lookups use
// own properties only, so nothing outside the JSON data in scope can be reached.
import type { Expr } from "./ast.js";
import { ExpressionError } from "./parse-expression.js";

export type ScopeValue = string | number | boolean | null | ScopeValue[] | { [key: string]: ScopeValue };

export interface ExpressionScope {
  params: Record<string, ScopeValue>;
  steps: Record<string, { state: string; outputs: Record<string, ScopeValue> }>;
  run: { id: string; dryRun: boolean; runbook: string };
  /** The environment's secrets a step's `with` references, read as it runs (never stored). */
  secrets?: Record<string, string>;
  /** What a polling step last read (the `wait` step's `until` conditions). */
  read?: ScopeValue;
}

export function evaluateExpression(expr: Expr, scope: ExpressionScope, source = ""): ScopeValue {
  switch (expr.type) {
    case "literal":
      return expr.value;
    case "ref":
      return lookup(expr.path, scope, source, expr.pos);
    case "not":
      return !truthy(evaluateExpression(expr.operand, scope, source));
    case "logical": {
      // Operands, not booleans, come back (as in GitHub Actions): `params.x || 'default'` and
      // `cond && 'a' || 'b'` work; conditions still go through truthy().
      const left = evaluateExpression(expr.left, scope, source);
      if (expr.op === "&&") return truthy(left) ? evaluateExpression(expr.right, scope, source) : left;
      return truthy(left) ? left : evaluateExpression(expr.right, scope, source);
    }
    case "compare": {
      const l = evaluateExpression(expr.left, scope, source);
      const r = evaluateExpression(expr.right, scope, source);
      switch (expr.op) {
        case "==":
          return equal(l, r);
        case "!=":
          return !equal(l, r);
        case "<":
        case "<=":
        case ">":
        case ">=":
          return order(expr.op, l, r, source);
      }
    }
  }
}

/** Truthiness is explicit: false, null, 0, "" and empty lists are false; everything else is true. */
export function truthy(v: ScopeValue): boolean {
  if (Array.isArray(v)) return v.length > 0;
  return v !== false && v !== null && v !== 0 && v !== "";
}

function equal(a: ScopeValue, b: ScopeValue): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

function order(op: "<" | "<=" | ">" | ">=", l: ScopeValue, r: ScopeValue, source: string): boolean {
  const bothNumbers = typeof l === "number" && typeof r === "number";
  const bothStrings = typeof l === "string" && typeof r === "string";
  if (!bothNumbers && !bothStrings) {
    // No coercion: "10" < 9 is a runbook mistake worth stopping on, not a silent false.
    throw new ExpressionError(`cannot compare ${typeName(l)} ${op} ${typeName(r)}`, source);
  }
  const a = l;
  const b = r;
  switch (op) {
    case "<":
      return a < b;
    case "<=":
      return a <= b;
    case ">":
      return a > b;
    case ">=":
      return a >= b;
  }
}

function typeName(v: ScopeValue): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "list";
  return typeof v;
}

function lookup(path: (string | number)[], scope: ExpressionScope, source: string, pos: number): ScopeValue {
  let current: unknown = scope;
  const walked: string[] = [];
  for (const seg of path) {
    const label = typeof seg === "number" ? `[${seg}]` : walked.length ? `.${seg}` : seg;
    const reachable =
      current !== null &&
      typeof current === "object" &&
      // Lists are indexed by number only: no .length or other array machinery.
      (Array.isArray(current) ? typeof seg === "number" : typeof seg === "string") &&
      Object.hasOwn(current, seg);
    if (!reachable) {
      throw new ExpressionError(`${walked.join("")}${label} is not defined`, source, pos);
    }
    current = (current as Record<string | number, unknown>)[seg];
    walked.push(label);
  }
  if (current === undefined) throw new ExpressionError(`${walked.join("")} is not defined`, source, pos);
  return current as ScopeValue;
}
