// Drives one run through its steps: plan → (approval) → apply → verify, persisting every transition
// before acting on it, so that a process killed at any point resumes from the last persisted phase.
// A run executed under a fence (the worker's lease and target locks, see ports/run-fence.ts) stops
// as soon as the fence is lost: no further adapter call, save or audit entry from this process.
import { approvalRequest, decideGate, POLICY_NONE_APPROVER } from "./approval-policy.js";
import { canonicalHash } from "./canonical-hash.js";
import { parseDurationMs } from "./duration.js";
import { ErrorCode, SwitchoverError, toErrorRecord, toSwitchoverError } from "./errors.js";
import { evaluateExpression, truthy } from "./expression/evaluate-expression.js";
import { fenceAdapters } from "./fenced-adapters.js";
import { parseExpression } from "./expression/parse-expression.js";
import { resolveTree } from "./expression/template.js";
import type { JsonValue } from "./json.js";
import type { AuditEvent } from "./ports/audit-sink.js";
import { abortError } from "./ports/clock.js";
import { RunFenceLost } from "./ports/run-fence.js";
import type { RunFence } from "./ports/run-fence.js";
import { RunVersionConflict } from "./ports/run-store.js";
import type { SaveOptions } from "./ports/run-store.js";
import type { EngineResources } from "./resources.js";
import { decideRetry, describeDecision } from "./retry.js";
import type { RecordedPlan, RunRecord, StepRecord } from "./run-record.js";
import type { StepSpec } from "./runbook/model.js";
import { scopeOf } from "./scope.js";
import { describeTarget, targetsOfInput } from "./step-targets.js";
import { zodMessage } from "./runbook/validate-runbook.js";
import { assertRunTransition, assertStepTransition, isTerminalRun, isTerminalStep } from "./states.js";
import type { RunState, StepState } from "./states.js";
import type { AdapterMap, AnyStep, StepContext, StepPlan } from "./step-contract.js";

/** Thrown inside the executor when the run was cancelled; carries nothing, the store has the truth. */
class RunCancelled extends Error {}

type Phase = "plan" | "apply" | "verify";

export class RunExecutor {
  private readonly schemas = new WeakMap<AnyStep, ReturnType<AnyStep["input"]>>();
  /** The fence of each run executing in this process (runs executed without one are absent). */
  private readonly fences = new Map<string, RunFence>();

  constructor(private readonly res: EngineResources) {}

  /**
   * Runs until the run is terminal or parked for approval. Safe to call again after a crash. With a
   * fence, throws RunFenceLost (having recorded nothing more) once this process no longer owns the run.
   */
  async execute(runId: string, signal: AbortSignal, fence?: RunFence): Promise<RunRecord> {
    if (!fence) return this.drive(runId, signal);
    this.fences.set(runId, fence);
    try {
      return await this.drive(runId, signal);
    } finally {
      this.fences.delete(runId);
    }
  }

