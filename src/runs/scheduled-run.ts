// A schedule fires: its runbook starts as a run requested by the schedule's creator (an admin: only
// admins create schedules), so that person can never approve it. A run that cannot start fails the
// schedule's job with the reason, as a CONFLICT the queue does not retry.
import { ErrorCode, SwitchoverError } from "../engine/errors.js";
import type { Logger } from "../engine/ports/logger.js";
import type { ScheduleJobData } from "../queue/run-queue.js";
import type { RunService } from "./run-service.js";

export interface ScheduledRunDeps {
  runs: Pick<RunService, "startRun">;
  /** The stored schedule, for schedules stored before createdBy was kept on the job. */
  schedules: { get(id: string): Promise<{ createdBy?: string } | undefined> };
  logger: Logger;
}

export function scheduledRunStarter(d: ScheduledRunDeps): (data: ScheduleJobData) => Promise<void> {
  return async (data) => {
    const createdBy = data.createdBy ?? (await d.schedules.get(data.scheduleId))?.createdBy;
    const who = { name: createdBy ?? `schedule:${data.scheduleId}`, roles: ["admin" as const] };
    try {
      const started = await d.runs.startRun(
        who,
        data.runbook,
        { params: data.params, dryRun: data.dryRun, ...(data.reason ? { reason: data.reason } : {}) },
        { trigger: "schedule", scheduleId: data.scheduleId },
      );
      d.logger.info({ scheduleId: data.scheduleId, runId: started.run.id }, "schedule fired");
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      d.logger.warn({ scheduleId: data.scheduleId, err: message }, "schedule could not start its run");
      throw new SwitchoverError(ErrorCode.Conflict, message, { cause: err });
    }
  };
}
