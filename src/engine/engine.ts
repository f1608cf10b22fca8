// The run engine's front object: create runs (dry-run, real, pinned, revert), drive them, and the
// human commands (approve, reject, cancel, retry, skip). No HTTP, queue or adapter inside: only ports.
import { randomUUID } from "node:crypto";
import { decideApproval, decideSkip, expiredRequest, isGate } from "./approval-policy.js";
import type { ApproveRequest } from "./approval-policy.js";
import { canonicalHash } from "./canonical-hash.js";
import { ErrorCode, SwitchoverError } from "./errors.js";
import type { AuditEvent } from "./ports/audit-sink.js";
import type { RunFence } from "./ports/run-fence.js";
import { RunVersionConflict } from "./ports/run-store.js";
import type { EngineResources } from "./resources.js";
import { buildRevertRunbook } from "./revert.js";
import type { RunApprovalPolicy, RunRecord } from "./run-record.js";
import { RunExecutor } from "./run-executor.js";
import type { Runbook } from "./runbook/model.js";
import { resolveParams } from "./runbook/params.js";
import { assertRunTransition, assertStepTransition, isTerminalRun } from "./states.js";

export interface CreateRunRequest {
  runbook: Runbook;
  params?: unknown;
  /** Dry-run is the default: a real run says so. */
  dryRun?: boolean;
  /** Id of a succeeded dry-run of the same runbook and params whose plans this run must match. */
  fromPlan?: string;
  requestedBy?: string;
  reason?: string;
  id?: string;
  /** Set by createRevert: the run this one undoes. */
  revertOf?: string;
  /** The server's approval policy (config service.approvals); without one only runbook gates wait. */
  approvalPolicy?: RunApprovalPolicy;
}

export interface Actor {
  by?: string;
  reason?: string;
  comment?: string;
}

export class RunEngine {
  private readonly executor: RunExecutor;
  /** Runs executing in this process, so cancel can abort their in-flight waits at once. */
  private readonly inFlight = new Map<string, AbortController>();

  constructor(private readonly res: EngineResources) {
    this.executor = new RunExecutor(res);
  }

  async createRun(req: CreateRunRequest): Promise<RunRecord> {
    const params = resolveParams(req.runbook.params, req.params);
    const dryRun = req.dryRun ?? true;
    const run: RunRecord = {
      id: req.id ?? this.res.newId?.() ?? randomUUID(),
      version: 0,
      runbook: req.runbook,
      params,
      dryRun,
      state: "queued",
      createdAt: this.res.clock.now(),
      steps: req.runbook.steps.map((s) => ({ id: s.id, uses: s.uses, state: "pending", attempt: 0 })),
    };
    if (req.requestedBy !== undefined) run.requestedBy = req.requestedBy;
    if (req.reason !== undefined) run.reason = req.reason;
    if (req.revertOf !== undefined) run.revertOf = req.revertOf;
    if (req.approvalPolicy !== undefined && !dryRun) run.approvalPolicy = req.approvalPolicy;
    if (req.fromPlan !== undefined) {
      if (dryRun)
        throw new SwitchoverError(ErrorCode.Validation, "fromPlan pins a real run; set dryRun: false");
      run.pin = await this.pinTo(req.fromPlan, run);
    }
    const created = await this.res.store.create(run);
    await this.audit({
      type: "run.created",
      runId: run.id,
      actor: req.requestedBy,
      data: {
        runbook: run.runbook.metadata.name,
        dryRun,
        params,
        fromPlan: req.fromPlan ?? null,
        reason: req.reason ?? null,
      },
    });
    return created;
  }

  /** Builds and creates (queued) the reverse run of a finished real run, from its record. */
  async createRevert(runId: string, opts: Actor & { dryRun?: boolean } = {}): Promise<RunRecord> {
    const original = await this.mustGet(runId);
    const runbook = buildRevertRunbook(original, this.res.catalog);
    return this.createRun({
      runbook,
      dryRun: opts.dryRun ?? true,
      ...(opts.by !== undefined ? { requestedBy: opts.by } : {}),
      reason: opts.reason ?? `revert of ${runId}`,
      revertOf: runId,
    });
  }

  /**
   * Drives the run until it finishes or parks for approval; resumes a run interrupted by a crash.
   * Under a fence (a worker's lease and locks), stops with RunFenceLost once the fence is lost.
   */
  async execute(runId: string, fence?: RunFence): Promise<RunRecord> {
    if (this.inFlight.has(runId)) {
      throw new SwitchoverError(ErrorCode.Conflict, `run ${runId} is already executing in this process`);
    }
    const controller = new AbortController();
    const watcher = new AbortController();
    this.inFlight.set(runId, controller);
    void this.watchForCancel(runId, controller, watcher.signal);
    // A lost fence aborts the in-flight phase at once (its waits, its step's signal).
    const onLost = (): void => controller.abort(fence?.signal.reason);
    if (fence?.signal.aborted) onLost();
    else fence?.signal.addEventListener("abort", onLost, { once: true });
    try {
      return await this.executor.execute(runId, controller.signal, fence);
    } finally {
      fence?.signal.removeEventListener("abort", onLost);
      watcher.abort();
      this.inFlight.delete(runId);
    }
  }

