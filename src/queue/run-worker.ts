// The BullMQ worker: takes "drive this run" jobs and calls the engine, which resumes a run from its
// last persisted phase — so a job re-delivered after a worker died simply continues the run.
// Stalled-job settings come from config (see serviceSchema.queue) and a per-run lease guarantees
// that one worker drives a run at a time: the lease and the run's target locks fence every save and
// apply (a worker that stalled past its lease stops acting, see engine/ports/run-fence.ts).
// SIGTERM: finish in-flight runs within the grace period, then park the rest (the job goes back to
// wait; another worker resumes the run).
import { randomUUID } from "node:crypto";
import { DelayedError, UnrecoverableError, WaitingError, Worker } from "bullmq";
import type { Job } from "bullmq";
import type { RunEngine } from "../engine/engine.js";
import { SwitchoverError } from "../engine/errors.js";
import { RunFenceLost } from "../engine/ports/run-fence.js";
import type { RunFence } from "../engine/ports/run-fence.js";
import { RunVersionConflict } from "../engine/ports/run-store.js";
import type { Logger } from "../engine/ports/logger.js";
import type { RunRecord } from "../engine/run-record.js";
import { isTerminalRun } from "../engine/states.js";
import { logRedisErrors } from "./redis-connection.js";
import type { RedisConnectionOptions } from "./redis-connection.js";
import type { Lease, RunLeases } from "./run-lease.js";
import type { RunMeta, RunMetaStore } from "./run-meta.js";
import { RUN_JOB, SCHEDULE_JOB } from "./run-queue.js";
import type { RunJobData, ScheduleJobData } from "./run-queue.js";
import type { RunLocks } from "./run-locks.js";

/** What the worker reports for metrics. */
export interface WorkerObserver {
  pickup(ms: number): void;
  stepFinished(kind: string, state: string, seconds: number): void;
  runSettled(state: string): void;
}

export interface RunWorkerSettings {
  concurrency: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
  maxStalledCount: number;
}

export interface RunWorkerDeps {
  connection: RedisConnectionOptions;
  prefix: string;
  queueName: string;
  engine: RunEngine;
  locks: RunLocks;
  meta: RunMetaStore;
  leases: RunLeases;
  logger: Logger;
  settings: RunWorkerSettings;
  observer?: WorkerObserver;
  /** Fires a schedule: starts its runbook (trigger: schedule). */
  onSchedule: (data: ScheduleJobData) => Promise<void>;
  /** Called once a run this worker drove settles (game-day comparison and webhook). */
  onRunSettled?: (run: RunRecord, meta: RunMeta) => Promise<void>;
}

type Outcome = { state: string } | { skipped: string };

const RELEASE_PARK = Symbol("park");

/** A run job this worker holds the lease of. */
interface Driving {
  job: Job;
  token: string | undefined;
  runId: string;
  lease: Lease;
  log: Logger;
}

export class RunWorker {
  readonly id = `w-${randomUUID().slice(0, 8)}`;
  private worker: Worker | undefined;
  private readonly parkers = new Set<() => void>();
  private closing: Promise<void> | undefined;

  constructor(private readonly deps: RunWorkerDeps) {}

  start(): this {
    const s = this.deps.settings;
    this.worker = new Worker(this.deps.queueName, (job, token) => this.process(job, token), {
      connection: { ...this.deps.connection, maxRetriesPerRequest: null },
      prefix: this.deps.prefix,
      concurrency: s.concurrency,
      lockDuration: s.lockDurationMs,
      stalledInterval: s.stalledIntervalMs,
      maxStalledCount: s.maxStalledCount,
      autorun: true,
    });
    this.worker.on("failed", (job, err) => {
      this.deps.logger.warn({ jobId: job?.id, name: job?.name, err: err.message }, "job failed");
    });
    logRedisErrors(this.worker, this.deps.logger, "worker", this.deps.connection.password);
    return this;
  }

  /** Resolves once the worker listens for jobs (tests use it to avoid racing the first job). */
  async ready(): Promise<void> {
    await this.worker?.waitUntilReady();
  }

  private async process(job: Job, token?: string): Promise<Outcome> {
    if (job.name === SCHEDULE_JOB) {
      await this.deps.onSchedule(job.data as ScheduleJobData);
      return { skipped: "schedule fired" };
    }
    if (job.name !== RUN_JOB) throw new UnrecoverableError(`unknown job name ${job.name}`);
    const { runId } = job.data as RunJobData;
    if (job.attemptsStarted <= 1) this.deps.observer?.pickup(Date.now() - job.timestamp);
    const log = this.deps.logger.child({ runId, jobId: job.id, worker: this.id });

    const lease = await this.deps.leases.tryAcquire(runId, `${this.id}:${job.id}`);
    if (!lease) {
      const run = await this.deps.engine.get(runId);
      if (!run || isTerminalRun(run.state) || run.state === "waiting_approval") {
        return { skipped: "driven by another worker" };
      }
      // Another worker is driving it right now; look again shortly (it may park or die).
      await job.moveToDelayed(Date.now() + 1_000, token);
      throw new DelayedError();
    }
    let parked = false;
    try {
      return await this.drive({ job, token, runId, lease, log }, () => (parked = true));
    } catch (err) {
      throw await this.failure(err, job, token, log);
    } finally {
      // A parked run's lease is left to expire: this process may still be inside a step until it exits.
      if (parked) lease.abandon();
      else await lease.release();
    }
  }

