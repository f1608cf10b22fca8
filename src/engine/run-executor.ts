// Drives one run through its steps: plan → (approval) → apply → verify, persisting every transition
// before acting on it, so that a process killed at any point resumes from the last persisted phase.
// Each branch is decided by a pure function (step-decisions.ts) and acted on here, in one switch.
// A run executed under a fence (the worker's lease and target locks, see ports/run-fence.ts) stops
// as soon as the fence is lost: no further adapter call, save or audit entry from this process.
import { approvalRequest, POLICY_NONE_APPROVER } from "./approval-policy.js";
import { canonicalHash } from "./canonical-hash.js";
import { ErrorCode, SwitchoverError, toErrorRecord, toSwitchoverError } from "./errors.js";
import { fenceAdapters } from "./fenced-adapters.js";
import type { JsonValue } from "./json.js";
import { guardPhase, targetOf } from "./phase-guard.js";
import { RunFenceLost } from "./ports/run-fence.js";
import type { RunFence } from "./ports/run-fence.js";
import { RunVersionConflict } from "./ports/run-store.js";
import type { EngineResources } from "./resources.js";
import type { RecordedPlan, RunRecord, StepRecord } from "./run-record.js";
import { RunCancelled, RunRecorder } from "./run-recorder.js";
import type { StepSpec } from "./runbook/model.js";
import { isTerminalRun, isTerminalStep } from "./states.js";
import type { AnyStep, StepContext, StepPlan } from "./step-contract.js";
import {
  decideApply,
  decideFailure,
  decidePlanOutcome,
  planFactsOf,
  decideRunEnd,
  decideStart,
  describeFailure,
  unreachable,
} from "./step-decisions.js";
import { stepContext } from "./step-context.js";
import { applyPhase, planPhase, verifyPhase } from "./step-phases.js";
import { StepInputs } from "./step-input.js";

type Phase = "plan" | "apply" | "verify";

export class RunExecutor {
  private readonly inputs: StepInputs;
  private readonly rec: RunRecorder;

  constructor(private readonly res: EngineResources) {
    this.inputs = new StepInputs(res.targets, res.secrets);
    this.rec = new RunRecorder(res);
  }

  /**
   * Runs until the run is terminal or parked for approval. Safe to call again after a crash. With a
   * fence, throws RunFenceLost (having recorded nothing more) once this process no longer owns the run.
   */
  async execute(runId: string, signal: AbortSignal, fence?: RunFence): Promise<RunRecord> {
    return this.rec.fenced(runId, fence, () => this.drive(runId, signal));
  }

  private async drive(runId: string, signal: AbortSignal): Promise<RunRecord> {
    let run = await this.rec.load(runId);
    if (isTerminalRun(run.state) || run.state === "waiting_approval") return run;
    try {
      if (run.cancelRequest) throw new RunCancelled();
      if (run.state === "queued") {
        run = await this.rec.transitionRun(run, "running", (r) => {
          r.startedAt ??= this.res.clock.now();
        });
      }
      for (let i = 0; i < run.steps.length; i++) {
        if (signal.aborted) throw new RunCancelled();
        run = await this.runStep(run, i, signal);
        if (run.state !== "running") return run;
      }
      return await this.finishRun(run);
    } catch (err) {
      const lost = fenceLost(err, signal);
      if (lost) throw lost;
      if (err instanceof RunCancelled || signal.aborted) return this.rec.finishCancelled(runId);
      throw err;
    }
  }

  private async finishRun(run: RunRecord): Promise<RunRecord> {
    const end = decideRunEnd(run);
    return this.rec.transitionRun(run, "succeeded", (r) => {
      r.finishedAt = this.res.clock.now();
      switch (end.outcome) {
        case "succeeded":
          return;
        case "succeeded_with_failures":
          r.error = {
            code: ErrorCode.StepsFailedContinued,
            message: `steps ${end.failed.join(", ")} failed with onFailure: continue`,
            retryable: false,
          };
          return;
        default:
          unreachable(end);
      }
    });
  }

