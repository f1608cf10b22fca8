// GET /v1/whoami — the caller's token name, roles and what they allow, so a client (the web page)
// offers only the commands the caller may use. The routes still check every command themselves.
import { Router } from "express";
import { hasRole } from "../../runs/principal.js";
import { principalOf, requireRole } from "../auth.js";
import type { components } from "../../contract/openapi.js";
import { noQuery } from "../schemas.js";
import { parseRequest } from "../validation.js";
import { ANY_ROLE } from "./roles.js";

type WhoAmI = components["schemas"]["WhoAmI"];

export function whoamiRoute(): Router {
  const r = Router();
  r.get("/whoami", requireRole(...ANY_ROLE), (req, res) => {
    parseRequest(noQuery, req.query, "query");
    const p = principalOf(res);
    const operator = hasRole(p, "operator");
    const approver = hasRole(p, "approver");
    const body: WhoAmI = {
      actor: p.name,
      roles: [...p.roles],
      can: {
        startDryRun: operator,
        startRealRun: operator,
        approve: approver,
        reject: approver,
        cancel: operator,
        retry: operator,
        skip: operator,
        revert: operator,
        manageSchedules: hasRole(p),
      },
    };
    res.json(body);
  });
  return r;
}
