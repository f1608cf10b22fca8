// Game-day schedules: BullMQ job schedulers (cron + time zone) on the run queue whose jobs start a
// runbook; what was asked (params, mode, who, webhook) is kept beside them for listing. Each finished
// drill of a schedule is compared with the previous one: slower by more than 50 % or a different
// outcome is a regression, POSTed to the schedule's webhook (only under config `http.allow`).
import type { Redis } from "ioredis";
import type { ParamValue } from "../engine/runbook/model.js";
import { ErrorCode, SwitchoverError } from "../engine/errors.js";
import { SCHEDULE_JOB } from "./run-queue.js";
import type { RunQueue, ScheduleJobData } from "./run-queue.js";
import type { RunRecord } from "../engine/run-record.js";
import type { Logger } from "../engine/ports/logger.js";
import type { RunMeta } from "./run-meta.js";

/** A finished drill as the comparison needs it. */
export interface DrillOutcome {
  runId: string;
  state: string;
  rtoMs: number | null;
  finishedAt: number;
}

export interface DrillComparison {
  scheduleId: string;
  previousRunId: string;
  previousState: "queued" | "running" | "waiting_approval" | "succeeded" | "failed" | "cancelled";
  previousRtoMs: number | null;
  rtoMs: number | null;
  slowerByPercent: number | null;
  outcomeChanged: boolean;
  regressed: boolean;
}

/** Slower by more than this (percent) than the previous drill is a regression. */
export const SLOWER_LIMIT_PERCENT = 50;

export function compareDrills(
  scheduleId: string,
  previous: DrillOutcome,
  current: DrillOutcome,
): DrillComparison {
  const slowerByPercent =
    previous.rtoMs !== null && current.rtoMs !== null && previous.rtoMs > 0
      ? Math.round(((current.rtoMs - previous.rtoMs) / previous.rtoMs) * 1_000) / 10
      : null;
  const outcomeChanged = previous.state !== current.state;
  return {
    scheduleId,
    previousRunId: previous.runId,
    previousState: previous.state as DrillComparison["previousState"],
    previousRtoMs: previous.rtoMs,
    rtoMs: current.rtoMs,
    slowerByPercent,
    outcomeChanged,
    regressed: outcomeChanged || (slowerByPercent !== null && slowerByPercent > SLOWER_LIMIT_PERCENT),
  };
}

export interface ScheduleSpec {
  id: string;
  runbook: string;
  cron: string;
  tz: string;
  params: Record<string, ParamValue>;
  dryRun: boolean;
  reason?: string;
  /** Notified (POST, JSON) when a drill regresses against the previous one of this schedule. */
  webhook?: string;
}

