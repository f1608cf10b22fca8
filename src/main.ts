// Composition root: the only place that constructs adapters (Redis, BullMQ, audit log, Kafka
// probes, HTTP client) and wires them into the engine, the API and the worker. `npm start` runs API
// and worker in one process; SWITCHOVER_MODE=api|worker runs one of them (scale each out).
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Server } from "node:http";
import { Redis } from "ioredis";
import { pino } from "pino";
import type { Express } from "express";
import { AuditLog } from "./audit/audit-log.js";
import { AuditSinkAdapter } from "./audit/engine-audit-sink.js";
import { createApp, createOpsApp } from "./api/app.js";
import type { ApiDeps } from "./api/deps.js";
import { IdempotencyStore } from "./runs/idempotency-store.js";
import { ServiceMetrics } from "./api/metrics.js";
import { Readiness } from "./api/readiness.js";
import { targetChecks } from "./api/target-checks.js";
import { TargetHealth } from "./api/target-health.js";
import { assertAuditWritable, auditFileCheck } from "./audit/audit-file-check.js";
import { StateIntegrity } from "./audit/state-integrity.js";
import type { DependencyCheck } from "./api/readiness.js";
import { RunbookCatalog } from "./runs/runbook-catalog.js";
import { BreakGlassNotifier } from "./runs/break-glass-notifier.js";
import { RunService } from "./runs/run-service.js";
import { targetUniverse } from "./runs/run-targets.js";
import { RunbookValidator } from "./api/runbook-validator.js";
import { ReplicaAck } from "./adapters/redis/replica-ack.js";
import { RedisRunStore } from "./adapters/redis/run-store.js";
import { parseEnv } from "./config/env.js";
import type { Env } from "./config/env.js";
import { loadConfig } from "./config/load.js";
import type { Config } from "./config/schema.js";
import { maskSecretValues, resolveSecret } from "./config/secret.js";
import { RunEngine } from "./engine/engine.js";
import { ErrorCode, SwitchoverError } from "./engine/errors.js";
import { systemClock } from "./engine/ports/clock.js";
import type { Clock } from "./engine/ports/clock.js";
import type { Logger } from "./engine/ports/logger.js";
import type { AnyStep } from "./engine/step-contract.js";
import type { StepAdapters } from "./steps/step-adapters.js";
import { targetsFromConfig } from "./engine/target-catalog.js";
import { isAllowedUrl } from "./engine/target-ref.js";
import { FanoutAuditSink } from "./queue/fanout-audit-sink.js";
import { faultHookFromEnv } from "./queue/fault-injection.js";
import { logRedisErrors, redisOptionsFromUrl } from "./queue/redis-connection.js";
import { RunEventLog } from "./queue/run-events.js";
import { RunLeases } from "./queue/run-lease.js";
import { RunMetaStore } from "./queue/run-meta.js";
import { RunQueue } from "./queue/run-queue.js";
import { RunReconciler } from "./queue/run-reconciler.js";
import type { ScheduleJobData } from "./queue/run-queue.js";
import { RunWorker } from "./queue/run-worker.js";
import { ScheduleService } from "./queue/schedules.js";
import { TargetLocks } from "./queue/target-lock.js";
import { holderState, RunLocks } from "./queue/run-locks.js";
import { createFetchHttpClient } from "./steps/builtin/http-client.js";
import { createStepRegistry } from "./steps/registry.js";
import { EvaluationService } from "./evaluation/evaluation-service.js";
import { PostureService } from "./posture/posture-service.js";
import { createConsumerFleets, createGroupObserver } from "./adapters/consumers/consumer-fleets.js";
import { createDnsZones } from "./adapters/dns/providers/dns-zones.js";
import { createKafkaAdapter } from "./adapters/kafka/kafka-adapter.js";
import { consumerSteps } from "./steps/consumers/index.js";
import { dnsSteps } from "./steps/dns/index.js";
import { kafkaSteps } from "./steps/kafka/index.js";
import { mirrorSteps } from "./steps/mirror/index.js";
import { listenApi } from "./api/server.js";

export type Mode = "all" | "api" | "worker";

export interface ServiceOptions {
  config: Config;
  mode: Mode;
  logger: Logger;
  /** Overrides config.redis.url (REDIS_URL). */
  redisUrl?: string;
  /** Extra step kinds (tests register test-only kinds here). */
  extraSteps?: readonly AnyStep[];
  /** Adapter overrides; by default the HTTP client is built here. */
  adapters?: Partial<StepAdapters>;
  auditJsonlPath?: string;
  /** Readiness checks; by default Redis, the queue and the audit file. */
  readinessChecks?: DependencyCheck[];
  /** Target health checks for /healthz; by default every configured Kafka cluster. */
  targetChecks?: DependencyCheck[];
  queueName?: string;
  clock?: Clock;
}

