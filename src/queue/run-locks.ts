// One owner of a real run's target locks, from creation to terminal state: taken when the run is
// created (or retried), re-taken by the worker that drives it (a new fence), given back once the
// run is terminal. Dry-runs and runs without targets hold nothing. The terminal predicate a lock
// holder is judged by is `holderState`, here and nowhere else.
import { ErrorCode, SwitchoverError } from "../engine/errors.js";
import type { StoreClaim } from "../engine/ports/run-fence.js";
import type { RunRecord } from "../engine/run-record.js";
import { isTerminalRun } from "../engine/states.js";
import type { RunMetaStore } from "./run-meta.js";
import type { LockHolderInfo, TargetLocks } from "./target-lock.js";

/** What lock timing and contention are reported to (the service's metrics). */
export interface LockObserver {
  lockResult(outcome: "acquired" | "conflict", seconds: number, target?: string): void;
}

export type HolderState = "active" | "done" | "missing";

/** A finished run holds nothing: its locks are stale and may be reclaimed; a vanished one too, later. */
export function holderState(run: Pick<RunRecord, "state"> | undefined): HolderState {
  if (!run) return "missing";
  return isTerminalRun(run.state) ? "done" : "active";
}

/** What the worker may do with a run it is about to drive. */
export type DriveClaim =
  | { outcome: "claimed"; claims: readonly StoreClaim[] }
  | { outcome: "held"; holder: LockHolderInfo }
  /** The run became terminal meanwhile (a cancel, an expiry): nothing is held for it. */
  | { outcome: "finished"; run: RunRecord };

export interface RunLocksDeps {
  locks: Pick<TargetLocks, "acquire" | "release">;
  meta: Pick<RunMetaStore, "get">;
  runs: { get(runId: string): Promise<RunRecord | undefined> };
  observer?: LockObserver;
}

export class RunLocks {
  constructor(private readonly d: RunLocksDeps) {}

  /** Takes every target for the run, or none and throws TARGET_LOCKED naming the holder. */
  async take(targets: readonly string[], runId: string): Promise<void> {
    if (targets.length === 0) return;
    const t0 = performance.now();
    const result = await this.d.locks.acquire(targets, runId);
    const seconds = (performance.now() - t0) / 1_000;
    if (result.ok) {
      this.d.observer?.lockResult("acquired", seconds);
      return;
    }
    const h = result.holder;
    this.d.observer?.lockResult("conflict", seconds, h.target);
    throw new SwitchoverError(
      ErrorCode.TargetLocked,
      `${h.target} is held by real run ${h.runId}; one real run per target at a time (dry-runs never block)`,
      { details: { runId: h.runId, lockHolder: { runId: h.runId, target: h.target, since: h.since } } },
    );
  }

  /** Undoes `take` when the run could not be created, queued or retried after all. */
  async giveBack(targets: readonly string[], runId: string): Promise<void> {
    if (targets.length > 0) await this.d.locks.release(targets, runId);
  }

  /**
   * Re-takes a real run's targets for the worker about to drive it; the grant fences every save.
   * A run that is terminal by the time the locks are granted gives them straight back: a job
   * delivered again, or a cancel that landed between reading the run and locking, never re-holds.
   */
  async claimForDriving(run: RunRecord): Promise<DriveClaim> {
    if (holderState(run) !== "active") return { outcome: "finished", run };
    const { targets } = await this.d.meta.get(run.id);
    if (run.dryRun || targets.length === 0) return { outcome: "claimed", claims: [] };
    const lock = await this.d.locks.acquire(targets, run.id);
    if (!lock.ok) return { outcome: "held", holder: lock.holder };
    const now = await this.d.runs.get(run.id);
    if (holderState(now) !== "active") {
      await this.d.locks.release(targets, run.id);
      return { outcome: "finished", run: now ?? run };
    }
    return { outcome: "claimed", claims: lock.claims };
  }

  /** Gives a terminal run's targets back (safe to repeat: only keys this run holds are deleted). */
  async settle(run: RunRecord): Promise<void> {
    if (holderState(run) === "active") return;
    const { targets } = await this.d.meta.get(run.id);
    await this.giveBack(targets, run.id);
  }
}
