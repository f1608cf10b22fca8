// Content negotiation for endpoints with a terminal rendering: JSON unless text/plain (or, for the
// report, text/html) is preferred; 406 when the client accepts none of them.
import type { Request } from "express";
import { ApiProblem, ProblemType } from "./problem.js";

export function wantsText(req: Request): boolean {
  const choice = req.accepts(["application/json", "text/plain"]);
  if (choice === false) {
    throw new ApiProblem(
      406,
      ProblemType.NotAcceptable,
      "Not acceptable",
      "this resource is available as application/json or text/plain",
    );
  }
  return choice === "text/plain";
}

/** The report's representation from Accept: json (default), text or html; 406 for anything else. */
export function reportFormat(req: Request): "json" | "text" | "html" {
  const choice = req.accepts(["application/json", "text/plain", "text/html"]);
  if (choice === false) {
    throw new ApiProblem(
      406,
      ProblemType.NotAcceptable,
      "Not acceptable",
      "the report is available as application/json, text/plain or text/html",
    );
  }
  return choice === "text/plain" ? "text" : choice === "text/html" ? "html" : "json";
}