  async list(opts: { limit?: number } = {}): Promise<RunRecord[]> {
    return this.res.store.list(opts);
  }

  /** Aborts the in-flight phase when another process records a cancel request for this run. */
  private async watchForCancel(runId: string, controller: AbortController, stop: AbortSignal): Promise<void> {
    const every = this.res.cancelPollMs ?? 1_000;
    try {
      while (!stop.aborted) {
        await this.res.clock.sleep(every, stop);
        const run = await this.res.store.get(runId);
        if (run?.cancelRequest && !stop.aborted) {
          controller.abort(
            new SwitchoverError(ErrorCode.Cancelled, run.cancelRequest.reason ?? "run cancelled"),
          );
          return;
        }
      }
    } catch (err) {
      // Stopping the watcher rejects its sleep; a store hiccup only delays noticing a cancel,
      // which the next compare-and-set save notices anyway.
      if (!stop.aborted) this.res.logger.warn({ runId, err: String(err) }, "cancel watcher stopped");
    }
  }

  async get(runId: string): Promise<RunRecord | undefined> {
    return this.res.store.get(runId);
  }

  /**
   * One approver's yes to the pending gate (see decideApproval): recorded, and once enough distinct
   * approvers agreed (or an admin broke glass) the run goes back to running and must be executed
   * again. A request past its expiry fails the run instead and throws APPROVAL_EXPIRED.
   */
  async approve(
    runId: string,
    actor: Actor & Omit<ApproveRequest, "by" | "comment"> = {},
  ): Promise<RunRecord> {
    let expired = false;
    const saved = await this.update(runId, async (run) => {
      expired = false;
      const step = this.awaitingApproval(run);
      const now = this.res.clock.now();
      const decision = decideApproval(run, step, actor, now);
      const approval = step.approval!;
      switch (decision.outcome) {
        case "refuse":
          throw decision.error;
        case "expired":
          expired = true;
          return this.failGate(run, step, ErrorCode.ApprovalExpired, "switchover", {
            message: `the request to approve step ${step.id} expired unanswered`,
            status: "rejected",
          });
        case "grant":
        case "approve": {
          const by = actor.by ?? "(unnamed)";
          const grant = {
            by,
            at: now,
            ...(approval.planHash !== undefined ? { planHash: approval.planHash } : {}),
            ...(actor.comment ? { comment: actor.comment } : {}),
          };
          approval.grants = [...(approval.grants ?? []), grant];
          const events: Omit<AuditEvent, "at">[] = [];
          if (decision.outcome === "grant") {
            events.push({
              type: "step.approval",
              runId,
              stepId: step.id,
              actor: actor.by,
              data: { status: "granted", remaining: decision.remaining, planHash: approval.planHash ?? null },
            });
            return events;
          }
          if (decision.breakGlass) {
            const record = { by, at: now, reason: actor.breakGlass!.reason, stepId: step.id };
            approval.breakGlass = record;
            run.breakGlass = [...(run.breakGlass ?? []), record];
            events.push({
              type: "approval.break_glass",
              runId,
              stepId: step.id,
              actor: actor.by,
              data: { reason: record.reason, planHash: approval.planHash ?? null },
            });
          }
          assertRunTransition(run.id, run.state, "running");
          Object.assign(approval, { status: "approved", at: now, ...this.who(actor) });
          run.state = "running";
          events.push(
            {
              type: "step.approval",
              runId,
              stepId: step.id,
              actor: actor.by,
              data: {
                status: "approved",
                approvers: approval.grants.map((g) => g.by),
                planHash: approval.planHash ?? null,
                breakGlass: decision.breakGlass,
              },
            },
            { type: "run.transition", runId, from: "waiting_approval", to: "running", actor: actor.by },
          );
          return events;
        }
      }
    });
    if (expired) {
      throw new SwitchoverError(
        ErrorCode.ApprovalExpired,
        `run ${runId}: the request for approval expired before enough approvers answered; the run failed — start it again for a fresh approval`,
        { details: { runId } },
      );
    }
    return saved;
  }

