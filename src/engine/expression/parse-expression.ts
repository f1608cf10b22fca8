// Parser for the `${{ ... }}` language. Hand-written on purpose: runbooks come from people and from
// HTTP bodies, so evaluation must never reach eval/Function or a general-purpose JS interpreter; a
// small recursive-descent parser lets us bound length, token count and nesting before any work is
// done, and its grammar (references, literals, comparisons, ! && ||, parentheses) is all there is.
import { ErrorCode, SwitchoverError } from "../errors.js";
import type { CompareOp, Expr, Literal } from "./ast.js";

export const EXPRESSION_LIMITS = { maxLength: 1_024, maxTokens: 256, maxDepth: 32, maxPathSegments: 16 };

/** Names that would reach an object's prototype machinery are never valid path segments. */
const FORBIDDEN_SEGMENTS = new Set(["__proto__", "prototype", "constructor"]);

type Token =
  | { kind: "ident"; text: string; pos: number }
  | { kind: "number"; value: number; pos: number }
  | { kind: "string"; value: string; pos: number }
  | { kind: "op"; text: string; pos: number }
  | { kind: "end"; pos: number };

export class ExpressionError extends SwitchoverError {
  constructor(
    message: string,
    readonly source: string,
    readonly pos?: number,
  ) {
    super(ErrorCode.Expression, message, { details: pos === undefined ? {} : { position: pos } });
    this.name = "ExpressionError";
  }
}

const OPERATORS = ["==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "(", ")", ".", "[", "]"];

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (msg: string, at: number): never => {
    throw new ExpressionError(`${msg} at column ${at + 1}`, src, at);
  };
  while (i < src.length) {
    if (tokens.length >= EXPRESSION_LIMITS.maxTokens) {
      fail(`expression has more than ${EXPRESSION_LIMITS.maxTokens} tokens`, i);
    }
    const c = src[i] ?? "";
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const start = i;
      while (i < src.length && /[A-Za-z0-9_-]/.test(src[i] ?? "")) i++;
      tokens.push({ kind: "ident", text: src.slice(start, i), pos: start });
      continue;
    }
    if (/[0-9]/.test(c) || (c === "-" && /[0-9]/.test(src[i + 1] ?? ""))) {
      const m = /^-?(?:0|[1-9][0-9]{0,15})(?:\.[0-9]{1,15})?/.exec(src.slice(i, i + 40));
      if (!m) fail("malformed number", i);
      tokens.push({ kind: "number", value: Number(m![0]), pos: i });
      i += m![0].length;
      if (/[A-Za-z0-9_.]/.test(src[i] ?? "") && src[i] !== ".") fail("malformed number", i);
      continue;
    }
    if (c === "'" || c === '"') {
      const start = i;
      let value = "";
      i++;
      for (;;) {
        if (i >= src.length) fail("unterminated string", start);
        const ch = src[i] ?? "";
        if (ch === c) break;
        if (ch === "\\") {
          const next = src[i + 1] ?? "";
          if (next !== c && next !== "\\") fail(`unsupported escape \\${next}`, i);
          value += next;
          i += 2;
          continue;
        }
        value += ch;
        i++;
      }
      i++;
      tokens.push({ kind: "string", value, pos: start });
      continue;
    }
    const op = OPERATORS.find((o) => src.startsWith(o, i));
    if (!op) fail(`unexpected character ${JSON.stringify(c)}`, i);
    tokens.push({ kind: "op", text: op!, pos: i });
    i += op!.length;
  }
  tokens.push({ kind: "end", pos: src.length });
  return tokens;
}

class Parser {
  private i = 0;
  private depth = 0;
  constructor(
    private readonly src: string,
    private readonly tokens: Token[],
  ) {}

  parse(): Expr {
    const expr = this.or();
    const t = this.peek();
    if (t.kind !== "end") this.fail(`unexpected ${describe(t)}`, t.pos);
    return expr;
  }

  private peek(): Token {
    return this.tokens[this.i] ?? { kind: "end", pos: this.src.length };
  }
  private next(): Token {
    const t = this.peek();
    this.i++;
    return t;
  }
  private isOp(text: string): boolean {
    const t = this.peek();
    return t.kind === "op" && t.text === text;
  }
  private fail(msg: string, pos: number): never {
    throw new ExpressionError(`${msg} at column ${pos + 1}`, this.src, pos);
  }
  private enter(pos: number): void {
    if (++this.depth > EXPRESSION_LIMITS.maxDepth) {
      this.fail(`expression nests deeper than ${EXPRESSION_LIMITS.maxDepth} levels`, pos);
    }
  }

