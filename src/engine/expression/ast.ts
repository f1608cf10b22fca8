// The expression language's syntax tree: literals, references into the run scope, and operators.

export type Literal = string | number | boolean | null;

export type Expr =
  | { type: "literal"; value: Literal }
  /** A dotted reference such as params.x or steps.fetch.outputs.offsets["orders-0"]. */
  | { type: "ref"; path: (string | number)[]; pos: number }
  | { type: "not"; operand: Expr }
  | { type: "logical"; op: "&&" | "||"; left: Expr; right: Expr }
  | { type: "compare"; op: CompareOp; left: Expr; right: Expr };

export type CompareOp = "==" | "!=" | "<" | "<=" | ">" | ">=";
