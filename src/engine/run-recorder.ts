// Records a run's progress: every transition is saved (compare-and-set, with the fence's claims)
// before its audit entries are written, and nothing is recorded once the fence is lost. The
// executor decides; this is the one place that writes the run record and its audit trail.
import { ErrorCode, SwitchoverError, toErrorRecord } from "./errors.js";
import type { AuditEvent } from "./ports/audit-sink.js";
import type { RunFence } from "./ports/run-fence.js";
import { RunVersionConflict } from "./ports/run-store.js";
import type { SaveOptions } from "./ports/run-store.js";
import type { EngineResources } from "./resources.js";
import type { RecordedPlan, RunRecord, StepRecord } from "./run-record.js";
import { assertRunTransition, assertStepTransition, isTerminalRun } from "./states.js";
import type { RunState, StepState } from "./states.js";
import { SKIPPED_PLAN, canStartNextWith, driftOf } from "./step-decisions.js";
import type { ComparedPlan } from "./step-decisions.js";

/** Thrown inside the executor when the run was cancelled; carries nothing, the store has the truth. */
export class RunCancelled extends SwitchoverError {
  constructor() {
    super(ErrorCode.Cancelled, "the run was cancelled");
    this.name = "RunCancelled";
  }
}

type Entry = Omit<AuditEvent, "at">;

export class RunRecorder {
  /** The fence of each run executing in this process (runs executed without one are absent). */
  private readonly fences = new Map<string, RunFence>();

  constructor(private readonly res: Pick<EngineResources, "store" | "audit" | "clock">) {}

  /** Records fn's progress under the fence (if any) until it settles. */
  async fenced<T>(runId: string, fence: RunFence | undefined, fn: () => Promise<T>): Promise<T> {
    if (!fence) return fn();
    this.fences.set(runId, fence);
    try {
      return await fn();
    } finally {
      this.fences.delete(runId);
    }
  }

  fenceOf(runId: string): RunFence | undefined {
    return this.fences.get(runId);
  }

  async load(runId: string): Promise<RunRecord> {
    const run = await this.res.store.get(runId);
    if (!run) throw new SwitchoverError(ErrorCode.NotFound, `run ${runId} not found`, { details: { runId } });
    return run;
  }

  beginAttempt(s: StepRecord): void {
    s.attempt += 1;
    s.startedAt ??= this.res.clock.now();
  }

  /** Records the run cancelled (its in-flight step failed), retrying on concurrent saves. */
  async finishCancelled(runId: string): Promise<RunRecord> {
    for (;;) {
      const run = await this.load(runId);
      if (isTerminalRun(run.state)) return run;
      const entries = markCancelled(run, this.res.clock.now());
      try {
        this.fences.get(runId)?.check();
        const saved = await this.res.store.save(run, this.saveOptions(runId));
        for (const e of entries) await this.audit(e);
        return saved;
      } catch (err) {
        if (!(err instanceof RunVersionConflict)) throw err;
      }
    }
  }

  /** Persists one step transition. */
  async transitionStep(
    run: RunRecord,
    i: number,
    to: StepState,
    mutate?: (s: StepRecord) => void,
  ): Promise<RunRecord> {
    const entry = this.moveStep(run, i, to, mutate);
    const saved = await this.persist(run, [i]);
    await this.audit(entry);
    return saved;
  }

  /**
   * Persists a step that just finished and, when it may (canStartNextWith), the next step entering
   * planning, in one save.
   */
  async finishStep(
    run: RunRecord,
    i: number,
    to: "succeeded" | "skipped",
    mutate: (s: StepRecord) => void,
  ): Promise<RunRecord> {
    const entries = [this.moveStep(run, i, to, mutate)];
    const changed = [i];
    if (canStartNextWith(run, i)) {
      entries.push(this.moveStep(run, i + 1, "planning", (s) => this.beginAttempt(s)));
      changed.push(i + 1);
    }
    const saved = await this.persist(run, changed);
    for (const e of entries) await this.audit(e);
    return saved;
  }

  /** One step transition on the record (saved by the caller); returns its audit entry. */
  private moveStep(run: RunRecord, i: number, to: StepState, mutate?: (s: StepRecord) => void): Entry {
    const step = run.steps[i]!;
    const from = step.state;
    assertStepTransition(step.id, from, to);
    step.state = to;
    mutate?.(step);
    return { type: "step.transition", runId: run.id, stepId: step.id, from, to, ...transitionData(step, to) };
  }