  /** Drives a run whose lease this worker holds: re-takes its locks, executes, settles or parks. */
  private async drive(d: Driving, onPark: () => void): Promise<Outcome> {
    const { job, token, runId, lease, log } = d;
    const run = await this.deps.engine.get(runId);
    if (!run) return { skipped: "run not found" };
    if (isTerminalRun(run.state)) {
      // A job delivered again for a finished run (e.g. its completion was lost in a Redis
      // failover): whatever it still holds goes back; it takes nothing.
      await this.deps.locks.settle(run);
      return { state: run.state };
    }
    if (run.state === "waiting_approval") return { state: run.state };
    // Fencing: the run may act only while it still holds its targets. Re-taking them here
    // grants this worker a new fence; an earlier worker of the run can no longer save it.
    const claim = await this.deps.locks.claimForDriving(run);
    if (claim.outcome === "finished") return { state: claim.run.state };
    if (claim.outcome === "held") {
      log.error({ holder: claim.holder }, "run lost its target lock; cancelling it");
      const cancelled = await this.deps.engine.cancel(runId, {
        by: "switchover",
        reason: `target ${claim.holder.target} is held by run ${claim.holder.runId}`,
      });
      return { state: cancelled.state };
    }
    const lockClaims = claim.claims;
    const meta = await this.deps.meta.get(runId);
    const fence: RunFence = {
      signal: lease.signal,
      check: () => lease.check(),
      confirm: () => lease.confirm(lockClaims),
      claims: () => [lease.claim, ...lockClaims],
    };
    const started = Date.now();
    let unpark: () => void = () => undefined;
    const park = new Promise<typeof RELEASE_PARK>((resolve) => {
      unpark = () => resolve(RELEASE_PARK);
      this.parkers.add(unpark);
    });
    // A cancel made through another process is noticed by the engine itself (it polls the record).
    const result = await Promise.race([this.deps.engine.execute(runId, fence), park]).finally(() =>
      this.parkers.delete(unpark),
    );
    if (result === RELEASE_PARK) {
      onPark();
      log.warn({}, "shutting down: parking the run; another worker resumes it");
      await job.moveToWait(token);
      throw new WaitingError();
    }
    this.observe(result, started);
    if (isTerminalRun(result.state)) {
      await this.deps.locks.settle(result);
      await this.deps
        .onRunSettled?.(result, meta)
        .catch((err: unknown) =>
          log.warn({ err: err instanceof Error ? err.message : String(err) }, "after-run hook failed"),
        );
    }
    log.info({ state: result.state }, "run driven");
    return { state: result.state };
  }

  /** What a failed drive becomes for BullMQ: delayed (lease lost), retried, or unrecoverable. */
  private async failure(err: unknown, job: Job, token: string | undefined, log: Logger): Promise<unknown> {
    if (err instanceof WaitingError || err instanceof DelayedError) return err;
    if (err instanceof RunFenceLost) {
      // This worker stalled past its lease: another worker drives the run (or will, once the
      // lease expires). Nothing more was recorded here; look again later in case nobody does.
      log.warn({ err: err.message }, "lost the run's lease; stopped driving it");
      await job
        .moveToDelayed(Date.now() + 1_000, token)
        .catch((e: unknown) =>
          log.warn({ err: e instanceof Error ? e.message : String(e) }, "could not delay the job"),
        );
      return new DelayedError();
    }
    if (err instanceof RunVersionConflict) {
      // Someone else saved the run first; BullMQ retries the job (it is not unrecoverable) and
      // the engine resumes from whatever state that writer left.
      log.warn({ err: err.message }, "run changed under the worker; retrying the job");
      return err;
    }
    if (err instanceof SwitchoverError && !err.retryable) {
      log.error({ code: err.code, err: err.message }, "run cannot be driven");
      return new UnrecoverableError(`${err.code}: ${err.message}`);
    }
    return err;
  }

  private observe(run: RunRecord, since: number): void {
    const o = this.deps.observer;
    if (!o) return;
    for (const s of run.steps) {
      if (s.finishedAt === undefined || s.startedAt === undefined || s.finishedAt < since) continue;
      o.stepFinished(s.uses, s.state, Math.max(0, s.finishedAt - s.startedAt) / 1_000);
    }
    if (isTerminalRun(run.state)) o.runSettled(run.state);
  }

  /** Stops taking jobs; in-flight runs get graceMs to finish, then they are parked. */
  shutdown(graceMs: number): Promise<void> {
    if (!this.worker) return Promise.resolve();
    this.closing ??= (async () => {
      const timer = setTimeout(() => this.parkAll(), graceMs);
      try {
        await this.worker!.close();
      } finally {
        clearTimeout(timer);
      }
    })();
    return this.closing;
  }

  /** Parks every in-flight run now (also used by tests to simulate a grace period running out). */
  parkAll(): void {
    for (const p of [...this.parkers]) p();
  }
}
