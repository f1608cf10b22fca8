// A validation problem with its place in the source: "file:line:col path: message".

export interface Problem {
  file: string;
  line: number;
  col: number;
  /** Path in the document, e.g. steps[2].with.topics; "" for the document itself. */
  path: string;
  message: string;
}

export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}:${p.col} ${p.path || "(document)"}: ${p.message}`;
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, p) => (typeof p === "number" ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)),
    "",
  );
}
