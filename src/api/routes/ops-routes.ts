// Unauthenticated operational endpoints: liveness (with target health and live workers as details),
// readiness (the service's own dependencies) and Prometheus metrics. They reveal no runs, runbooks,
// configuration or addresses.
import { Router } from "express";
import type { Readiness } from "../readiness.js";
import type { TargetHealth } from "../target-health.js";
import type { ServiceMetrics } from "../metrics.js";

export const NO_WORKER_WARNING = "no worker is connected to the run queue: runs stay queued until one starts";

export function opsRoutes(deps: {
  readiness?: Readiness;
  targetHealth?: TargetHealth;
  liveWorkers?: () => Promise<number>;
  metrics: ServiceMetrics;
}): Router {
  const r = Router();
  // Always 200 while the process serves HTTP: the details inform, they never fail the probe.
  r.get("/healthz", async (_req, res) => {
    const warnings: string[] = [];
    const body: Record<string, unknown> = { status: "ok" };
    if (deps.liveWorkers) {
      const live = await deps.liveWorkers().catch(() => undefined);
      if (live !== undefined) {
        body.workers = { live };
        if (live === 0) warnings.push(NO_WORKER_WARNING);
      }
    }
    if (deps.targetHealth) body.targets = deps.targetHealth.current();
    body.warnings = warnings;
    res.json(body);
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