  /**
   * Fails a parked run whose request for approval expired unanswered (the reconciler's pass);
   * undefined when the run is not (or no longer) such a run.
   */
  async expireApproval(runId: string): Promise<RunRecord | undefined> {
    const run = await this.res.store.get(runId);
    if (!run || !expiredRequest(run, this.res.clock.now())) return undefined;
    return this.update(runId, async (current) => {
      const step = expiredRequest(current, this.res.clock.now());
      if (!step) return [];
      return this.failGate(current, step, ErrorCode.ApprovalExpired, "switchover", {
        message: `the request to approve step ${step.id} expired unanswered`,
        status: "rejected",
      });
    });
  }

  async reject(runId: string, actor: Actor = {}): Promise<RunRecord> {
    return this.update(runId, async (run) => {
      const step = this.awaitingApproval(run);
      return this.failGate(run, step, ErrorCode.ApprovalRejected, actor.by, {
        message: `step ${step.id} was rejected${actor.by ? ` by ${actor.by}` : ""}${actor.comment ? `: ${actor.comment}` : ""}`,
        status: "rejected",
        ...(actor.comment ? { comment: actor.comment } : {}),
      });
    });
  }

  /** Ends a parked gate as failed (rejected or expired): the step and the run fail, nothing applied. */
  private failGate(
    run: RunRecord,
    step: RunRecord["steps"][number],
    code: ErrorCode,
    by: string | undefined,
    how: { message: string; status: "rejected"; comment?: string },
  ): Omit<AuditEvent, "at">[] {
    const now = this.res.clock.now();
    const runId = run.id;
    assertRunTransition(run.id, run.state, "failed");
    assertStepTransition(step.id, step.state, "failed");
    step.approval = {
      ...step.approval!,
      status: how.status,
      at: now,
      ...(by ? { by } : {}),
      ...(how.comment ? { comment: how.comment } : {}),
    };
    step.state = "failed";
    step.finishedAt = now;
    step.error = { code, message: how.message, retryable: false };
    run.state = "failed";
    run.finishedAt = now;
    run.error = { code, message: how.message, retryable: false, details: { stepId: step.id } };
    return [
      {
        type: "step.approval",
        runId,
        stepId: step.id,
        actor: by,
        data: { status: code === ErrorCode.ApprovalExpired ? "expired" : "rejected" },
      },
      { type: "step.transition", runId, stepId: step.id, from: "planning", to: "failed" },
      { type: "run.transition", runId, from: "waiting_approval", to: "failed", actor: by },
    ];
  }

  /**
   * Stops a run. Queued or parked runs end at once; an executing run is marked and its in-flight
   * wait aborted; the executor then records it cancelled.
   */
  async cancel(runId: string, actor: Actor = {}): Promise<RunRecord> {
    const updated = await this.update(runId, async (run) => {
      if (isTerminalRun(run.state)) {
        throw new SwitchoverError(ErrorCode.InvalidTransition, `run ${runId} is already ${run.state}`);
      }
      const now = this.res.clock.now();
      run.cancelRequest = {
        at: now,
        ...(actor.by ? { by: actor.by } : {}),
        ...(actor.reason ? { reason: actor.reason } : {}),
      };
      if (run.state === "running") return [];
      const from = run.state;
      assertRunTransition(run.id, from, "cancelled");
      run.state = "cancelled";
      run.finishedAt = now;
      run.error = { code: ErrorCode.Cancelled, message: actor.reason ?? "run cancelled", retryable: false };
      return [{ type: "run.transition", runId, from, to: "cancelled", actor: actor.by }];
    });
    this.inFlight
      .get(runId)
      ?.abort(new SwitchoverError(ErrorCode.Cancelled, actor.reason ?? "run cancelled"));
    return updated;
  }

  /** Re-queues a failed run from its failed step (the world may have been fixed by hand). */
  async retry(runId: string, actor: Actor & { reason: string }): Promise<RunRecord> {
    return this.update(runId, async (run) => {
      if (run.drift) {
        throw new SwitchoverError(
          ErrorCode.PlanDrift,
          `run ${runId} stopped on drift; review a new dry-run instead`,
        );
      }
      assertRunTransition(run.id, run.state, "queued");
      const events: Omit<AuditEvent, "at">[] = [];
      for (const step of run.steps) {
        if (step.state !== "failed") continue;
        assertStepTransition(step.id, step.state, "pending");
        step.state = "pending";
        delete step.error;
        delete step.finishedAt;
        delete step.approval;
        events.push({
          type: "step.transition",
          runId,
          stepId: step.id,
          from: "failed",
          to: "pending",
          actor: actor.by,
        });
      }
      run.state = "queued";
      delete run.error;
      delete run.finishedAt;
      events.push({
        type: "run.transition",
        runId,
        from: "failed",
        to: "queued",
        actor: actor.by,
        data: { reason: actor.reason },
      });
      return events;
    });
  }

