// `${{ ... }}` inside runbook strings: find them, validate them, and resolve a whole input tree.
// A string that is exactly one expression takes the expression's type (a number stays a number);
// expressions embedded in longer text are rendered into the string.
import type { Expr } from "./ast.js";
import { evaluateExpression } from "./evaluate-expression.js";
import type { ExpressionScope, ScopeValue } from "./evaluate-expression.js";
import { ExpressionError, parseExpression } from "./parse-expression.js";

const MAX_EXPRESSIONS_PER_STRING = 16;
const OPEN = "${{";
const CLOSE = "}}";

export interface TemplatePart {
  /** Offset of `${{` inside the string, for precise locations. */
  offset: number;
  source: string;
}

export function hasTemplate(text: string): boolean {
  return text.includes(OPEN);
}

/** Splits a string into literal text and expression sources; throws on unbalanced `${{`. */
export function scanTemplate(text: string): { literals: string[]; parts: TemplatePart[] } {
  const literals: string[] = [];
  const parts: TemplatePart[] = [];
  let i = 0;
  for (;;) {
    const open = text.indexOf(OPEN, i);
    if (open < 0) {
      literals.push(text.slice(i));
      return { literals, parts };
    }
    const close = text.indexOf(CLOSE, open + OPEN.length);
    if (close < 0) throw new ExpressionError(`"\${{" at offset ${open} is never closed by "}}"`, text, open);
    if (parts.length >= MAX_EXPRESSIONS_PER_STRING) {
      throw new ExpressionError(`more than ${MAX_EXPRESSIONS_PER_STRING} expressions in one string`, text);
    }
    literals.push(text.slice(i, open));
    parts.push({ offset: open, source: text.slice(open + OPEN.length, close).trim() });
    i = close + CLOSE.length;
  }
}

export function parseTemplate(text: string): { literals: string[]; exprs: Expr[]; parts: TemplatePart[] } {
  const { literals, parts } = scanTemplate(text);
  return { literals, parts, exprs: parts.map((p) => parseExpression(p.source)) };
}

export function resolveString(text: string, scope: ExpressionScope): ScopeValue {
  if (!hasTemplate(text)) return text;
  const { literals, exprs, parts } = parseTemplate(text);
  if (exprs.length === 1 && literals[0] === "" && literals[1] === "") {
    return evaluateExpression(exprs[0]!, scope, parts[0]!.source);
  }
  let out = literals[0] ?? "";
  exprs.forEach((e, k) => {
    const v = evaluateExpression(e, scope, parts[k]!.source);
    out += (typeof v === "string" ? v : JSON.stringify(v)) + (literals[k + 1] ?? "");
  });
  return out;
}

/** Resolves every string in a JSON-shaped tree; keys are never templated. */
export function resolveTree(value: unknown, scope: ExpressionScope): unknown {
  if (typeof value === "string") return resolveString(value, scope);
  if (Array.isArray(value)) return value.map((v) => resolveTree(v, scope));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveTree(v, scope);
    return out;
  }
  return value;
}
