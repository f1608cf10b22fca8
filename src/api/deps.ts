// Everything the HTTP layer is built from, filled by the composition root (src/main.ts) or a test.
import type { AuditAppendInput, AuditPage, AuditQuery, AuditVerifyResult } from "../audit/audit-log.js";
import type { StateIntegrity } from "../audit/state-integrity.js";
import type { ServiceConfig } from "../config/schema.js";
import type { Logger } from "../engine/ports/logger.js";
import type { StepCatalog } from "../engine/step-catalog.js";
import type { TargetCatalog } from "../engine/target-catalog.js";
import type { EventFollower, RunEventLog } from "../queue/run-events.js";
import type { ScheduleService } from "../queue/schedules.js";
import type { EvaluationService } from "../evaluation/evaluation-service.js";
import type { PostureService } from "../posture/posture-service.js";
import type { ServiceMetrics } from "./metrics.js";
import type { Readiness } from "./readiness.js";
import type { TargetHealth } from "./target-health.js";
import type { RunbookCatalog } from "../runs/runbook-catalog.js";
import type { RunService } from "../runs/run-service.js";
import type { TargetUniverse } from "../runs/run-targets.js";
import type { RunbookValidator } from "./runbook-validator.js";

/** The audit log as the API uses it (src/audit/audit-log.ts's AuditLog satisfies it). */
export interface AuditPort {
  append(input: AuditAppendInput): Promise<unknown>;
  query(query: AuditQuery): Promise<AuditPage>;
  verify(): Promise<AuditVerifyResult>;
}

export interface ApiDeps {
  service: ServiceConfig;
  runs: RunService;
  runbooks: RunbookCatalog;
  /** Validates posted runbook documents off the event loop (POST /v1/runbooks/validate). */
  validator: RunbookValidator;
  steps: StepCatalog;
  targets: TargetCatalog;
  universe: TargetUniverse;
  schedules: ScheduleService;
  audit: AuditPort;
  events: RunEventLog;
  /** A follower on a connection of its own for one SSE client's blocking reads; closed when the client leaves. */
  eventFollower: () => EventFollower;
  readiness: Readiness;
  /** Kafka (and other target) health for /healthz and metrics; never part of readiness. */
  targetHealth: TargetHealth;
  /** Workers connected to the run queue now. */
  liveWorkers: () => Promise<number>;
  metrics: ServiceMetrics;
  logger: Logger;
  /** DR posture reports (GET /v1/posture). */
  posture?: PostureService;
  /** The state-lost condition: checked on verify, lifted by restore (absent in tests that do not need it). */
  integrity?: StateIntegrity;
  /** Runbook pre-flight evaluation (POST /v1/runbooks/{name}/evaluate, GET /v1/evaluations). */
  evaluations?: EvaluationService;
}
