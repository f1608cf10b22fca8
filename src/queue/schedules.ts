// Game-day schedules: BullMQ job schedulers (cron + time zone) on the run queue whose jobs start a
// runbook; what was asked (params, mode, who) is kept beside them for listing.
import type { Redis } from "ioredis";
import type { ParamValue } from "../engine/runbook/model.js";
import { ErrorCode, SwitchoverError } from "../engine/errors.js";
import { SCHEDULE_JOB } from "./run-queue.js";
import type { RunQueue, ScheduleJobData } from "./run-queue.js";

export interface ScheduleSpec {
  id: string;
  runbook: string;
  cron: string;
  tz: string;
  params: Record<string, ParamValue>;
  dryRun: boolean;
  reason?: string;
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
  ) {}

  private key(): string {
    return `${this.prefix}:schedules`;
  }

  async upsert(spec: ScheduleSpec, by: string, now = Date.now()): Promise<Schedule> {
    if (!validTimeZone(spec.tz)) {
      throw new SwitchoverError(ErrorCode.Validation, `unknown time zone ${spec.tz}`, {
        details: {
          problems: [{ path: "body.tz", message: "expected an IANA time zone such as Europe/Paris" }],
        },
      });
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
