// /v1/audit: filtered entries (by run, actor, action, time; paged by seq) and chain verification.
import { Router } from "express";
import { requireRole } from "../auth.js";
import type { ApiDeps } from "../deps.js";
import type { components } from "../generated/openapi.js";
import { auditQuery, noQuery } from "../schemas.js";
import { parseRequest } from "../validation.js";
import { ANY_ROLE } from "./roles.js";

type S = components["schemas"];

export function auditRoutes(deps: ApiDeps): Router {
  const r = Router();

  r.get("/audit", requireRole(...ANY_ROLE), async (req, res) => {
    const q = parseRequest(auditQuery, req.query, "query");
    const page = await deps.audit.query({
      ...(q.runId !== undefined ? { runId: q.runId } : {}),
      ...(q.actor !== undefined ? { actor: q.actor } : {}),
      ...(q.action !== undefined ? { action: q.action } : {}),
      ...(q.since !== undefined ? { since: new Date(q.since) } : {}),
      ...(q.until !== undefined ? { until: new Date(q.until) } : {}),
      ...(q.afterSeq !== undefined ? { afterSeq: q.afterSeq } : {}),
      limit: q.limit ?? 100,
    });
    res.json({ items: page.entries, nextAfterSeq: page.nextAfterSeq } satisfies S["AuditList"]);
  });

  r.get("/audit/verify", requireRole(...ANY_ROLE), async (req, res) => {
    parseRequest(noQuery, req.query, "query");
    const result = await deps.audit.verify();
    const body: S["AuditVerification"] = result.ok
      ? { ok: true, checked: result.entries, headHash: result.headHash }
      : {
          ok: false,
          checked: Math.max(0, result.brokenAt - 1),
          firstBroken: { seq: result.brokenAt, reason: result.reason },
        };
    res.json(body);
  });
  return r;
}
