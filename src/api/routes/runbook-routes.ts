// /v1/runbooks: list, get (with the parameter schema), validate a posted document, start a run.
import express, { Router } from "express";
import type { ParamSpec, ParamValue } from "../../engine/runbook/model.js";
import { formatProblem } from "../../engine/runbook/problem.js";
import { principalOf, requireRole } from "../auth.js";
import type { ApiDeps } from "../deps.js";
import type { components } from "../../contract/openapi.js";
import { jsonBody } from "../json-body.js";
import { wantsText } from "../negotiate.js";
import { ApiProblem, ProblemType } from "../problem.js";
import { previewTargets } from "../../runs/run-targets.js";
import { idempotencyKeySchema, noQuery, runbookNameSchema, startRunBody } from "../schemas.js";
import { parseRequest } from "../validation.js";
import { z } from "zod";
import { ANY_ROLE } from "./roles.js";

type S = components["schemas"];

const RUNBOOK_MEDIA = [
  "application/yaml",
  "application/x-yaml",
  "text/yaml",
  "application/json",
  "text/plain",
];

/** Param defaults: what a run without params would lock. */
function defaults(params: Record<string, ParamSpec>): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (const [name, spec] of Object.entries(params)) if (spec.default !== undefined) out[name] = spec.default;
  return out;
}

function paramsSchema(params: Record<string, ParamSpec>): S["ParamSchema"] {
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (const [name, spec] of Object.entries(params)) {
    const schema: Record<string, unknown> =
      spec.type === "string[]"
        ? { type: "array", items: { type: "string" } }
        : spec.type === "duration"
          ? { type: "string", format: "duration", pattern: "^(\\d+(ms|s|m|h|d))+$" }
          : { type: spec.type };
    if (spec.description !== undefined) schema.description = spec.description;
    if (spec.default !== undefined) schema.default = spec.default;
    if (spec.enum !== undefined) {
      if (spec.type === "string[]") (schema.items as Record<string, unknown>).enum = spec.enum;
      else schema.enum = spec.enum;
    }
    properties[name] = schema;
    if (spec.required && spec.default === undefined) required.push(name);
  }
  return { type: "object", properties, required, additionalProperties: false };
}

const idempotencyHeader = z.object({ "idempotency-key": idempotencyKeySchema.optional() });

export function runbookRoutes(deps: ApiDeps): Router {
  const r = Router();
  const name = z.object({ name: runbookNameSchema });

  r.get("/runbooks", requireRole(...ANY_ROLE), async (req, res) => {
    parseRequest(noQuery, req.query, "query");
    const items = (await deps.runbooks.list()).map((e) => {
      const item: S["RunbookSummary"] = { name: e.name, file: e.file, valid: e.valid };
      if (e.runbook) {
        if (e.runbook.metadata.description !== undefined) item.description = e.runbook.metadata.description;
        item.labels = e.runbook.metadata.labels;
        item.steps = e.runbook.steps.length;
      }
      if (e.problems.length > 0) item.problems = e.problems;
      return item;
    });
    res.json({ items } satisfies S["RunbookList"]);
  });

  r.post(
    "/runbooks/validate",
    requireRole(...ANY_ROLE),
    (req, _res, next) => {
      if (!req.is(RUNBOOK_MEDIA)) {
        return next(
          new ApiProblem(
            415,
            ProblemType.UnsupportedMediaType,
            "Unsupported media type",
            `send the runbook as ${RUNBOOK_MEDIA.join(", ")}`,
          ),
        );
      }
      next();
    },
    express.text({ type: RUNBOOK_MEDIA, limit: deps.service.limits.runbookBytes }),
    async (req, res) => {
      parseRequest(noQuery, req.query, "query");
      const text = typeof req.body === "string" ? req.body : "";
      const result = await deps.validator.validate(text, "<request>");
      const body: S["ValidationResult"] = result.ok
        ? { valid: true, problems: [], name: result.name, steps: result.steps }
        : { valid: false, problems: result.problems };
      if (wantsText(req)) {
        res
          .type("text/plain")
          .send(
            result.ok
              ? `valid: ${body.name} (${body.steps} steps)\n`
              : `${result.problems.map(formatProblem).join("\n")}\n${result.problems.length} problem(s)\n`,
          );
        return;
      }
      res.json(body);
    },
  );

  r.get("/runbooks/:name", requireRole(...ANY_ROLE), async (req, res) => {
    const { name: n } = parseRequest(name, req.params, "params");
    parseRequest(noQuery, req.query, "query");
    const runbook = await deps.runs.runbook(n);
    const entry = (await deps.runbooks.get(n))!;
    const body: S["RunbookDetail"] = {
      name: n,
      file: entry.file,
      labels: runbook.metadata.labels,
      paramsSchema: paramsSchema(runbook.params),
      targets: previewTargets(runbook, defaults(runbook.params), deps.steps, deps.universe),
      steps: runbook.steps.map((s) => {
        const step: S["RunbookDetail"]["steps"][number] = {
          id: s.id,
          uses: s.uses,
          approval: s.approval !== undefined,
        };
        if (s.name !== undefined) step.name = s.name;
        if (s.when !== undefined) step.when = s.when;
        return step;
      }),
    };
    if (runbook.metadata.description !== undefined) body.description = runbook.metadata.description;
    res.json(body);
  });

  r.post(
    "/runbooks/:name/runs",
    requireRole("operator"),
    ...jsonBody(deps.service.limits.bodyBytes),
    async (req, res) => {
      const { name: n } = parseRequest(name, req.params, "params");
      parseRequest(noQuery, req.query, "query");
      const body = parseRequest(startRunBody, req.body, "body");
      const key = parseRequest(idempotencyHeader, req.headers, "headers")["idempotency-key"];
      const started = await deps.runs.startRun(principalOf(res), n, body, {
        trigger: "api",
        ...(key !== undefined ? { idempotencyKey: key } : {}),
      });
      if (started.replayed) res.set("Idempotent-Replayed", "true");
      res.status(202).location(`/v1/runs/${started.run.id}`).json(started.run);
    },
  );
  return r;
}
