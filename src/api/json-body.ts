// Strict JSON bodies: only application/json (UTF-8), only objects, within the size limit. An empty
// body reads as {} so commands whose fields are all optional need none.
import express from "express";
import type { RequestHandler } from "express";
import { ApiProblem, ProblemType } from "./problem.js";

function hasBody(headers: Record<string, string | string[] | undefined>): boolean {
  const length = headers["content-length"];
  if (headers["transfer-encoding"] !== undefined) return true;
  return length !== undefined && length !== "0";
}

export function jsonBody(limitBytes: number): RequestHandler[] {
  const guard: RequestHandler = (req, _res, next) => {
    if (!hasBody(req.headers)) {
      req.body = {};
      return next();
    }
    if (!req.is("application/json")) {
      return next(
        new ApiProblem(
          415,
          ProblemType.UnsupportedMediaType,
          "Unsupported media type",
          `send the body as application/json (got ${String(req.headers["content-type"] ?? "none").slice(0, 100)})`,
        ),
      );
    }
    next();
  };
  const parse = express.json({ limit: limitBytes, strict: true, type: "application/json" });
  const objectOnly: RequestHandler = (req, _res, next) => {
    const body: unknown = req.body;
    if (body === undefined) req.body = {};
    else if (typeof body !== "object" || body === null || Array.isArray(body)) {
      return next(
        ApiProblem.validation("the body must be a JSON object", [
          { path: "body", message: "expected object" },
        ]),
      );
    }
    next();
  };
  return [guard, parse, objectOnly];
}
