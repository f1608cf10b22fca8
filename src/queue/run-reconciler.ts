// Safety net for runs nobody will drive: a queued or running run whose lease is free and that has
// no job left (its job failed after repeated worker deaths, or Redis lost it) is enqueued again.
// Runs at worker start and periodically; the lease keeps a duplicate enqueue from executing twice.
// The same pass fails parked runs whose request for approval expired unanswered, so a request
// nobody answered ends the run instead of holding its targets until someone tries to approve it.
import { expiredRequest } from "../engine/approval-policy.js";
import type { RunEngine } from "../engine/engine.js";
import type { Logger } from "../engine/ports/logger.js";
import type { RunLeases } from "./run-lease.js";
import type { RunQueue } from "./run-queue.js";

export interface RunReconcilerDeps {
  engine: RunEngine;
  queue: RunQueue;
  leases: RunLeases;
  logger: Logger;
  /** How many recent runs to look at per pass. */
  scan?: number;
  /** Runs younger than this are left alone: their first job may not be enqueued yet. */
  minAgeMs: number;
  now?: () => number;
}

export class RunReconciler {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: RunReconcilerDeps) {}

  /** One pass; returns the ids of the runs it enqueued again. */
  async reconcile(): Promise<string[]> {
    const runs = await this.deps.engine.list({ limit: this.deps.scan ?? 1_000 });
    const revived: string[] = [];
    const now = (this.deps.now ?? Date.now)();
    const candidates = runs.filter(
      (r) => (r.state === "queued" || r.state === "running") && now - r.createdAt >= this.deps.minAgeMs,
    );
    if (candidates.length === 0) return revived;
    const live = await this.deps.queue.liveRunIds();
    for (const run of candidates) {
      if (live.has(run.id)) continue;
      if ((await this.deps.leases.holder(run.id)) !== null) continue;
      await this.deps.queue.enqueueRun(run.id, `r${run.version}`);
      revived.push(run.id);
    }
    if (revived.length > 0) this.deps.logger.warn({ runs: revived }, "re-enqueued runs that had no live job");
    return revived;
  }

  /** One pass over parked runs; returns the ids of the runs it failed as expired. */
  async expireApprovals(): Promise<string[]> {
    const runs = await this.deps.engine.list({ limit: this.deps.scan ?? 1_000 });
    const now = (this.deps.now ?? Date.now)();
    const expired: string[] = [];
    for (const run of runs) {
      if (!expiredRequest(run, now)) continue;
      if (await this.deps.engine.expireApproval(run.id)) expired.push(run.id);
    }
    if (expired.length > 0)
      this.deps.logger.warn({ runs: expired }, "requests for approval expired unanswered; runs failed");
    return expired;
  }

  start(everyMs: number): this {
    const tick = (): void => {
      this.expireApprovals().catch((err: unknown) =>
        this.deps.logger.warn({ err: String(err) }, "approval expiry pass failed"),
      );
      this.reconcile().catch((err: unknown) =>
        this.deps.logger.warn({ err: String(err) }, "reconcile pass failed"),
      );
    };
    tick();
    this.timer = setInterval(tick, everyMs);
    this.timer.unref();
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