  private or(): Expr {
    let left = this.and();
    while (this.isOp("||")) {
      this.next();
      left = { type: "logical", op: "||", left, right: this.and() };
    }
    return left;
  }
  private and(): Expr {
    let left = this.not();
    while (this.isOp("&&")) {
      this.next();
      left = { type: "logical", op: "&&", left, right: this.not() };
    }
    return left;
  }
  private not(): Expr {
    if (this.isOp("!")) {
      const t = this.next();
      this.enter(t.pos);
      const operand = this.not();
      this.depth--;
      return { type: "not", operand };
    }
    return this.compare();
  }
  private compare(): Expr {
    const left = this.primary();
    const t = this.peek();
    if (t.kind === "op" && ["==", "!=", "<", "<=", ">", ">="].includes(t.text)) {
      this.next();
      const right = this.primary();
      const after = this.peek();
      if (after.kind === "op" && ["==", "!=", "<", "<=", ">", ">="].includes(after.text)) {
        this.fail("comparisons cannot be chained; use && between them", after.pos);
      }
      return { type: "compare", op: t.text as CompareOp, left, right };
    }
    return left;
  }
  private primary(): Expr {
    const t = this.next();
    switch (t.kind) {
      case "number":
        return { type: "literal", value: t.value };
      case "string":
        return { type: "literal", value: t.value };
      case "ident": {
        const keyword = KEYWORDS.get(t.text);
        if (keyword !== undefined) return { type: "literal", value: keyword.value };
        return this.reference(t.text, t.pos);
      }
      case "op":
        if (t.text === "(") {
          this.enter(t.pos);
          const inner = this.or();
          this.depth--;
          if (!this.isOp(")")) this.fail(`expected ")" but found ${describe(this.peek())}`, this.peek().pos);
          this.next();
          return inner;
        }
        return this.fail(`unexpected ${describe(t)}`, t.pos);
      case "end":
        return this.fail("expression ended early", t.pos);
    }
  }
  private reference(root: string, pos: number): Expr {
    const path: (string | number)[] = [root];
    for (;;) {
      if (this.isOp(".")) {
        this.next();
        const seg = this.next();
        if (seg.kind !== "ident") this.fail(`expected a name after "." but found ${describe(seg)}`, seg.pos);
        path.push((seg as { text: string }).text);
      } else if (this.isOp("[")) {
        this.next();
        const seg = this.next();
        if (seg.kind === "string") path.push(seg.value);
        else if (seg.kind === "number" && Number.isInteger(seg.value) && seg.value >= 0) path.push(seg.value);
        else this.fail(`expected a string or index inside [] but found ${describe(seg)}`, seg.pos);
        if (!this.isOp("]")) this.fail(`expected "]" but found ${describe(this.peek())}`, this.peek().pos);
        this.next();
      } else break;
      if (path.length > EXPRESSION_LIMITS.maxPathSegments) {
        this.fail(`reference is longer than ${EXPRESSION_LIMITS.maxPathSegments} segments`, pos);
      }
    }
    for (const seg of path) {
      if (typeof seg === "string" && FORBIDDEN_SEGMENTS.has(seg)) this.fail(`"${seg}" is not allowed`, pos);
    }
    return { type: "ref", path, pos };
  }
}

const KEYWORDS = new Map<string, { value: Literal }>([
  ["true", { value: true }],
  ["false", { value: false }],
  ["null", { value: null }],
]);

function describe(t: Token): string {
  switch (t.kind) {
    case "ident":
      return `"${t.text}"`;
    case "number":
      return `number ${t.value}`;
    case "string":
      return "string";
    case "op":
      return `"${t.text}"`;
    case "end":
      return "end of expression";
  }
}

export function parseExpression(src: string): Expr {
  if (src.length > EXPRESSION_LIMITS.maxLength) {
    throw new ExpressionError(`expression is longer than ${EXPRESSION_LIMITS.maxLength} characters`, src);
  }
  if (src.trim() === "") throw new ExpressionError("expression is empty", src, 0);
  return new Parser(src, tokenize(src)).parse();
}

/** Every reference an expression makes, for validation before anything runs. */
export function references(expr: Expr): { path: (string | number)[]; pos: number }[] {
  switch (expr.type) {
    case "literal":
      return [];
    case "ref":
      return [{ path: expr.path, pos: expr.pos }];
    case "not":
      return references(expr.operand);
    case "logical":
    case "compare":
      return [...references(expr.left), ...references(expr.right)];
  }
}