export interface Service {
  app: Express;
  deps: ApiDeps;
  worker: RunWorker | undefined;
  queue: RunQueue;
  redis: Redis;
  engine: RunEngine;
  /** Stops the worker (finishing or parking in-flight runs within graceMs) and closes connections. */
  close(graceMs?: number): Promise<void>;
}

export async function buildService(opts: ServiceOptions): Promise<Service> {
  const { config, logger } = opts;
  const svc = config.service;
  const prefix = config.redis.prefix;
  const password = config.redis.password ? resolveSecret(config.redis.password).reveal() : undefined;
  const connection = redisOptionsFromUrl(opts.redisUrl ?? config.redis.url, password);
  // Auto-pipelining: commands issued in one tick (concurrent requests) share one socket write.
  const redis = new Redis({ ...connection, maxRetriesPerRequest: 3, enableAutoPipelining: true });
  logRedisErrors(redis, logger, "main", password);
  const clock = opts.clock ?? systemClock;

  const steps = createStepRegistry(opts.extraSteps ?? []);
  // The DR step kinds every installation has (skipping any the registry already holds).
  for (const step of [...kafkaSteps, ...mirrorSteps, ...dnsSteps, ...consumerSteps])
    if (!steps.get(step.kind)) steps.register(step);
  const kafka = opts.adapters?.kafka ?? createKafkaAdapter(config);
  const consumerGroups = opts.adapters?.consumerGroups ?? createGroupObserver(config.clusters);
  const targets = targetsFromConfig(config);
  const store = new RedisRunStore(redis, { prefix });
  const audit = new AuditLog(redis, {
    prefix,
    ...(opts.auditJsonlPath ? { jsonlPath: opts.auditJsonlPath } : {}),
  });
  const events = new RunEventLog(redis, { prefix, logger });
  const adapters: Partial<StepAdapters> = {
    http: createFetchHttpClient({ userAgent: "switchover" }),
    kafka,
    dns: createDnsZones(config.dns),
    consumers: createConsumerFleets(config.consumers),
    consumerGroups,
    ...opts.adapters,
  };
  const engine = new RunEngine({
    store,
    clock,
    audit: new FanoutAuditSink(new AuditSinkAdapter(audit), [events], async (runId, action) => {
      const out: { stepId?: string; data: Record<string, unknown> }[] = [];
      for (let afterSeq = 0; ;) {
        const page = await audit.query({ runId, action, afterSeq, limit: 1_000 });
        out.push(...page.entries);
        if (page.nextAfterSeq === null) return out;
        afterSeq = page.nextAfterSeq;
      }
    }),
    logger,
    catalog: steps,
    targets,
    adapters,
    secrets: {
      read: (name) => {
        const ref = config.secrets[name];
        if (!ref) throw new Error(`the environment defines no secret ${name}`);
        return resolveSecret(ref).reveal();
      },
      mask: maskSecretValues,
    },
    // Off unless SWITCHOVER_FAULT_KILL_AT / _STOP_AT / _TRACE is set (the reliability suite).
    ...(opts.mode !== "api" ? { faults: faultHookFromEnv() } : {}),
  });
  const queue = new RunQueue({
    connection,
    prefix: `${prefix}:bull`,
    ...(opts.queueName ? { name: opts.queueName } : {}),
    logger,
  });
  const meta = new RunMetaStore(redis, prefix);
  const metrics = new ServiceMetrics(
    { runCounts: () => store.countByState(), queueDepth: () => queue.depth() },
    { defaultMetrics: true },
  );
  const locks = new RunLocks({
    locks: new TargetLocks(redis, {
      prefix,
      isHolderDone: async (runId) => holderState(await store.get(runId)),
    }),
    meta,
    runs: store,
    observer: metrics,
  });
  const integrity = new StateIntegrity({
    audit,
    ...(opts.auditJsonlPath ? { jsonlPath: opts.auditJsonlPath } : {}),
    logger,
    onChange: (lost) => metrics.setStateLost(lost),
  });
  // Before the worker or the API can append: Redis is compared with what the audit file proves.
  await integrity.start();
  const universe = targetUniverse(config);
  const runbooks = new RunbookCatalog(resolve(svc.runbooksDir), steps, targets);
  const validator = new RunbookValidator({ targets, extraKinds: (opts.extraSteps ?? []).map((s) => s.kind) });
  if (opts.mode !== "worker") validator.warm();
  const runs = new RunService({
    engine,
    store,
    steps,
    runbooks,
    queue,
    locks,
    meta,
    idempotency: new IdempotencyStore(redis, prefix, svc.limits.idempotencyTtlSeconds),
    universe,
    operatorRunbooks: svc.operatorRunbooks,
    stateGuard: integrity,
    replicaAck: new ReplicaAck(redis, config.redis.replicaAckTimeoutMs),
    approvals: svc.approvals,
    principals: svc.auth.tokens.map((t) => ({ name: t.name, roles: t.roles })),
    breakGlass: new BreakGlassNotifier({
      logger: logger.child({ component: "break-glass" }),
      ...(adapters.http ? { http: adapters.http } : {}),
      ...(svc.approvals.breakGlassWebhook
        ? {
            webhook: {
              url: svc.approvals.breakGlassWebhook.url,
              headers: resolveHeaders(svc.approvals.breakGlassWebhook.headers),
            },
          }
        : {}),
    }),
  });
  const schedules = new ScheduleService(redis, prefix, queue, (url) => isAllowedUrl(targets, url));
  // The service's own dependencies only: a target system that does not answer (a lost DC) must
  // never take the API out of service; target health goes to /healthz and metrics instead.
  const readiness = new Readiness([
    ...(opts.readinessChecks ?? [
      { name: "redis", check: async () => void (await redis.ping()) },
      { name: "queue", check: async () => void (await queue.depth()) },
      auditFileCheck(opts.auditJsonlPath),
    ]),
    // Whatever else a test replaces, a Redis that lost state always makes the service not ready.
    {
      name: "state",
      async check() {
        const lost = await integrity.probe();
        if (lost) throw new Error(`state-lost (${lost.condition}): ${lost.detail}`);
      },
    },
  ]);
  const targetHealth = new TargetHealth(
    opts.targetChecks ?? (opts.readinessChecks ? [] : targetChecks(config)),
    metrics.registry,
  );
  if (opts.mode !== "worker") targetHealth.start();
  const evalConfig = svc.evaluation;
  const evaluations =
    opts.mode === "worker"
      ? undefined
      : new EvaluationService({
          steps,
          targets,
          adapters,
          logger: logger.child({ component: "evaluation" }),
          clock,
          stepTimeoutMs: evalConfig.stepTimeoutMs,
          runbooks,
          http: adapters.http!,
          allow: config.http.allow,
          registry: metrics.registry,
          settings: {
            intervalSeconds: evalConfig.intervalSeconds,
            initialDelaySeconds: evalConfig.initialDelaySeconds,
            webhook: evalConfig.webhook && {
              url: evalConfig.webhook.url,
              headers: resolveHeaders(evalConfig.webhook.headers),
            },
          },
        }).start();
  const deps: ApiDeps = {
    service: svc,
    runs,
    runbooks,
    validator,
    steps,
    targets,
    universe,
    schedules,
    audit,
    events,
    eventConnection: () => {
      const conn = redis.duplicate({ maxRetriesPerRequest: null });
      logRedisErrors(conn, logger, "events", password);
      return conn;
    },
    readiness,
    integrity,
    targetHealth,
    liveWorkers: () => queue.liveWorkers(),
    metrics,
    logger,
    posture: new PostureService(kafka),
    ...(evaluations ? { evaluations } : {}),
  };

  const onSchedule = async (data: ScheduleJobData): Promise<void> => {
    // The schedule's creator (an admin: only admins create schedules) requests its runs, so they
    // can never approve them; schedules stored before createdBy was kept fall back to the record.
    const createdBy = data.createdBy ?? (await schedules.get(data.scheduleId))?.createdBy;
    const who = { name: createdBy ?? `schedule:${data.scheduleId}`, roles: ["admin" as const] };
    try {
      const started = await runs.startRun(
        who,
        data.runbook,
        { params: data.params, dryRun: data.dryRun, ...(data.reason ? { reason: data.reason } : {}) },
        { trigger: "schedule", scheduleId: data.scheduleId },
      );
      logger.info({ scheduleId: data.scheduleId, runId: started.run.id }, "schedule fired");
    } catch (err) {
      logger.warn(
        { scheduleId: data.scheduleId, err: err instanceof Error ? err.message : String(err) },
        "schedule could not start its run",
      );
      throw new SwitchoverError(ErrorCode.Conflict, err instanceof Error ? err.message : String(err), {
        cause: err,
      });
    }
  };
  const leases = new RunLeases(redis, prefix, svc.queue.leaseMs);
  const worker =
    opts.mode === "api"
      ? undefined
      : new RunWorker({
          connection,
          prefix: `${prefix}:bull`,
          queueName: queue.name,
          engine,
          locks,
          meta,
          leases,
          logger,
          settings: svc.queue,
          observer: metrics,
          onSchedule,
          onRunSettled: (run, runMeta) => schedules.onRunSettled(run, runMeta, logger),
        }).start();

  const reconciler =
    opts.mode === "api"
      ? undefined
      : new RunReconciler({ engine, queue, leases, logger, minAgeMs: 2 * svc.queue.lockDurationMs }).start(
          svc.queue.reconcileIntervalMs,
        );
  const app = opts.mode === "worker" ? createOpsApp(deps) : createApp(deps);
  let closed: Promise<void> | undefined;
  return {
    app,
    deps,
    worker,
    queue,
    redis,
    engine,
    close(graceMs = svc.queue.shutdownGraceMs) {
      closed ??= (async () => {
        reconciler?.stop();
        targetHealth.stop();
        await evaluations?.stop();
        await worker?.shutdown(graceMs);
        await queue.close();
        await audit.close();
        await validator.close();
        await kafka.close().catch(() => undefined);
        await consumerGroups.close().catch(() => undefined);
        redis.disconnect();
      })();
      return closed;
    },
  };
}