export interface Schedule extends ScheduleSpec {
  createdBy: string;
  createdAt: number;
  /** Next fire time (epoch ms), null when none. */
  next: number | null;
}

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export class ScheduleService {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly queue: RunQueue,
    /** Whether a webhook URL is under config `http.allow` (default: none is). */
    private readonly allowUrl: (url: string) => boolean = () => false,
  ) {}

  private key(): string {
    return `${this.prefix}:schedules`;
  }

  private historyKey(scheduleId: string): string {
    return `${this.prefix}:schedule-history:${scheduleId}`;
  }

  private comparisonKey(runId: string): string {
    return `${this.prefix}:drill-comparison:${runId}`;
  }

  /**
   * Records a finished drill of a schedule and compares it with the previous one (null for the
   * first). The comparison is kept for the run's report. Recording the same run twice is a no-op.
   */
  async recordDrill(scheduleId: string, current: DrillOutcome): Promise<DrillComparison | null> {
    const known = await this.redis.get(this.comparisonKey(current.runId));
    if (known !== null) return JSON.parse(known) as DrillComparison | null;
    const previousText = await this.redis.lindex(this.historyKey(scheduleId), 0);
    const previous = previousText === null ? null : (JSON.parse(previousText) as DrillOutcome);
    const comparison = previous ? compareDrills(scheduleId, previous, current) : null;
    await this.redis
      .multi()
      .lpush(this.historyKey(scheduleId), JSON.stringify(current))
      .ltrim(this.historyKey(scheduleId), 0, 99)
      .set(this.comparisonKey(current.runId), JSON.stringify(comparison))
      .exec();
    return comparison;
  }

  /** The comparison recorded for a scheduled drill; null when none (not scheduled, or the first). */
  async comparisonOf(runId: string): Promise<DrillComparison | null> {
    const text = await this.redis.get(this.comparisonKey(runId));
    return text === null ? null : (JSON.parse(text) as DrillComparison | null);
  }

  /**
   * What the worker calls when a run settles: for a schedule's run, compare and, on a regression,
   * POST {event, schedule, runbook, runId, comparison} to the schedule's webhook. A webhook not
   * under `http.allow` is refused and logged, never called.
   */
  async onRunSettled(run: RunRecord, meta: RunMeta, logger: Logger, signal?: AbortSignal): Promise<void> {
    if (meta.scheduleId === undefined || run.finishedAt === undefined) return;
    const comparison = await this.recordDrill(meta.scheduleId, {
      runId: run.id,
      state: run.state,
      rtoMs: run.startedAt !== undefined ? run.finishedAt - run.startedAt : null,
      finishedAt: run.finishedAt,
    });
    if (!comparison?.regressed) return;
    const schedule = await this.get(meta.scheduleId);
    const log = logger.child({ scheduleId: meta.scheduleId, runId: run.id });
    if (!schedule?.webhook) {
      log.warn({ comparison }, "game day regressed; the schedule has no webhook");
      return;
    }
    if (!this.allowUrl(schedule.webhook)) {
      log.error(
        { webhook: schedule.webhook },
        "game day regressed; webhook not under http.allow, not called",
      );
      return;
    }
    const body = {
      event: "gameday.regressed",
      schedule: meta.scheduleId,
      runbook: run.runbook.metadata.name,
      runId: run.id,
      state: run.state,
      comparison,
    };
    try {
      const res = await fetch(schedule.webhook, {
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": "switchover" },
        body: JSON.stringify(body),
        redirect: "error",
        signal: AbortSignal.any([...(signal ? [signal] : []), AbortSignal.timeout(10_000)]),
      });
      await res.body?.cancel();
      log.info({ status: res.status }, "game day regression posted to the schedule's webhook");
    } catch (err) {
      log.error({ err: err instanceof Error ? err.message : String(err) }, "game day webhook failed");
    }
  }

  async upsert(spec: ScheduleSpec, by: string, now = Date.now()): Promise<Schedule> {
    if (!validTimeZone(spec.tz)) {
      throw new SwitchoverError(ErrorCode.Validation, `unknown time zone ${spec.tz}`, {
        details: {
          problems: [{ path: "body.tz", message: "expected an IANA time zone such as Europe/Paris" }],
        },
      });
    }
    if (spec.webhook !== undefined && !this.allowUrl(spec.webhook)) {
      throw new SwitchoverError(
        ErrorCode.Validation,
        `webhook ${spec.webhook} is not under any http.allow prefix`,
        {
          details: {
            problems: [
              { path: "body.webhook", message: "not under any http.allow prefix in the environment config" },
            ],
          },
        },
      );
    }
    const fields = spec.cron.trim().split(/\s+/);
    if (fields.length < 5 || fields.length > 6) {
      throw new SwitchoverError(ErrorCode.Validation, `cron pattern must have 5 or 6 fields`, {
        details: { problems: [{ path: "body.cron", message: "expected 5 or 6 space-separated fields" }] },
      });
    }
    const data: ScheduleJobData = {
      scheduleId: spec.id,
      runbook: spec.runbook,
      params: spec.params,
      dryRun: spec.dryRun,
      createdBy: by,
      ...(spec.reason !== undefined ? { reason: spec.reason } : {}),
    };
    try {
      await this.queue.queue.upsertJobScheduler(
        spec.id,
        { pattern: spec.cron, tz: spec.tz },
        {
          name: SCHEDULE_JOB,
          data,
          opts: { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } },
        },
      );
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new SwitchoverError(ErrorCode.Validation, `invalid cron pattern "${spec.cron}": ${message}`, {
        details: { problems: [{ path: "body.cron", message }] },
      });
    }
    const stored = { ...spec, createdBy: by, createdAt: now };
    await this.redis.hset(this.key(), spec.id, JSON.stringify(stored));
    return { ...stored, next: await this.nextOf(spec.id) };
  }

  async list(): Promise<Schedule[]> {
    const all = await this.redis.hgetall(this.key());
    const schedulers = await this.queue.queue.getJobSchedulers(0, -1, true);
    const next = new Map(schedulers.map((s) => [s.key, s.next ?? null]));
    return Object.values(all)
      .map((text) => JSON.parse(text) as Omit<Schedule, "next">)
      .map((s) => ({ ...s, next: next.get(s.id) ?? null }))
      .sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  async get(id: string): Promise<Omit<Schedule, "next"> | undefined> {
    const text = await this.redis.hget(this.key(), id);
    return text === null ? undefined : (JSON.parse(text) as Omit<Schedule, "next">);
  }

  /** False when there was no such schedule. */
  async remove(id: string): Promise<boolean> {
    const removed = await this.queue.queue.removeJobScheduler(id);
    const deleted = await this.redis.hdel(this.key(), id);
    return removed || deleted > 0;
  }

  private async nextOf(id: string): Promise<number | null> {
    const s = await this.queue.queue.getJobScheduler(id);
    return s?.next ?? null;
  }
}
