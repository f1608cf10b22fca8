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
import { RedisIdempotencyStore } from "./adapters/redis/idempotency-store.js";
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
import { scheduledRunStarter } from "./runs/scheduled-run.js";
import { RunbookValidator } from "./api/runbook-validator.js";
import { ReplicaAck } from "./adapters/redis/replica-ack.js";
import { RedisRunStore } from "./adapters/redis/run-store.js";
import { parseEnv } from "./config/env.js";
import type { Env } from "./config/env.js";
import { loadConfig } from "./config/load.js";
import type { Config } from "./config/schema.js";
import { resolveHeaders, resolveSecret, secretSource } from "./config/secret.js";
import { RunEngine } from "./engine/engine.js";
import { systemClock } from "./engine/ports/clock.js";
import type { Clock } from "./engine/ports/clock.js";
import type { Logger } from "./engine/ports/logger.js";
import type { AnyStep } from "./engine/step-contract.js";
import type { StepAdapters } from "./steps/step-adapters.js";
import { targetsFromConfig } from "./engine/target-catalog.js";
import type { TargetCatalog } from "./engine/target-catalog.js";
import { isAllowedUrl } from "./engine/target-ref.js";
import { FanoutAuditSink, pagedAuditReader } from "./queue/fanout-audit-sink.js";
import { faultHookFromEnv } from "./queue/fault-injection.js";
import { logRedisErrors, redisOptionsFromUrl } from "./queue/redis-connection.js";
import type { RedisConnectionOptions } from "./queue/redis-connection.js";
import { RunEventLog } from "./queue/run-events.js";
import { RunLeases } from "./queue/run-lease.js";
import { RunMetaStore } from "./queue/run-meta.js";
import { RunQueue } from "./queue/run-queue.js";
import { RunReconciler } from "./queue/run-reconciler.js";
import { RunWorker } from "./queue/run-worker.js";
import { ScheduleService } from "./queue/schedules.js";
import { TargetLocks } from "./queue/target-lock.js";
import { holderState, RunLocks } from "./queue/run-locks.js";
import { createFetchHttpClient } from "./steps/builtin/http-client.js";
import { createStepRegistry } from "./steps/registry.js";
import type { StepRegistry } from "./steps/registry.js";
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

/** Redis, the stores on it, the engine and its adapters: what both the API and the worker use. */
interface Core {
  redis: Redis;
  connection: RedisConnectionOptions;
  password: string | undefined;
  clock: Clock;
  steps: StepRegistry;
  targets: TargetCatalog;
  adapters: Partial<StepAdapters>;
  kafka: StepAdapters["kafka"];
  consumerGroups: StepAdapters["consumerGroups"];
  store: RedisRunStore;
  audit: AuditLog;
  events: RunEventLog;
  engine: RunEngine;
  queue: RunQueue;
  meta: RunMetaStore;
  metrics: ServiceMetrics;
  integrity: StateIntegrity;
}

export async function buildService(opts: ServiceOptions): Promise<Service> {
  const { config, logger } = opts;
  const svc = config.service;
  const core = await buildCore(opts);
  const { redis, queue, engine } = core;
  const locks = new RunLocks({
    locks: new TargetLocks(redis, {
      prefix: config.redis.prefix,
      isHolderDone: async (runId) => holderState(await core.store.get(runId)),
    }),
    meta: core.meta,
    runs: core.store,
    observer: core.metrics,
  });
  const runbooks = new RunbookCatalog(resolve(svc.runbooksDir), core.steps, core.targets);
  const runs = buildRunService(core, opts, locks, runbooks);
  const schedules = new ScheduleService(redis, config.redis.prefix, queue, (url) =>
    isAllowedUrl(core.targets, url),
  );
  const validator = new RunbookValidator({
    targets: core.targets,
    extraKinds: (opts.extraSteps ?? []).map((s) => s.kind),
  });
  if (opts.mode !== "worker") validator.warm();
  const targetHealth = new TargetHealth(
    opts.targetChecks ?? (opts.readinessChecks ? [] : targetChecks(config)),
    core.metrics.registry,
  );
  if (opts.mode !== "worker") targetHealth.start();
  const evaluations = opts.mode === "worker" ? undefined : buildEvaluations(core, opts, runbooks).start();
  const deps: ApiDeps = {
    service: svc,
    runs,
    runbooks,
    validator,
    steps: core.steps,
    targets: core.targets,
    universe: targetUniverse(config),
    schedules,
    audit: core.audit,
    events: core.events,
    eventFollower: () => {
      const conn = redis.duplicate({ maxRetriesPerRequest: null });
      logRedisErrors(conn, logger, "events", core.password);
      return core.events.follower(conn);
    },
    readiness: buildReadiness(core, opts),
    integrity: core.integrity,
    targetHealth,
    liveWorkers: () => queue.liveWorkers(),
    metrics: core.metrics,
    logger,
    posture: new PostureService(core.kafka),
    ...(evaluations ? { evaluations } : {}),
  };
  const background =
    opts.mode === "api" ? undefined : startBackground(core, opts, { locks, runs, schedules });
  const app = opts.mode === "worker" ? createOpsApp(deps) : createApp(deps);
  let closed: Promise<void> | undefined;
  return {
    app,
    deps,
    worker: background?.worker,
    queue,
    redis,
    engine,
    close(graceMs = svc.queue.shutdownGraceMs) {
      closed ??= (async () => {
        background?.reconciler.stop();
        targetHealth.stop();
        await evaluations?.stop();
        await background?.worker.shutdown(graceMs);
        await queue.close();
        await core.audit.close();
        await validator.close();
        await core.kafka.close().catch(() => undefined);
        await core.consumerGroups.close().catch(() => undefined);
        redis.disconnect();
      })();
      return closed;
    },
  };
}

