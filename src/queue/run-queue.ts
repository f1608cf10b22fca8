// The BullMQ queue runs travel through. A job means "drive this run now"; its id is the run id and
// the run's version when enqueued, so duplicate enqueues of one state collapse into one job.
import { Queue } from "bullmq";
import type { ParamValue } from "../engine/runbook/model.js";
import type { Logger } from "../engine/ports/logger.js";
import { logRedisErrors } from "./redis-connection.js";
import type { RedisConnectionOptions } from "./redis-connection.js";

export interface RunJobData {
  runId: string;
}

export interface ScheduleJobData {
  scheduleId: string;
  runbook: string;
  params: Record<string, ParamValue>;
  dryRun: boolean;
  reason?: string;
  /** Who created the schedule: the requester of its runs (so never their approver). */
  createdBy?: string;
}

export const RUN_JOB = "run";
export const SCHEDULE_JOB = "schedule";

export interface RunQueueOptions {
  connection: RedisConnectionOptions;
  /** BullMQ key prefix, e.g. "switchover:bull". */
  prefix: string;
  name?: string;
  /** Where the queue's Redis connection errors are logged (credentials redacted). */
  logger?: Logger;
}

export class RunQueue {
  readonly queue: Queue;
  readonly name: string;

  constructor(readonly opts: RunQueueOptions) {
    this.name = opts.name ?? "runs";
    this.queue = new Queue(this.name, {
      connection: { ...opts.connection, maxRetriesPerRequest: null },
      prefix: opts.prefix,
      defaultJobOptions: {
        // Transient failures (Redis blips) retry; the engine resumes from the persisted phase.
        attempts: 5,
        backoff: { type: "exponential", delay: 1_000 },
        removeOnComplete: { age: 3_600, count: 5_000 },
        removeOnFail: { age: 7 * 86_400, count: 5_000 },
      },
    });
    if (opts.logger) logRedisErrors(this.queue, opts.logger, "queue", opts.connection.password);
  }

  /** Asks a worker to drive the run; `tag` (the run version) dedupes enqueues of one state. */
  async enqueueRun(runId: string, tag: string | number): Promise<void> {
    await this.queue.add(RUN_JOB, { runId } satisfies RunJobData, { jobId: `${runId}.${tag}` });
  }

  /** Runs that have a job waiting, delayed or being worked on (bounded; for reconciliation). */
  async liveRunIds(max = 10_000): Promise<Set<string>> {
    const jobs = await this.queue.getJobs(["waiting", "active", "delayed", "prioritized"], 0, max - 1);
    const ids = new Set<string>();
    for (const job of jobs) {
      const data = job?.data as Partial<RunJobData> | undefined;
      if (job?.name === RUN_JOB && typeof data?.runId === "string") ids.add(data.runId);
    }
    return ids;
  }

  /** Workers connected to this queue now (BullMQ names its worker connections; CLIENT LIST). */
  async liveWorkers(): Promise<number> {
    return this.queue.getWorkersCount();
  }

  async depth(): Promise<Record<string, number>> {
    return this.queue.getJobCounts("waiting", "active", "delayed", "prioritized", "failed");
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