  private async runStep(initial: RunRecord, i: number, signal: AbortSignal): Promise<RunRecord> {
    let run = initial;
    const spec = run.runbook.steps[i]!;
    const def = this.res.catalog.get(spec.uses);
    // Whether this process moved the step into applying: only then is apply's view of "before"
    // known not to include effects of an earlier, interrupted apply.
    let enteredApplying = false;
    for (;;) {
      const step = run.steps[i]!;
      if (isTerminalStep(step.state)) return run;
      const phase = phaseOf(step);
      const stateBefore = step.state;
      try {
        if (!def) {
          throw new SwitchoverError(ErrorCode.UnknownStepKind, `step kind "${spec.uses}" is not registered`);
        }
        if (step.retryAt !== undefined && step.retryAt > this.res.clock.now()) {
          await this.res.clock.sleep(step.retryAt - this.res.clock.now(), signal);
        }
        switch (step.state) {
          case "pending":
            run = await this.start(run, i, spec);
            break;
          case "planning":
            run = await this.plan(run, i, spec, def, signal);
            if (run.state !== "running") return run;
            break;
          case "applying":
            run = await this.apply(run, i, spec, def, signal, enteredApplying && step.applyTries === 1);
            break;
          case "verifying":
            run = await this.verify(run, i, spec, def, signal);
            break;
        }
      } catch (err) {
        const lost = fenceLost(err, signal);
        if (lost) throw lost;
        if (err instanceof RunCancelled || signal.aborted) throw new RunCancelled();
        // Another executor saved this run first: it owns the run now; record nothing.
        if (err instanceof RunVersionConflict) throw err;
        run = await this.onStepError(await this.rec.load(run.id), i, spec, phase, toSwitchoverError(err));
        if (run.state !== "running") return run;
      }
      if (stateBefore !== "applying" && run.steps[i]!.state === "applying") enteredApplying = true;
    }
  }

  /** pending → skipped (when is false), failed on drift, or planning. */
  private async start(run: RunRecord, i: number, spec: StepSpec): Promise<RunRecord> {
    const decision = decideStart(run, spec);
    switch (decision.outcome) {
      case "skip":
        return this.rec.finishStep(run, i, "skipped", (s) => {
          s.skipReason = decision.reason;
          s.finishedAt = this.res.clock.now();
        });
      case "drift":
        return this.rec.drift(run, i, decision.expected, decision.why);
      case "plan":
        return this.rec.transitionStep(run, i, "planning", (s) => this.rec.beginAttempt(s));
      default:
        return unreachable(decision);
    }
  }

  private async plan(
    run: RunRecord,
    i: number,
    spec: StepSpec,
    def: AnyStep,
    signal: AbortSignal,
  ): Promise<RunRecord> {
    const step = run.steps[i]!;
    if (step.approval?.status === "pending") return run;
    this.res.faults?.reached(run.id, spec.id, "before-plan");
    const input = this.inputs.resolve(run, spec, def);
    const t0 = this.res.clock.now();
    const plan = await this.phase(run, i, def, spec, signal, input.value, (ctx) =>
      planPhase(def, ctx, input.value),
    );
    // Timings are the step's own calls; persistence and audit around them are the engine's share.
    const planMs = this.res.clock.now() - t0;
    // Recorded (and hashed) with secret values masked: a webhook URL read from secrets is shown as such.
    const changes = this.inputs.mask(plan.changes);
    const recorded: RecordedPlan = {
      changes,
      outputs: this.inputs.mask(plan.outputs),
      hash: canonicalHash(changes),
    };
    const data = { changes: recorded.changes, hash: recorded.hash };
    await this.rec.audit({ type: "step.planned", runId: run.id, stepId: spec.id, data }, true);
    this.res.faults?.reached(run.id, spec.id, "after-plan");
    const patch = (s: StepRecord): void => {
      s.input = input.recorded;
      s.plan = recorded;
      s.outputs = { ...recorded.outputs };
      s.timings = { ...s.timings, planMs };
      delete s.retryAt;
    };
    const outcome = decidePlanOutcome(planFactsOf(run, i, recorded, def.requiresApproval === true));
    switch (outcome.outcome) {
      case "dry_run_done":
        return this.rec.finishStep(run, i, "succeeded", (s) => {
          patch(s);
          s.finishedAt = this.res.clock.now();
        });
      case "drift":
        return this.rec.drift(run, i, outcome.expected, outcome.why, recorded);
      case "await_approval":
        patch(step);
        step.approval = approvalRequest(
          run,
          outcome.gate,
          recorded.hash,
          this.res.clock.now(),
          spec.approval?.message,
        );
        await this.rec.audit(
          {
            type: "step.approval",
            runId: run.id,
            stepId: spec.id,
            data: { status: "pending", gate: outcome.gate, required: step.approval.required ?? 1 },
          },
          true,
        );
        return this.rec.transitionRun(run, "waiting_approval", undefined, [i]);
      case "apply_by_policy": {
        const actor = POLICY_NONE_APPROVER;
        const data = { status: "approved", policy: "none" };
        await this.rec.audit({ type: "step.approval", runId: run.id, stepId: spec.id, actor, data }, true);
        return this.startApply(run, i, (s) => {
          patch(s);
          s.approval = {
            status: "approved",
            gate: "runbook",
            by: actor,
            at: this.res.clock.now(),
            planHash: recorded.hash,
          };
        });
      }
      case "apply":
        return this.startApply(run, i, patch);
      default:
        return unreachable(outcome);
    }
  }

