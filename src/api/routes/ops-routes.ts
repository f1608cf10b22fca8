// Unauthenticated operational endpoints: liveness, readiness (Redis and every Kafka cluster) and
// Prometheus metrics. They reveal no runs, runbooks or configuration.
import { Router } from "express";
import type { Readiness } from "../readiness.js";
import type { ServiceMetrics } from "../metrics.js";

export function opsRoutes(deps: { readiness?: Readiness; metrics: ServiceMetrics }): Router {
  const r = Router();
  r.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  if (deps.readiness) {
    const readiness = deps.readiness;
    r.get("/readyz", async (_req, res) => {
      const result = await readiness.run();
      res.status(result.status === "ready" ? 200 : 503).json(result);
    });
  }
  r.get("/metrics", async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  return r;
}
