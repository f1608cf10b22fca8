// Validates request parts against zod schemas and turns every issue into a located field error
// (`body.params.topic`, `query.limit`), so one 422 names all that is wrong.
import type { z } from "zod";
import { ApiProblem } from "./problem.js";
import type { FieldError } from "./problem.js";

function joinPath(prefix: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, p) => (typeof p === "number" ? `${acc}[${p}]` : `${acc}.${String(p)}`),
    prefix,
  );
}

export function issuesToErrors(prefix: string, issues: readonly z.core.$ZodIssue[]): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        out.push({ path: joinPath(prefix, [...issue.path, key]), message: "unknown field" });
      }
      continue;
    }
    out.push({ path: joinPath(prefix, issue.path), message: issue.message });
  }
  return out;
}

export type RequestPart = "body" | "query" | "params" | "headers";

/** Parses value or throws a 422 problem listing every failing path. */
export function parseRequest<T>(schema: z.ZodType<T>, value: unknown, part: RequestPart): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors = issuesToErrors(part, result.error.issues);
  const summary = errors
    .slice(0, 5)
    .map((e) => `${e.path}: ${e.message}`)
    .join("; ");
  throw ApiProblem.validation(`invalid ${part}: ${summary}${errors.length > 5 ? "; …" : ""}`, errors);
}
