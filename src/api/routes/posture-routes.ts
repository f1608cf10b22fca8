// /v1/posture: the DR posture of a cluster (?cluster=) or a replicated pair (?pair=), JSON or text.
import { Router } from "express";
import { z } from "zod";
import { requireRole } from "../auth.js";
import type { ApiDeps } from "../deps.js";
import { wantsText } from "../negotiate.js";
import { ErrorCode, SwitchoverError } from "../../engine/errors.js";
import { parseRequest } from "../validation.js";
import { renderPosture } from "../../posture/render-posture.js";
import { ANY_ROLE } from "./roles.js";

const targetName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "lowercase letters, digits and '-', at most 63 characters");

const postureQuery = z
  .strictObject({ cluster: targetName.optional(), pair: targetName.optional() })
  .check((ctx) => {
    if ((ctx.value.cluster === undefined) === (ctx.value.pair === undefined)) {
      ctx.issues.push({
        code: "custom",
        input: ctx.value,
        path: [],
        message: "give exactly one of cluster or pair",
      });
    }
  });

/** A report reads many partitions; a hung cluster must not hold the request forever. */
const POSTURE_TIMEOUT_MS = 60_000;

export function postureRoutes(deps: ApiDeps): Router {
  const r = Router();
  r.get("/posture", requireRole(...ANY_ROLE), async (req, res) => {
    const q = parseRequest(postureQuery, req.query, "query");
    const text = wantsText(req);
    if (!deps.posture)
      throw new SwitchoverError(ErrorCode.NotFound, "posture reports are not available in this process");
    const closed = new AbortController();
    res.on("close", () => closed.abort());
    const signal = AbortSignal.any([closed.signal, AbortSignal.timeout(POSTURE_TIMEOUT_MS)]);
    const report =
      q.cluster !== undefined
        ? await deps.posture.cluster(q.cluster, signal)
        : await deps.posture.pair(q.pair!, signal);
    if (text) res.type("text/plain").send(renderPosture(report));
    else res.json(report);
  });
  return r;
}