  private startApply(run: RunRecord, i: number, patch: (s: StepRecord) => void): Promise<RunRecord> {
    return this.rec.transitionStep(run, i, "applying", (s) => {
      patch(s);
      s.applyStartedAt ??= this.res.clock.now();
      s.applyTries = (s.applyTries ?? 0) + 1;
    });
  }

  private async apply(
    run: RunRecord,
    i: number,
    spec: StepSpec,
    def: AnyStep,
    signal: AbortSignal,
    firstApply: boolean,
  ): Promise<RunRecord> {
    const step = run.steps[i]!;
    const t0 = this.res.clock.now();
    this.res.faults?.reached(run.id, spec.id, "before-apply");
    const applyTry = step.applyTries ?? 1;
    const recorded = firstApply
      ? undefined
      : (await this.res.audit.recordedApplies?.(run.id, spec.id))?.find((r) => r.applyTry === applyTry);
    const decision = decideApply(firstApply, recorded);
    let before: JsonValue;
    let applyMs = 0;
    switch (decision.outcome) {
      case "already_applied":
        before = decision.before;
        break;
      case "apply":
        before = await this.applyOnce(run, i, def, spec, signal, applyTry, firstApply);
        applyMs = this.res.clock.now() - t0;
        break;
      default:
        return unreachable(decision);
    }
    return this.rec.transitionStep(run, i, "verifying", (s) => {
      // Only a first, uninterrupted apply saw the true before-state. A repeated apply (after a
      // crash or a failed try) may see its own earlier writes, so it records null and revert
      // falls back to the plan's "from" values, persisted before any apply began.
      if (s.before === undefined) s.before = decision.firstApply ? (before ?? null) : null;
      if (!decision.firstApply) s.applyRepeated = true;
      s.timings = { ...s.timings, applyMs };
      delete s.retryAt;
    });
  }

  /** Calls the step's apply and audits it as applied (with the before-state it returned). */
  private async applyOnce(
    run: RunRecord,
    i: number,
    def: AnyStep,
    spec: StepSpec,
    signal: AbortSignal,
    applyTry: number,
    firstApply: boolean,
  ): Promise<JsonValue> {
    const step = run.steps[i]!;
    const plan = this.planOf(step);
    const faults = this.res.faults;
    const fence = this.rec.fenceOf(run.id);
    // Proven with the store right before the world is touched: a worker that stalled until its
    // lease moved on (another worker may have applied this very step already) stops here.
    await fence?.confirm();
    const input = this.inputs.forApply(run, spec, def, step.input);
    const applied = await this.phase(run, i, def, spec, signal, input, (ctx) => {
      if (faults) ctx.adapters = faults.wrapApply(run.id, spec.id, ctx.adapters);
      if (fence) ctx.adapters = fenceAdapters(ctx.adapters, () => fence.check());
      return applyPhase(def, ctx, plan, input);
    });
    const before = this.inputs.mask(applied);
    faults?.applyDone(run.id, spec.id);
    faults?.reached(run.id, spec.id, "after-apply");
    // The apply happened; record it only while still the owner (else the new owner does).
    await fence?.confirm();
    const data = { changes: plan.changes, before: before ?? null, applyTry, firstApply };
    await this.rec.audit({ type: "step.applied", runId: run.id, stepId: spec.id, data });
    faults?.reached(run.id, spec.id, "after-applied-audit");
    return before;
  }