  private async drive(runId: string, signal: AbortSignal): Promise<RunRecord> {
    let run = await this.load(runId);
    if (isTerminalRun(run.state) || run.state === "waiting_approval") return run;
    try {
      if (run.cancelRequest) throw new RunCancelled();
      if (run.state === "queued") {
        run = await this.transitionRun(run, "running", (r) => {
          r.startedAt ??= this.res.clock.now();
        });
      }
      for (let i = 0; i < run.steps.length; i++) {
        if (signal.aborted) throw new RunCancelled();
        run = await this.runStep(run, i, signal);
        if (run.state !== "running") return run;
      }
      const failed = run.steps.filter((s) => s.state === "failed").map((s) => s.id);
      return await this.transitionRun(run, "succeeded", (r) => {
        r.finishedAt = this.res.clock.now();
        if (failed.length > 0) {
          r.error = {
            code: "STEPS_FAILED_CONTINUED",
            message: `steps ${failed.join(", ")} failed with onFailure: continue`,
            retryable: false,
          };
        }
      });
    } catch (err) {
      const lost = fenceLost(err, signal);
      if (lost) throw lost;
      if (err instanceof RunCancelled || signal.aborted) return this.finishCancelled(runId);
      throw err;
    }
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
      const phase = this.phaseOf(step);
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
        run = await this.onStepError(await this.load(run.id), i, spec, phase, toSwitchoverError(err));
        if (run.state !== "running") return run;
      }
      if (stateBefore !== "applying" && run.steps[i]!.state === "applying") enteredApplying = true;
    }
  }

  private phaseOf(step: StepRecord): Phase {
    return step.state === "applying" ? "apply" : step.state === "verifying" ? "verify" : "plan";
  }

  /** pending → skipped (when is false) or planning. */
  private async start(run: RunRecord, i: number, spec: StepSpec): Promise<RunRecord> {
    if (spec.when !== undefined) {
      const holds = truthy(evaluateExpression(parseExpression(spec.when), scopeOf(run), spec.when));
      if (!holds) {
        const pinned = run.pin?.plans[spec.id];
        if (pinned && pinned.changes.length > 0) {
          return this.drift(
            run,
            i,
            { hash: "skipped", changes: [] },
            pinned,
            "was planned in the pinned dry-run but is now skipped",
          );
        }
        return this.transitionStep(
          run,
          i,
          "skipped",
          (s) => {
            s.skipReason = `when: ${spec.when} is false`;
            s.finishedAt = this.res.clock.now();
          },
          true,
        );
      }
    }
    return this.transitionStep(run, i, "planning", (s) => {
      s.attempt += 1;
      s.startedAt ??= this.res.clock.now();
    });
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
    const input = this.resolveInput(run, spec, def);
    const t0 = this.res.clock.now();
    const plan = await this.guard(
      spec,
      signal,
      (s) => def.plan(this.context(run, i, def, s), input),
      targetOf(def, input),
    );
    // Timings are the step's own calls; persistence and audit around them are the engine's share.
    const planMs = this.res.clock.now() - t0;
    const recorded: RecordedPlan = {
      changes: plan.changes,
      outputs: plan.outputs,
      hash: canonicalHash(plan.changes),
    };
    await this.audit(
      {
        type: "step.planned",
        runId: run.id,
        stepId: spec.id,
        data: { changes: recorded.changes, hash: recorded.hash },
      },
      true,
    );
    this.res.faults?.reached(run.id, spec.id, "after-plan");
    const patch = (s: StepRecord): void => {
      s.input = input as JsonValue;
      s.plan = recorded;
      s.outputs = { ...recorded.outputs };
      s.timings = { ...s.timings, planMs };
      delete s.retryAt;
    };

    if (run.dryRun) {
      return this.transitionStep(
        run,
        i,
        "succeeded",
        (s) => {
          patch(s);
          s.finishedAt = this.res.clock.now();
        },
        true,
      );
    }
    const pinned = run.pin?.plans[spec.id];
    if (run.pin && (!pinned || pinned.hash !== recorded.hash)) {
      return this.drift(
        run,
        i,
        recorded,
        pinned ?? { hash: "skipped", changes: [] },
        "plan differs from the pinned dry-run",
      );
    }
    if (step.approval?.status === "approved" && step.plan && step.plan.hash !== recorded.hash) {
      // The human approved a specific plan; the world moved while they were deciding.
      return this.drift(run, i, recorded, step.plan, "plan changed while waiting for approval");
    }
    const gate = decideGate(run, i, def.requiresApproval === true, recorded.changes);
    if (gate.outcome === "wait") {
      patch(step);
      const now = this.res.clock.now();
      step.approval = approvalRequest(run, gate.gate, recorded.hash, now, spec.approval?.message);
      await this.audit(
        {
          type: "step.approval",
          runId: run.id,
          stepId: spec.id,
          data: { status: "pending", gate: gate.gate, required: step.approval.required ?? 1 },
        },
        true,
      );
      return this.transitionRun(run, "waiting_approval", undefined, [i]);
    }
    if (gate.outcome === "pass") {
      await this.audit(
        {
          type: "step.approval",
          runId: run.id,
          stepId: spec.id,
          actor: POLICY_NONE_APPROVER,
          data: { status: "approved", policy: "none" },
        },
        true,
      );
    }
    return this.transitionStep(run, i, "applying", (s) => {
      patch(s);
      if (gate.outcome === "pass") {
        const at = this.res.clock.now();
        s.approval = {
          status: "approved",
          gate: "runbook",
          by: POLICY_NONE_APPROVER,
          at,
          planHash: recorded.hash,
        };
      }
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
    const plan = this.planOf(step);
    const t0 = this.res.clock.now();
    const faults = this.res.faults;
    faults?.reached(run.id, spec.id, "before-apply");
    const applyTry = step.applyTries ?? 1;
    // Resumed after a crash: if this very try was applied and audited before the process died
    // (between the audit write and the run record's), it is done — apply nor audit it again.
    const recorded = firstApply
      ? undefined
      : (await this.res.audit.recordedApplies?.(run.id, spec.id))?.find((r) => r.applyTry === applyTry);
    let before: JsonValue;
    let first = firstApply;
    let applyMs = 0;
    if (recorded) {
      before = (recorded.before ?? null) as JsonValue;
      first = recorded.firstApply === true;
    } else {
      const fence = this.fences.get(run.id);
      // Proven with the store right before the world is touched: a worker that stalled until its
      // lease moved on (another worker may have applied this very step already) stops here.
      await fence?.confirm();
      before = await this.guard(
        spec,
        signal,
        (s) => {
          const ctx = this.context(run, i, def, s);
          if (faults) ctx.adapters = faults.wrapApply(run.id, spec.id, ctx.adapters);
          if (fence) ctx.adapters = fenceAdapters(ctx.adapters, () => fence.check());
          return def.apply(ctx, plan, step.input);
        },
        targetOf(def, step.input),
      );
      applyMs = this.res.clock.now() - t0;
      faults?.applyDone(run.id, spec.id);
      faults?.reached(run.id, spec.id, "after-apply");
      // The apply happened; record it only while still the owner (else the new owner does).
      await fence?.confirm();
      await this.audit({
        type: "step.applied",
        runId: run.id,
        stepId: spec.id,
        data: { changes: plan.changes, before: before ?? null, applyTry, firstApply },
      });
      faults?.reached(run.id, spec.id, "after-applied-audit");
    }
    return this.transitionStep(run, i, "verifying", (s) => {
      // Only a first, uninterrupted apply saw the true before-state. A repeated apply (after a
      // crash or a failed try) may see its own earlier writes, so it records null and revert
      // falls back to the plan's "from" values, persisted before any apply began.
      if (s.before === undefined) s.before = first ? (before ?? null) : null;
      if (!first) s.applyRepeated = true;
      s.timings = { ...s.timings, applyMs };
      delete s.retryAt;
    });
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
    const extra = await this.guard(
      spec,
      signal,
      (s) => def.verify(this.context(run, i, def, s), step.input, plan),
      targetOf(def, step.input),
    );
    const verifyMs = this.res.clock.now() - t0;
    this.res.faults?.reached(run.id, spec.id, "after-verify");
    return this.transitionStep(
      run,
      i,
      "succeeded",
      (s) => {
        if (extra) s.outputs = { ...s.outputs, ...extra };
        s.timings = { ...s.timings, verifyMs };
        s.finishedAt = this.res.clock.now();
        delete s.retryAt;
      },
      true,
    );
  }

  private async onStepError(
    run: RunRecord,
    i: number,
    spec: StepSpec,
    phase: Phase,
    error: SwitchoverError,
  ): Promise<RunRecord> {
    if (isTerminalStep(run.steps[i]!.state) || isTerminalRun(run.state)) return run;
    if (run.steps[i]!.state === "pending") {
      // A failing `when` fails the step from planning: steps never jump from pending to failed.
      run = await this.transitionStep(run, i, "planning", (s) => {
        s.attempt += 1;
        s.startedAt ??= this.res.clock.now();
      });
    }
    const step = run.steps[i]!;
    const decision = decideRetry(error, step.attempt, spec.retry);
    this.res.logger.warn(
      { runId: run.id, stepId: spec.id, attempt: step.attempt, phase, code: error.code },
      `step ${phase} failed: ${error.message}; ${describeDecision(decision)}`,
    );
    if (decision.outcome === "retry") {
      const retryAt = this.res.clock.now() + decision.delayMs;
      const mutate = (s: StepRecord): void => {
        s.attempt = decision.attempt;
        s.retryAt = retryAt;
        s.error = toErrorRecord(error);
        if (s.state !== "planning") s.applyTries = (s.applyTries ?? 0) + 1;
      };
      // A failed verify re-applies the same plan (apply converges); plan and apply retry in place.
      if (step.state === "verifying") return this.transitionStep(run, i, "applying", mutate);
      mutate(step);
      return this.persist(run, [i]);
    }
    run = await this.transitionStep(run, i, "failed", (s) => {
      s.error = toErrorRecord(error);
      s.finishedAt = this.res.clock.now();
      delete s.retryAt;
    });
    if (spec.onFailure === "continue") return run;
    return this.transitionRun(run, "failed", (r) => {
      r.finishedAt = this.res.clock.now();
      r.error = { ...toErrorRecord(error), details: { ...error.details, stepId: spec.id, phase } };
    });
  }

  private async drift(
    run: RunRecord,
    i: number,
    actual: RecordedPlan | { hash: string; changes: RecordedPlan["changes"] },
    expected: { hash: string; changes: RecordedPlan["changes"] },
    why: string,
  ): Promise<RunRecord> {
    const spec = run.runbook.steps[i]!;
    const report = {
      stepId: spec.id,
      pinnedRunId: run.pin?.runId ?? run.id,
      expectedHash: expected.hash,
      actualHash: actual.hash,
      expected: expected.changes,
      actual: actual.changes,
    };
    const error = new SwitchoverError(ErrorCode.PlanDrift, `step ${spec.id}: ${why}; nothing was applied`, {
      details: { drift: report as unknown as JsonValue },
    });
    await this.audit({ type: "run.drift", runId: run.id, stepId: spec.id, data: { ...report } }, true);
    const target: StepState = run.steps[i]!.state === "pending" ? "skipped" : "failed";
    run = await this.transitionStep(run, i, target, (s) => {
      if ("outputs" in actual) s.plan = actual;
      s.error = toErrorRecord(error);
      s.finishedAt = this.res.clock.now();
    });
    return this.transitionRun(run, "failed", (r) => {
      r.drift = report;
      r.error = toErrorRecord(error);
      r.finishedAt = this.res.clock.now();
    });
  }

  private resolveInput(run: RunRecord, spec: StepSpec, def: AnyStep): unknown {
    const raw = spec.literal ? spec.with : resolveTree(spec.with, scopeOf(run));
    const parsed = this.schemaOf(def).safeParse(raw);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => ({
        path: ["with", ...i.path].join("."),
        message: zodMessage(i),
      }));
      throw new SwitchoverError(
        ErrorCode.StepInputInvalid,
        `step ${spec.id} input is invalid: ${problems.map((p) => `${p.path}: ${p.message}`).join("; ")}`,
        { details: { problems } },
      );
    }
    return parsed.data;
  }

  /** Input schemas are built once per kind: building (and zod's first-parse compile) is costly. */
  private schemaOf(def: AnyStep): ReturnType<AnyStep["input"]> {
    let schema = this.schemas.get(def);
    if (!schema) {
      schema = def.input(this.res.targets);
      this.schemas.set(def, schema);
    }
    return schema;
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

  private context(run: RunRecord, i: number, def: AnyStep, signal: AbortSignal): StepContext {
    const step = run.steps[i]!;
    const adapters: Partial<AdapterMap> = {};
    for (const name of def.adapters) {
      const adapter = this.res.adapters[name];
      if (adapter === undefined) {
        throw new SwitchoverError(
          ErrorCode.Internal,
          `step kind ${def.kind} needs adapter "${String(name)}", which is not configured`,
        );
      }
      (adapters as Record<string, unknown>)[name] = adapter;
    }
    return {
      runId: run.id,
      stepId: step.id,
      attempt: step.attempt,
      dryRun: run.dryRun,
      logger: this.res.logger.child({ runId: run.id, stepId: step.id, attempt: step.attempt }),
      signal,
      clock: this.res.clock,
      targets: this.res.targets,
      scope: scopeOf(run),
      adapters: adapters as AdapterMap,
    };
  }

  /**
   * Runs a step phase under the step's timeout and the run's cancellation. The engine stops
   * waiting as soon as either fires, even if the step ignores its signal.
   */
  private async guard<T>(
    spec: StepSpec,
    runSignal: AbortSignal,
    fn: (signal: AbortSignal) => Promise<T>,
    on?: string,
  ): Promise<T> {
    if (runSignal.aborted) throw abortError(runSignal);
    const stepCtl = new AbortController();
    const timerCtl = spec.timeout !== undefined ? new AbortController() : undefined;
    const onRunAbort = (): void => stepCtl.abort(runSignal.reason);
    runSignal.addEventListener("abort", onRunAbort, { once: true });
    try {
      const aborted = new Promise<never>((_, reject) => {
        stepCtl.signal.addEventListener("abort", () => reject(abortError(stepCtl.signal)), { once: true });
      });
      const racers: Promise<T>[] = [fn(stepCtl.signal), aborted];
      if (timerCtl) {
        racers.push(
          this.res.clock.sleep(parseDurationMs(spec.timeout!), timerCtl.signal).then(() => {
            const err = new SwitchoverError(
              ErrorCode.Timeout,
              `step ${spec.id} timed out after ${spec.timeout}${on ? ` (${spec.uses} on ${on})` : ""}`,
              { details: { timeout: spec.timeout!, ...(on ? { target: on } : {}) } },
            );
            stepCtl.abort(err);
            throw err;
          }),
        );
      }
      return await Promise.race(racers);
    } finally {
      timerCtl?.abort();
      runSignal.removeEventListener("abort", onRunAbort);
    }
  }

  private async finishCancelled(runId: string): Promise<RunRecord> {
    for (;;) {
      const run = await this.load(runId);
      if (isTerminalRun(run.state)) return run;
      const now = this.res.clock.now();
      for (const step of run.steps) {
        if (step.state === "planning" || step.state === "applying" || step.state === "verifying") {
          const from = step.state;
          step.state = "failed";
          step.error = { code: ErrorCode.Cancelled, message: "run cancelled", retryable: false };
          step.finishedAt = now;
          await this.audit({ type: "step.transition", runId, stepId: step.id, from, to: "failed" });
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
      try {
        this.fences.get(runId)?.check();
        const saved = await this.res.store.save(run, this.saveOptions(runId));
        await this.audit({
          type: "run.transition",
          runId,
          from,
          to: "cancelled",
          actor: run.cancelRequest?.by,
        });
        return saved;
      } catch (err) {
        if (!(err instanceof RunVersionConflict)) throw err;
      }
    }
  }

  /**
   * Persists one step transition. With `startNext`, a step that just finished and an unconditional
   * next step entering planning are written in one save: both transitions are still persisted
   * before anything acts on them, with one round trip instead of two.
   */
  private async transitionStep(
    run: RunRecord,
    i: number,
    to: StepState,
    mutate?: (s: StepRecord) => void,
    startNext = false,
  ): Promise<RunRecord> {
    const step = run.steps[i]!;
    const from = step.state;
    assertStepTransition(step.id, from, to);
    step.state = to;
    mutate?.(step);
    const changed = [i];
    const next = run.steps[i + 1];
    const nextSpec = run.runbook.steps[i + 1];
    const chain =
      startNext &&
      next?.state === "pending" &&
      nextSpec?.when === undefined &&
      next.retryAt === undefined &&
      run.cancelRequest === undefined;
    if (chain) {
      assertStepTransition(next.id, "pending", "planning");
      next.state = "planning";
      next.attempt += 1;
      next.startedAt ??= this.res.clock.now();
      changed.push(i + 1);
    }
    const saved = await this.persist(run, changed);
    await this.audit({ type: "step.transition", runId: run.id, stepId: step.id, from, to });
    if (chain) {
      await this.audit({
        type: "step.transition",
        runId: run.id,
        stepId: next.id,
        from: "pending",
        to: "planning",
      });
    }
    return saved;
  }

  /** changedSteps: steps mutated along with the run since the last save (usually none). */
  private async transitionRun(
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
  private async persist(run: RunRecord, changedSteps: number[]): Promise<RunRecord> {
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

  private async load(runId: string): Promise<RunRecord> {
    const run = await this.res.store.get(runId);
    if (!run) throw new SwitchoverError(ErrorCode.NotFound, `run ${runId} not found`, { details: { runId } });
    return run;
  }

  /**
   * Entries that follow a save record what that save (which proved the fence) committed: they are
   * always written. Entries written ahead of their save pass `fenced` and need the fence to hold.
   */
  private async audit(event: Omit<AuditEvent, "at">, fenced = false): Promise<void> {
    if (fenced) this.fences.get(event.runId)?.check();
    await this.res.audit.append({ at: this.res.clock.now(), ...event });
  }
}

/** The fence loss behind err (or behind the run's abort), if that is what ended the phase. */
function fenceLost(err: unknown, signal: AbortSignal): RunFenceLost | undefined {
  if (err instanceof RunFenceLost) return err;
  const reason: unknown = signal.reason;
  return signal.aborted && reason instanceof RunFenceLost ? reason : undefined;
}

/** The first target the step declares its input names ("cluster dc1"…), for a precise timeout message. */
function targetOf(def: AnyStep, input: unknown): string | undefined {
  const first = targetsOfInput(def.targets, input)[0];
  return first ? describeTarget(first) : undefined;
}