  /**
   * Marks a step skipped (operator decision, reason required); a failed run then continues with
   * retry. Gates are never skipped: only approve or reject moves past one (see isGate).
   */
  async skipStep(
    runId: string,
    stepId: string,
    actor: Actor & {
      reason: string;
      /** The caller holds an approver role (checked by the caller). */ mayApprove?: boolean;
    },
  ): Promise<RunRecord> {
    return this.update(runId, async (run) => {
      const index = run.steps.findIndex((s) => s.id === stepId);
      const step = run.steps[index];
      const spec = run.runbook.steps[index];
      if (!step || !spec) throw new SwitchoverError(ErrorCode.NotFound, `run ${runId} has no step ${stepId}`);
      if (isGate(spec, step, this.res.catalog.get(spec.uses)?.requiresApproval === true)) {
        throw new SwitchoverError(
          ErrorCode.GateNotSkippable,
          `step ${stepId} is an approval gate; gates are never skipped: an approver approves or rejects it${step.approval?.status === "rejected" ? " (it was rejected: retry asks for a fresh approval)" : ""}`,
          { details: { runId } },
        );
      }
      if (isTerminalRun(run.state) && run.state !== "failed") {
        throw new SwitchoverError(
          ErrorCode.InvalidTransition,
          `run ${runId} is ${run.state}; nothing to skip`,
          {
            details: { runId },
          },
        );
      }
      const refused = decideSkip(run, stepId, {
        ...(actor.by !== undefined ? { by: actor.by } : {}),
        mayApprove: actor.mayApprove === true,
      });
      if (refused) throw refused;
      const from = step.state;
      assertStepTransition(stepId, from, "skipped");
      step.state = "skipped";
      step.skipReason = `skipped by ${actor.by ?? "operator"}: ${actor.reason}`;
      step.finishedAt = this.res.clock.now();
      return [
        {
          type: "step.transition",
          runId,
          stepId,
          from,
          to: "skipped",
          actor: actor.by,
          data: { reason: actor.reason },
        },
      ];
    });
  }

  private async pinTo(planRunId: string, run: RunRecord): Promise<NonNullable<RunRecord["pin"]>> {
    const reviewed = await this.res.store.get(planRunId);
    const mismatch = (why: string): SwitchoverError =>
      new SwitchoverError(ErrorCode.PinMismatch, `cannot pin to run ${planRunId}: ${why}`, {
        details: { fromPlan: planRunId },
      });
    if (!reviewed) throw new SwitchoverError(ErrorCode.NotFound, `dry-run ${planRunId} not found`);
    if (!reviewed.dryRun) throw mismatch("it is not a dry-run");
    if (reviewed.state !== "succeeded")
      throw mismatch(`it ${reviewed.state === "failed" ? "failed" : `is ${reviewed.state}`}`);
    if (canonicalHash(reviewed.runbook) !== canonicalHash(run.runbook))
      throw mismatch("the runbook changed since");
    if (canonicalHash(reviewed.params) !== canonicalHash(run.params))
      throw mismatch("params differ from the reviewed plan");
    const plans: NonNullable<RunRecord["pin"]>["plans"] = {};
    for (const s of reviewed.steps) {
      if (s.state === "succeeded" && s.plan) plans[s.id] = { hash: s.plan.hash, changes: s.plan.changes };
    }
    return { runId: planRunId, plans };
  }

  private awaitingApproval(run: RunRecord): RunRecord["steps"][number] {
    const step = run.steps.find((s) => s.approval?.status === "pending");
    if (run.state !== "waiting_approval" || !step) {
      throw new SwitchoverError(
        ErrorCode.InvalidTransition,
        `run ${run.id} is ${run.state}, not waiting for approval`,
      );
    }
    return step;
  }

  private who(actor: Actor): { by?: string; comment?: string } {
    return { ...(actor.by ? { by: actor.by } : {}), ...(actor.comment ? { comment: actor.comment } : {}) };
  }

  /** Read-modify-write with compare-and-set, retried on conflicts with the executor's own saves. */
  private async update(
    runId: string,
    mutate: (run: RunRecord) => Promise<Omit<AuditEvent, "at">[]>,
  ): Promise<RunRecord> {
    for (let tries = 0; ; tries++) {
      const run = await this.mustGet(runId);
      const events = await mutate(run);
      try {
        const saved = await this.res.store.save(run);
        for (const e of events) await this.audit(e);
        return saved;
      } catch (err) {
        if (!(err instanceof RunVersionConflict) || tries >= 20) throw err;
      }
    }
  }

  private async mustGet(runId: string): Promise<RunRecord> {
    const run = await this.res.store.get(runId);
    if (!run) throw new SwitchoverError(ErrorCode.NotFound, `run ${runId} not found`, { details: { runId } });
    return run;
  }

  private async audit(event: Omit<AuditEvent, "at">): Promise<void> {
    await this.res.audit.append({ at: this.res.clock.now(), ...event });
  }
}