  private async verify(
    run: RunRecord,
    i: number,
    spec: StepSpec,
    def: AnyStep,
    signal: AbortSignal,
  ): Promise<RunRecord> {
    const step = run.steps[i]!;
    const plan = this.planOf(step);
    const t0 = this.res.clock.now();
    this.res.faults?.reached(run.id, spec.id, "before-verify");
    const input = this.inputs.forApply(run, spec, def, step.input);
    const extra = this.inputs.mask(
      await this.phase(run, i, def, spec, signal, input, (ctx) => verifyPhase(def, ctx, input, plan)),
    );
    const verifyMs = this.res.clock.now() - t0;
    this.res.faults?.reached(run.id, spec.id, "after-verify");
    return this.rec.finishStep(run, i, "succeeded", (s) => {
      if (extra) s.outputs = { ...s.outputs, ...extra };
      s.timings = { ...s.timings, verifyMs };
      s.finishedAt = this.res.clock.now();
      delete s.retryAt;
    });
  }

  private async onStepError(
    run: RunRecord,
    i: number,
    spec: StepSpec,
    phase: Phase,
    error: SwitchoverError,
  ): Promise<RunRecord> {
    if (isTerminalStep(run.steps[i]!.state) || isTerminalRun(run.state)) return run;
    // A failing `when` fails the step from planning: steps never jump from pending to failed.
    if (run.steps[i]!.state === "pending")
      run = await this.rec.transitionStep(run, i, "planning", (s) => this.rec.beginAttempt(s));
    const step = run.steps[i]!;
    const decision = decideFailure(error, step, spec);
    this.res.logger.warn(
      { runId: run.id, stepId: spec.id, attempt: step.attempt, phase, code: error.code },
      this.inputs.mask(`step ${phase} failed: ${error.message}; ${describeFailure(decision)}`),
    );
    const retryIn =
      (delayMs: number, attempt: number) =>
      (s: StepRecord): void => {
        s.attempt = attempt;
        s.retryAt = this.res.clock.now() + delayMs;
        s.error = this.inputs.mask(toErrorRecord(error));
        if (s.state !== "planning") s.applyTries = (s.applyTries ?? 0) + 1;
      };
    switch (decision.outcome) {
      case "retry_in_place":
        retryIn(decision.delayMs, decision.attempt)(step);
        return this.rec.persist(run, [i]);
      case "reapply":
        // A failed verify re-applies the same plan (apply converges).
        return this.rec.transitionStep(run, i, "applying", retryIn(decision.delayMs, decision.attempt));
      case "fail_step":
        return this.failStep(run, i, error);
      case "fail_run":
        run = await this.failStep(run, i, error);
        return this.rec.transitionRun(run, "failed", (r) => {
          r.finishedAt = this.res.clock.now();
          r.error = this.inputs.mask({
            ...toErrorRecord(error),
            details: { ...error.details, stepId: spec.id, phase },
          });
        });
      default:
        return unreachable(decision);
    }
  }

  private failStep(run: RunRecord, i: number, error: SwitchoverError): Promise<RunRecord> {
    return this.rec.transitionStep(run, i, "failed", (s) => {
      s.error = this.inputs.mask(toErrorRecord(error));
      s.finishedAt = this.res.clock.now();
      delete s.retryAt;
    });
  }

  private planOf(step: StepRecord): StepPlan {
    if (!step.plan) {
      throw new SwitchoverError(
        ErrorCode.Internal,
        `step ${step.id} is ${step.state} but has no recorded plan`,
      );
    }
    return { changes: step.plan.changes, outputs: step.plan.outputs };
  }

  /** One call of the step (plan, apply or verify) with its context, under the phase guard. */
  private phase<T>(
    run: RunRecord,
    i: number,
    def: AnyStep,
    spec: StepSpec,
    signal: AbortSignal,
    input: unknown,
    call: (ctx: StepContext) => Promise<T>,
  ): Promise<T> {
    return guardPhase(
      this.res.clock,
      spec,
      signal,
      (s) => call(stepContext(this.res, run, i, def, s)),
      targetOf(def, input),
    );
  }
}

function phaseOf(step: StepRecord): Phase {
  return step.state === "applying" ? "apply" : step.state === "verifying" ? "verify" : "plan";
}

/** The fence loss behind err (or behind the run's abort), if that is what ended the phase. */
function fenceLost(err: unknown, signal: AbortSignal): RunFenceLost | undefined {
  if (err instanceof RunFenceLost) return err;
  const reason: unknown = signal.reason;
  return signal.aborted && reason instanceof RunFenceLost ? reason : undefined;
}
