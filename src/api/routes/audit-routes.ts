// /v1/audit: filtered entries (by run, actor, action, time; paged by seq) and chain verification.
import { Router } from "express";
import { requireRole } from "../auth.js";
import type { Principal } from "../../runs/principal.js";
import { ErrorCode, SwitchoverError } from "../../engine/errors.js";
import type { ApiDeps } from "../deps.js";
import type { components } from "../../contract/openapi.js";
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
    // The file first: a chain that verifies on its own can still be one Redis restarted or forked.
    const lost = await deps.integrity?.check();
    const result = await deps.audit.verify();
    const body: S["AuditVerification"] = result.ok
      ? { ok: true, checked: result.entries, headHash: result.headHash }
      : {
          ok: false,
          checked: Math.max(0, result.brokenAt - 1),
          firstBroken: { seq: result.brokenAt, reason: result.reason },
        };
    if (lost) {
      body.ok = false;
      body.stateLost = lost;
      body.firstBroken ??= { seq: lost.seq ?? Math.max(1, lost.redisHead + 1), reason: lost.detail };
    }
    res.json(body);
  });

  r.post("/audit/restore", requireRole("admin"), async (req, res) => {
    parseRequest(noQuery, req.query, "query");
    if (!deps.integrity)
      throw new SwitchoverError(ErrorCode.NotFound, "this process keeps no audit file to restore from");
    const who = res.locals.principal as Principal;
    const { condition, head, imported, displaced, displacedKey, entry } = await deps.integrity.restore(
      who.name,
    );
    const body: S["AuditRestore"] = {
      condition,
      head,
      imported,
      displaced,
      ...(displacedKey ? { displacedKey } : {}),
      entry,
    };
    res.json(body);
  });
  return r;
}
