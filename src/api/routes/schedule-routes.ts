// /v1/schedules: list (any role), create or replace and delete (admin). Changes are audited.
import { Router } from "express";
import { z } from "zod";
import { resolveParams } from "../../engine/runbook/params.js";
import { principalOf, requireRole } from "../auth.js";
import type { ApiDeps } from "../deps.js";
import { jsonBody } from "../json-body.js";
import { ErrorCode, SwitchoverError } from "../../engine/errors.js";
import { noQuery, scheduleBody, scheduleIdSchema } from "../schemas.js";
import { parseRequest } from "../validation.js";
import { ANY_ROLE } from "./roles.js";

const idParams = z.strictObject({ scheduleId: scheduleIdSchema });

export function scheduleRoutes(deps: ApiDeps): Router {
  const r = Router();

  r.get("/schedules", requireRole(...ANY_ROLE), async (req, res) => {
    parseRequest(noQuery, req.query, "query");
    res.json({ items: await deps.schedules.list() });
  });

  r.post("/schedules", requireRole("admin"), ...jsonBody(deps.service.limits.bodyBytes), async (req, res) => {
    parseRequest(noQuery, req.query, "query");
    const spec = parseRequest(scheduleBody, req.body, "body");
    // The schedule is stored before its audit entry: refuse before either on a store that lost state.
    deps.integrity?.assertIntact();
    // Refuse now what would fail at every firing: unknown runbook, bad params.
    const runbook = await deps.runs.runbook(spec.runbook);
    resolveParams(runbook.params, spec.params);
    const who = principalOf(res);
    const schedule = await deps.schedules.upsert(spec, who.name);
    await deps.audit.append({ actor: who.name, action: "schedule.upserted", data: { ...spec } });
    res.status(201).location(`/v1/schedules/${spec.id}`).json(schedule);
  });

  r.delete("/schedules/:scheduleId", requireRole("admin"), async (req, res) => {
    const { scheduleId } = parseRequest(idParams, req.params, "params");
    parseRequest(noQuery, req.query, "query");
    deps.integrity?.assertIntact();
    if (!(await deps.schedules.remove(scheduleId)))
      throw new SwitchoverError(ErrorCode.NotFound, `schedule ${scheduleId} not found`);
    await deps.audit.append({
      actor: principalOf(res).name,
      action: "schedule.deleted",
      data: { id: scheduleId },
    });
    res.status(204).end();
  });
  return r;
}