async function buildCore(opts: ServiceOptions): Promise<Core> {
  const { config, logger } = opts;
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
    audit: new FanoutAuditSink(
      new AuditSinkAdapter(audit),
      [events],
      pagedAuditReader((q) => audit.query(q)),
    ),
    logger,
    catalog: steps,
    targets,
    adapters,
    secrets: secretSource(config.secrets),
    // Off unless SWITCHOVER_FAULT_KILL_AT / _STOP_AT / _TRACE is set (the reliability suite).
    ...(opts.mode !== "api" ? { faults: faultHookFromEnv() } : {}),
  });
  const queue = new RunQueue({
    connection,
    prefix: `${prefix}:bull`,
    ...(opts.queueName ? { name: opts.queueName } : {}),
    logger,
  });
  const metrics = new ServiceMetrics(
    { runCounts: () => store.countByState(), queueDepth: () => queue.depth() },
    { defaultMetrics: true },
  );
  const integrity = new StateIntegrity({
    audit,
    ...(opts.auditJsonlPath ? { jsonlPath: opts.auditJsonlPath } : {}),
    logger,
    onChange: (lost) => metrics.setStateLost(lost),
  });
  // Before the worker or the API can append: Redis is compared with what the audit file proves.
  await integrity.start();
  const meta = new RunMetaStore(redis, prefix);
  return {
    ...{ redis, connection, password, clock, steps, targets, adapters, kafka, consumerGroups },
    ...{ store, audit, events, engine, queue, meta, metrics, integrity },
  };
}

function buildRunService(
  core: Core,
  opts: ServiceOptions,
  locks: RunLocks,
  runbooks: RunbookCatalog,
): RunService {
  const { config, logger } = opts;
  const svc = config.service;
  const webhook = svc.approvals.breakGlassWebhook;
  return new RunService({
    engine: core.engine,
    store: core.store,
    steps: core.steps,
    runbooks,
    queue: core.queue,
    locks,
    meta: core.meta,
    idempotency: new RedisIdempotencyStore(core.redis, config.redis.prefix, svc.limits.idempotencyTtlSeconds),
    universe: targetUniverse(config),
    operatorRunbooks: svc.operatorRunbooks,
    stateGuard: core.integrity,
    replicaAck: new ReplicaAck(core.redis, config.redis.replicaAckTimeoutMs),
    approvals: svc.approvals,
    principals: svc.auth.tokens.map((t) => ({ name: t.name, roles: t.roles })),
    breakGlass: new BreakGlassNotifier({
      logger: logger.child({ component: "break-glass" }),
      ...(core.adapters.http ? { http: core.adapters.http } : {}),
      ...(webhook ? { webhook: { url: webhook.url, headers: resolveHeaders(webhook.headers) } } : {}),
    }),
  });
}

/**
 * The service's own dependencies only: a target system that does not answer (a lost DC) must never
 * take the API out of service; target health goes to /healthz and metrics instead.
 */
function buildReadiness(core: Core, opts: ServiceOptions): Readiness {
  return new Readiness([
    ...(opts.readinessChecks ?? [
      { name: "redis", check: async () => void (await core.redis.ping()) },
      { name: "queue", check: async () => void (await core.queue.depth()) },
      auditFileCheck(opts.auditJsonlPath),
    ]),
    // Whatever else a test replaces, a Redis that lost state always makes the service not ready.
    {
      name: "state",
      async check() {
        const lost = await core.integrity.probe();
        if (lost) throw new Error(`state-lost (${lost.condition}): ${lost.detail}`);
      },
    },
  ]);
}

function buildEvaluations(core: Core, opts: ServiceOptions, runbooks: RunbookCatalog): EvaluationService {
  const { config, logger } = opts;
  const evalConfig = config.service.evaluation;
  return new EvaluationService({
    steps: core.steps,
    targets: core.targets,
    adapters: core.adapters,
    logger: logger.child({ component: "evaluation" }),
    clock: core.clock,
    stepTimeoutMs: evalConfig.stepTimeoutMs,
    runbooks,
    http: core.adapters.http!,
    allow: config.http.allow,
    registry: core.metrics.registry,
    settings: {
      intervalSeconds: evalConfig.intervalSeconds,
      initialDelaySeconds: evalConfig.initialDelaySeconds,
      webhook: evalConfig.webhook && {
        url: evalConfig.webhook.url,
        headers: resolveHeaders(evalConfig.webhook.headers),
      },
    },
  });
}

/** The worker that drives runs and fires schedules, and the reconciler that re-queues lost runs. */
function startBackground(
  core: Core,
  opts: ServiceOptions,
  uses: { locks: RunLocks; runs: RunService; schedules: ScheduleService },
): { worker: RunWorker; reconciler: RunReconciler } {
  const { config, logger } = opts;
  const svc = config.service;
  const leases = new RunLeases(core.redis, config.redis.prefix, svc.queue.leaseMs);
  const worker = new RunWorker({
    connection: core.connection,
    prefix: `${config.redis.prefix}:bull`,
    queueName: core.queue.name,
    engine: core.engine,
    locks: uses.locks,
    meta: core.meta,
    leases,
    logger,
    settings: svc.queue,
    observer: core.metrics,
    onSchedule: scheduledRunStarter({ runs: uses.runs, schedules: uses.schedules, logger }),
    onRunSettled: (run, runMeta) => uses.schedules.onRunSettled(run, runMeta, logger),
  }).start();
  const reconciler = new RunReconciler({
    engine: core.engine,
    queue: core.queue,
    leases,
    logger,
    minAgeMs: 2 * svc.queue.lockDurationMs,
  }).start(svc.queue.reconcileIntervalMs);
  return { worker, reconciler };
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