  /** changedSteps: steps mutated along with the run since the last save (usually none). */
  async transitionRun(
    run: RunRecord,
    to: RunState,
    mutate?: (r: RunRecord) => void,
    changedSteps: number[] = [],
  ): Promise<RunRecord> {
    const from = run.state;
    assertRunTransition(run.id, from, to);
    run.state = to;
    mutate?.(run);
    const saved = await this.persist(run, changedSteps);
    await this.audit({ type: "run.transition", runId: run.id, from, to });
    return saved;
  }

  /** The fence's claims, which the store checks atomically with the write. */
  private saveOptions(runId: string, changedSteps?: number[]): SaveOptions {
    const claims = this.fences.get(runId)?.claims();
    return { ...(changedSteps ? { changedSteps } : {}), ...(claims ? { claims } : {}) };
  }

  /**
   * Save with compare-and-set (and the fence's claims); a conflict caused by a cancel request ends
   * the run as cancelled.
   */
  async persist(run: RunRecord, changedSteps: number[]): Promise<RunRecord> {
    this.fences.get(run.id)?.check();
    try {
      return await this.res.store.save(run, this.saveOptions(run.id, changedSteps));
    } catch (err) {
      if (err instanceof RunVersionConflict) {
        const fresh = await this.res.store.get(run.id);
        if (fresh?.cancelRequest && !isTerminalRun(fresh.state)) throw new RunCancelled();
      }
      throw err;
    }
  }

  /**
   * Entries that follow a save record what that save (which proved the fence) committed: they are
   * always written. Entries written ahead of their save pass `fenced` and need the fence to hold.
   */
  async audit(event: Entry, fenced = false): Promise<void> {
    if (fenced) this.fences.get(event.runId)?.check();
    await this.res.audit.append({ at: this.res.clock.now(), ...event });
  }

  /** Ends the run on a plan that is not the one reviewed or approved; `planned` is the new plan, if any. */
  async drift(
    run: RunRecord,
    i: number,
    expected: ComparedPlan,
    why: string,
    planned?: RecordedPlan,
  ): Promise<RunRecord> {
    const stepId = run.steps[i]!.id;
    const { report, error } = driftOf(run, stepId, planned ?? SKIPPED_PLAN, expected, why);
    await this.audit({ type: "run.drift", runId: run.id, stepId, data: { ...report } }, true);
    const target: StepState = run.steps[i]!.state === "pending" ? "skipped" : "failed";
    run = await this.transitionStep(run, i, target, (s) => {
      if (planned) s.plan = planned;
      s.error = toErrorRecord(error);
      s.finishedAt = this.res.clock.now();
    });
    return this.transitionRun(run, "failed", (r) => {
      r.drift = report;
      r.error = toErrorRecord(error);
      r.finishedAt = this.res.clock.now();
    });
  }
}

/** Marks the run and its in-flight step cancelled (on the record; saved by the caller); returns the entries. */
function markCancelled(run: RunRecord, now: number): Entry[] {
  const entries: Entry[] = [];
  for (const step of run.steps) {
    if (step.state === "planning" || step.state === "applying" || step.state === "verifying") {
      const from = step.state;
      step.state = "failed";
      step.error = { code: ErrorCode.Cancelled, message: "run cancelled", retryable: false };
      step.finishedAt = now;
      entries.push({
        type: "step.transition",
        runId: run.id,
        stepId: step.id,
        from,
        to: "failed",
        ...transitionData(step, "failed"),
      });
    }
  }
  const from = run.state;
  assertRunTransition(run.id, from, "cancelled");
  run.state = "cancelled";
  run.finishedAt = now;
  run.error = {
    code: ErrorCode.Cancelled,
    message: run.cancelRequest?.reason ?? "run cancelled",
    retryable: false,
  };
  entries.push({
    type: "run.transition",
    runId: run.id,
    from,
    to: "cancelled",
    actor: run.cancelRequest?.by,
  });
  return entries;
}

/**
 * What a step transition's event says beyond from → to, so a live reader (curl, the CLI) sees why
 * without fetching the run: the reason a step was skipped, the error a step failed with.
 */
function transitionData(step: StepRecord, to: StepState): Pick<AuditEvent, "data"> {
  if (to === "skipped" && step.skipReason) return { data: { reason: step.skipReason } };
  if (to === "failed" && step.error) {
    return { data: { error: { code: step.error.code, message: step.error.message } } };
  }
  return {};
}
