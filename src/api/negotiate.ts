// Content negotiation for endpoints with a terminal rendering: JSON unless text/plain is preferred;
// 406 when the client accepts neither.
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