/** Webhook headers from the config: literal values, or secret refs resolved once at start-up. */
function resolveHeaders(
  headers: Record<string, string | Parameters<typeof resolveSecret>[0]>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([k, v]) => [k, typeof v === "string" ? v : resolveSecret(v).reveal()]),
  );
}

function createLogger(env: Env): Logger {
  return pino({
    level: env.LOG_LEVEL,
    base: { service: "switchover" },
    // Belt and braces: nothing logs these on purpose, and if something ever does they stay hidden.
    redact: {
      paths: [
        "authorization",
        "*.authorization",
        "headers.authorization",
        "req.headers.authorization",
        "password",
        "*.password",
        "token",
        "*.token",
        "secret",
        "*.secret",
        "sha256",
        "*.sha256",
        "*.tokens",
      ],
      censor: "[redacted]",
    },
  });
}

async function main(): Promise<void> {
  const env = parseEnv();
  const logger = createLogger(env);
  const config = loadConfig(env.SWITCHOVER_CONFIG);
  if (config.service.auth.tokens.length === 0 && env.SWITCHOVER_MODE !== "worker") {
    logger.warn({}, "no API tokens configured (service.auth.tokens): every /v1 request will be refused");
  }
  const auditJsonlPath =
    env.SWITCHOVER_AUDIT_JSONL ?? join(dirname(resolve(env.SWITCHOVER_CONFIG)), "audit.jsonl");
  // An audit entry that cannot be written is a run start that cannot be acknowledged: refuse to
  // boot rather than listen and answer 500 (with a stray queued run) on the first real run.
  assertAuditWritable(auditJsonlPath);
  const service = await buildService({
    config,
    mode: env.SWITCHOVER_MODE,
    logger,
    ...(env.REDIS_URL ? { redisUrl: env.REDIS_URL } : {}),
    auditJsonlPath,
  });
  if (env.TRUST_PROXY_HOPS > 0) service.app.set("trust proxy", env.TRUST_PROXY_HOPS);
  // A worker-only process still answers /healthz, /readyz and /metrics (its step durations live here).
  const server: Server = listenApi(service.app, {
    port: env.PORT,
    host: env.HOST,
    onListening: () =>
      logger.info({ port: env.PORT, host: env.HOST, mode: env.SWITCHOVER_MODE }, "switchover listening"),
    onListenError: (reason) => {
      process.stderr.write(`switchover failed to start: ${reason}\n`);
      // Close what started, but never hang on it (a Redis that is unreachable too would hold close).
      const exit = (): never => process.exit(1);
      setTimeout(exit, 3_000);
      void service.close(0).finally(exit);
    },
  });

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down: no new requests or jobs; finishing in-flight runs");
    server.close();
    server.closeIdleConnections();
    // SSE streams stay open until their clients leave; do not let them hold the shutdown.
    setTimeout(() => server.closeAllConnections(), 2_000).unref();
    service.close().then(
      () => {
        logger.info({}, "stopped");
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err: String(err) }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((err: unknown) => {
    // Config and env errors list every problem; print them plainly and fail the boot.
    process.stderr.write(`switchover failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
