// /v1/runs: list, get (JSON or text), report, and the commands (approve, reject, cancel, revert,
// retry, skip). Each route validates, calls one use case, and answers; errors go to the handler.
import { Router } from "express";
import { z } from "zod";
import { principalOf, requireRole } from "../auth.js";
import type { ApiDeps } from "../deps.js";
import { jsonBody } from "../json-body.js";
import { untilSettled } from "../long-poll.js";
import { wantsText } from "../negotiate.js";
import { renderRunListText, renderRunText } from "../render/run-text.js";
import { renderReportHtml } from "../render/report-html.js";
import { buildReport } from "../../runs/run-report.js";
import { reportFormat } from "../negotiate.js";
import { renderReportText } from "../render/report-text.js";
import {
  approveBody,
  cancelBody,
  idempotencyKeySchema,
  listRunsQuery,
  noQuery,
  reasonBody,
  rejectBody,
  revertBody,
  runIdSchema,
  stepIdSchema,
} from "../schemas.js";
import { parseRequest } from "../validation.js";
import { ANY_ROLE } from "./roles.js";

const idParams = z.strictObject({ id: runIdSchema });
/** ?wait=<seconds>: long poll until the run finished or waits for approval (see long-poll.ts). */
const getRunQuery = z.strictObject({ wait: z.coerce.number().int().min(0).max(60).optional() });
const stepParams = z.strictObject({ id: runIdSchema, stepId: stepIdSchema });
const idempotencyHeader = z.object({ "idempotency-key": idempotencyKeySchema.optional() });

export function runRoutes(deps: ApiDeps): Router {
  const r = Router();
  const body = jsonBody(deps.service.limits.bodyBytes);

  r.get("/runs", requireRole(...ANY_ROLE), async (req, res) => {
    const q = parseRequest(listRunsQuery, req.query, "query");
    const text = wantsText(req);
    const limit = Math.min(q.limit ?? 50, deps.service.limits.maxListLimit);
    const items = await deps.runs.list({ ...q, limit }, Math.max(limit, 1_000));
    if (text) res.type("text/plain").send(renderRunListText(items));
    else res.json({ items });
  });

  r.get("/runs/:id", requireRole(...ANY_ROLE), async (req, res) => {
    const { id } = parseRequest(idParams, req.params, "params");
    const { wait } = parseRequest(getRunQuery, req.query, "query");
    const text = wantsText(req);
    await deps.runs.record(id);
    if (wait) {
      const gone = new AbortController();
      res.on("close", () => gone.abort());
      await untilSettled(async () => (await deps.runs.record(id)).run.state, wait, gone.signal);
    }
    const { run, meta } = await deps.runs.record(id);
    const view = await deps.runs.get(id);
    if (text) res.type("text/plain").send(renderRunText(run, meta, Date.now(), view.approval));
    else {
      // A run nobody will drive says so, instead of sitting in queued/running without a word.
      if ((view.state === "queued" || view.state === "running") && (await noWorker(deps))) {
        view.waiting = "no worker is connected to the run queue: this run starts when one does";
      }
      res.json(view);
    }
  });

  r.get("/runs/:id/report", requireRole(...ANY_ROLE), async (req, res) => {
    const { id } = parseRequest(idParams, req.params, "params");
    parseRequest(noQuery, req.query, "query");
    const format = reportFormat(req);
    const { run, meta } = await deps.runs.record(id);
    const report = buildReport(
      run,
      meta,
      await deps.events.range(id, undefined, 5_000),
      await deps.schedules.comparisonOf(id),
    );
    if (format === "text") res.type("text/plain").send(renderReportText(report));
    else if (format === "html") res.type("text/html").send(renderReportHtml(report));
    else res.json(report);
  });

  r.post("/runs/:id/approve", requireRole("approver"), ...body, async (req, res) => {
    const { id } = parseRequest(idParams, req.params, "params");
    const input = parseRequest(approveBody, req.body, "body");
    res.json(await deps.runs.approve(principalOf(res), id, input));
  });

  r.post("/runs/:id/reject", requireRole("approver"), ...body, async (req, res) => {
    const { id } = parseRequest(idParams, req.params, "params");
    const { comment } = parseRequest(rejectBody, req.body, "body");
    res.json(await deps.runs.reject(principalOf(res), id, comment));
  });

  r.post("/runs/:id/cancel", requireRole("operator"), ...body, async (req, res) => {
    const { id } = parseRequest(idParams, req.params, "params");
    const { reason } = parseRequest(cancelBody, req.body, "body");
    res.json(await deps.runs.cancel(principalOf(res), id, reason));
  });

  r.post("/runs/:id/revert", requireRole("operator"), ...body, async (req, res) => {
    const { id } = parseRequest(idParams, req.params, "params");
    const input = parseRequest(revertBody, req.body, "body");
    const headers = parseRequest(idempotencyHeader, req.headers, "headers");
    const started = await deps.runs.revert(principalOf(res), id, input, headers["idempotency-key"]);
    if (started.replayed) res.set("Idempotent-Replayed", "true");
    res.status(202).location(`/v1/runs/${started.run.id}`).json(started.run);
  });

  r.post("/runs/:id/retry", requireRole("operator"), ...body, async (req, res) => {
    const { id } = parseRequest(idParams, req.params, "params");
    const { reason } = parseRequest(reasonBody, req.body, "body");
    res.status(202).json(await deps.runs.retry(principalOf(res), id, reason));
  });

  r.post("/runs/:id/steps/:stepId/skip", requireRole("operator"), ...body, async (req, res) => {
    const { id, stepId } = parseRequest(stepParams, req.params, "params");
    const { reason } = parseRequest(reasonBody, req.body, "body");
    res.json(await deps.runs.skip(principalOf(res), id, stepId, reason));
  });

  return r;
}

async function noWorker(deps: ApiDeps): Promise<boolean> {
  return (await deps.liveWorkers().catch(() => 1)) === 0;
}
