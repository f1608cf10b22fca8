// The express app: request ids and timing, unauthenticated operational endpoints, bearer-token
// auth over /v1, the routes, a problem+json 405 (wrong method) or 404, and the one central error handler.
import { randomUUID } from "node:crypto";
import express from "express";
import type { Express, RequestHandler } from "express";
import { authenticate } from "./auth.js";
import type { ApiDeps } from "./deps.js";
import { errorHandler, unmatchedRoute } from "./error-handler.js";
import { auditRoutes } from "./routes/audit-routes.js";
import { evaluationRoutes } from "./routes/evaluation-routes.js";
import { opsRoutes } from "./routes/ops-routes.js";
import { postureRoutes } from "./routes/posture-routes.js";
import { runEventsRoute } from "./routes/run-events-route.js";
import { runRoutes } from "./routes/run-routes.js";
import { runbookRoutes } from "./routes/runbook-routes.js";
import { scheduleRoutes } from "./routes/schedule-routes.js";
import { webDir, webRoutes } from "./routes/web-routes.js";
import { whoamiRoute } from "./routes/whoami-route.js";

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

function requestContext(deps: Pick<ApiDeps, "logger" | "metrics">): RequestHandler {
  return (req, res, next) => {
    const given = req.get("x-request-id");
    const id = given && REQUEST_ID.test(given) ? given : randomUUID();
    res.locals.requestId = id;
    res.set("X-Request-Id", id);
    const t0 = performance.now();
    res.on("finish", () => {
      const seconds = (performance.now() - t0) / 1_000;
      // The matched route pattern, not the raw path: ids must not explode label cardinality.
      const route = (req.route as { path?: string } | undefined)?.path;
      const label = route
        ? `${req.baseUrl}${route}`
        : res.statusCode === 404
          ? "unmatched"
          : req.baseUrl || req.path;
      deps.metrics.httpDuration.observe(
        { method: req.method, route: label, status: String(res.statusCode) },
        seconds,
      );
      const principal = (res.locals.principal as { name?: string } | undefined)?.name;
      const fields = {
        requestId: id,
        method: req.method,
        path: req.path.slice(0, 200),
        status: res.statusCode,
        ms: Math.round(seconds * 1_000),
        ...(principal ? { principal } : {}),
      };
      if (res.statusCode >= 500) deps.logger.error(fields, "request");
      else if (req.method !== "GET" || res.statusCode >= 400) deps.logger.info(fields, "request");
      else deps.logger.debug(fields, "request");
    });
    next();
  };
}

export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.set("query parser", "simple");
  app.use(requestContext(deps));
  app.use(opsRoutes(deps));

  const v1 = express.Router();
  v1.use(authenticate(deps.service.auth.tokens));
  v1.use(runbookRoutes(deps));
  v1.use(runRoutes(deps));
  v1.use(runEventsRoute(deps));
  v1.use(scheduleRoutes(deps));
  v1.use(auditRoutes(deps));
  v1.use(whoamiRoute());
  v1.use(evaluationRoutes(deps));
  v1.use(postureRoutes(deps));
  app.use("/v1", v1);
  // The web page (/, its assets); after /v1 so it never shadows an API route.
  app.use(webRoutes(webDir()));

  app.use(unmatchedRoute(app.router));
  app.use(errorHandler(deps.logger));
  return app;
}

/** What a worker-only process serves: liveness, readiness and its metrics (step durations live there). */
export function createOpsApp(deps: Pick<ApiDeps, "logger" | "metrics" | "readiness">): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.use(requestContext(deps));
  app.use(opsRoutes(deps));
  app.use(unmatchedRoute(app.router, " (this process runs the worker only)"));
  app.use(errorHandler(deps.logger));
  return app;
}
