// Runbook pre-flight: POST /v1/runbooks/{name}/evaluate (params as a run takes them) and the latest
// kept evaluations, GET /v1/evaluations.
import { Router } from "express";
import { z } from "zod";
import { requireRole } from "../auth.js";
import type { ApiDeps } from "../deps.js";
import type { components } from "../../contract/openapi.js";
import { jsonBody } from "../json-body.js";
import { ErrorCode, SwitchoverError } from "../../engine/errors.js";
import { noQuery, paramsSchema, runbookNameSchema } from "../schemas.js";
import { parseRequest } from "../validation.js";
import { ANY_ROLE } from "./roles.js";

type S = components["schemas"];

const evaluateBody = z.strictObject({ params: paramsSchema.optional() }) satisfies z.ZodType<
  S["EvaluateRequest"]
>;

export function evaluationRoutes(deps: ApiDeps): Router {
  const r = Router();
  const name = z.object({ name: runbookNameSchema });

  r.post(
    "/runbooks/:name/evaluate",
    requireRole(...ANY_ROLE),
    ...jsonBody(deps.service.limits.bodyBytes),
    async (req, res) => {
      const { name: n } = parseRequest(name, req.params, "params");
      parseRequest(noQuery, req.query, "query");
      const body = parseRequest(evaluateBody, req.body, "body");
      if (!deps.evaluations)
        throw new SwitchoverError(ErrorCode.NotFound, "evaluation is not available in this process");
      const runbook = await deps.runs.runbook(n);
      const closed = new AbortController();
      res.on("close", () => closed.abort());
      const result = await deps.evaluations.evaluate(runbook, body.params, closed.signal);
      res.json(result satisfies S["RunbookEvaluation"]);
    },
  );

  r.get("/evaluations", requireRole(...ANY_ROLE), (req, res) => {
    parseRequest(noQuery, req.query, "query");
    res.json({ items: deps.evaluations?.latest() ?? [] } satisfies S["EvaluationList"]);
  });
  return r;
}
