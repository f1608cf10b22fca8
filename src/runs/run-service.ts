// The run use cases behind the routes: start (idempotent, target-locked for real runs), the human
// commands, revert, reads. Each reads as the flow it implements; HTTP stays in the routes.
import { randomUUID } from "node:crypto";
import type { ApprovalsConfig, Role } from "../config/schema.js";
import { APPROVER_ROLES } from "../engine/approval-policy.js";
import { canonicalHash } from "../engine/canonical-hash.js";
import type { RunEngine } from "../engine/engine.js";
import { ErrorCode, SwitchoverError } from "../engine/errors.js";
import type { RunStore } from "../engine/ports/run-store.js";
import { buildRevertRunbook } from "../engine/revert.js";
import type { RunApprovalPolicy, RunRecord } from "../engine/run-record.js";
import type { ParamValue, Runbook } from "../engine/runbook/model.js";
import { resolveParams } from "../engine/runbook/params.js";
import type { StepCatalog } from "../engine/step-catalog.js";
import type { RunMeta, RunMetaStore, Trigger } from "../queue/run-meta.js";
import type { RunQueue } from "../queue/run-queue.js";
import type { RunLocks } from "../queue/run-locks.js";
import { hasRole } from "./principal.js";
import type { Principal } from "./principal.js";
import type { IdempotencyStore } from "./idempotency.js";
import type { RunbookCatalog } from "./runbook-catalog.js";
import { runTargets } from "./run-targets.js";
import type { TargetUniverse } from "./run-targets.js";
import { BreakGlassNotifier } from "./break-glass-notifier.js";
import { forViewers, toRunSummary, toRunView } from "./run-view.js";
import type { ApprovalContext, RunSummaryView, RunView } from "./run-view.js";

export interface RunServiceDeps {
  engine: RunEngine;
  store: RunStore;
  steps: StepCatalog;
  runbooks: RunbookCatalog;
  queue: RunQueue;
  locks: RunLocks;
  meta: RunMetaStore;
  idempotency: IdempotencyStore;
  universe: TargetUniverse;
  operatorRunbooks: readonly string[];
  /**
   * Throws while Redis has lost state (state-lost): every command here records a change (a run, an
   * audit entry), and none may be written on a store that lost what the audit file proves.
   */
  stateGuard?: { assertIntact(): void };
  /** Waits until a connected Redis replica holds a new run's writes (absent: no waiting). */
  replicaAck?: { confirm(): Promise<void> };
  /** config service.approvals: which real runs wait, for how many approvers, for how long. */
  approvals: Pick<ApprovalsConfig, "required" | "approvers" | "expiresAfterSeconds">;
  /** The configured tokens' names and roles: who a waiting run may be approved by. */
  principals: ApprovalContext["principals"];
  breakGlass: BreakGlassNotifier;
}

export interface ApproveInput {
  comment?: string;
  /** The plan hash the approver read (the run's approval.planHash). */
  planHash?: string;
  /** An admin alone, with a reason: proceed without the second person, loudly. */
  breakGlass?: boolean;
  reason?: string;
}

export interface StartRunInput {
  params?: Record<string, ParamValue>;
  dryRun: boolean;
  fromPlan?: string;
  reason?: string;
}

export interface StartContext {
  trigger: Trigger;
  scheduleId?: string;
  idempotencyKey?: string;
}

export interface Started {
  run: RunView;
  /** True when an earlier request with the same Idempotency-Key created it. */
  replayed: boolean;
}

export interface RunFilter {
  runbook?: string;
  state?: RunRecord["state"];
  dryRun?: boolean;
  trigger?: Trigger;
  requestedBy?: string;
  limit?: number;
}

const IDEMPOTENCY_WAIT_MS = 2_000;

export class RunService {
  constructor(private readonly d: RunServiceDeps) {}

  async startRun(who: Principal, name: string, input: StartRunInput, ctx: StartContext): Promise<Started> {
    this.d.stateGuard?.assertIntact();
    const runbook = await this.runbook(name);
    this.mayRun(who, name, input.dryRun);
    return this.idempotent(who, ctx.idempotencyKey, { op: "start", name, input }, async () => {
      const params = resolveParams(runbook.params, input.params);
      return this.create(who, runbook, params, input, ctx);
    });
  }

  async revert(
    who: Principal,
    runId: string,
    input: { dryRun: boolean; reason?: string },
    idempotencyKey?: string,
  ): Promise<Started> {
    this.d.stateGuard?.assertIntact();
    const original = await this.mustGet(runId);
    this.mayRun(who, original.runbook.metadata.name, input.dryRun);
    return this.idempotent(who, idempotencyKey, { op: "revert", runId, input }, async () => {
      // Built here rather than by engine.createRevert so the lock can be taken under the new run's
      // id before the run exists (createRevert chooses the id itself).
      const runbook = buildRevertRunbook(original, this.d.steps);
      const originalMeta = await this.d.meta.get(runId);
      const started = await this.create(
        who,
        runbook,
        {},
        { dryRun: input.dryRun, reason: input.reason ?? `revert of ${runId}` },
        { trigger: "revert" },
        originalMeta.targets,
        runId,
      );
      return started;
    });
  }

  /**
   * One approver's yes (the engine's decideApproval: distinct approvers, never the requester, the
   * plan they saw, expiry); break glass is an admin's alone. The run continues once enough agreed.
   */
  async approve(who: Principal, runId: string, input: ApproveInput = {}): Promise<RunView> {
    this.d.stateGuard?.assertIntact();
    await this.mustGet(runId);
    if (input.breakGlass && !who.roles.includes("admin")) {
      throw new SwitchoverError(
        ErrorCode.Forbidden,
        `token "${who.name}" may not break glass: only the admin role proceeds without a second person`,
      );
    }
    let saved: RunRecord;
    try {
      saved = await this.d.engine.approve(runId, {
        by: who.name,
        ...(input.comment ? { comment: input.comment } : {}),
        ...(input.planHash !== undefined ? { planHash: input.planHash } : {}),
        ...(input.breakGlass ? { breakGlass: { reason: input.reason ?? "" } } : {}),
      });
    } catch (err) {
      // An expired request failed the run: its targets are free again.
      if (err instanceof SwitchoverError && err.code === ErrorCode.ApprovalExpired) {
        const run = await this.d.engine.get(runId);
        if (run) await this.settled(run);
      }
      throw err;
    }
    if (input.breakGlass) {
      const event = BreakGlassNotifier.eventOf(saved);
      if (event) void this.d.breakGlass.notify(event);
    }
    if (saved.state === "running") await this.d.queue.enqueueRun(runId, saved.version);
    return this.view(saved);
  }

  async reject(who: Principal, runId: string, comment?: string): Promise<RunView> {
    this.d.stateGuard?.assertIntact();
    await this.mustGet(runId);
    const saved = await this.d.engine.reject(runId, { by: who.name, ...(comment ? { comment } : {}) });
    return this.settled(saved);
  }

  async cancel(who: Principal, runId: string, reason?: string): Promise<RunView> {
    this.d.stateGuard?.assertIntact();
    await this.mustGet(runId);
    const saved = await this.d.engine.cancel(runId, { by: who.name, ...(reason ? { reason } : {}) });
    return this.settled(saved);
  }

  async retry(who: Principal, runId: string, reason: string): Promise<RunView> {
    this.d.stateGuard?.assertIntact();
    const run = await this.mustGet(runId);
    const meta = await this.d.meta.get(runId);
    const relock = run.state === "failed" && !run.dryRun && meta.targets.length > 0;
    if (relock) await this.d.locks.take(meta.targets, runId);
    try {
      const saved = await this.d.engine.retry(runId, { by: who.name, reason });
      await this.d.queue.enqueueRun(runId, saved.version);
      return toRunView(saved, meta, this.approvalContext());
    } catch (err) {
      if (relock) await this.d.locks.giveBack(meta.targets, runId);
      throw err;
    }
  }

  async skip(who: Principal, runId: string, stepId: string, reason: string): Promise<RunView> {
    this.d.stateGuard?.assertIntact();
    const before = await this.mustGet(runId);
    // On a real run that has not failed, skipping needs an approver who is not the requester
    // (engine/approval-policy.ts decideSkip); the route already required the operator role.
    const saved = await this.d.engine.skipStep(runId, stepId, {
      by: who.name,
      reason,
      mayApprove: hasRole(who, ...APPROVER_ROLES),
    });
    // A gate skipped while parked: the run continues now. A failed run continues with retry.
    if (before.state === "waiting_approval" && saved.state === "running") {
      await this.d.queue.enqueueRun(runId, saved.version);
    }
    return this.view(saved);
  }

  async get(runId: string): Promise<RunView> {
    return this.view(await this.mustGet(runId));
  }

  /** The run as viewers may read it (credentials redacted, see forViewers), for text and reports. */
  async record(runId: string): Promise<{ run: RunRecord; meta: RunMeta }> {
    const run = forViewers(await this.mustGet(runId));
    return { run, meta: await this.d.meta.get(runId) };
  }

  async list(filter: RunFilter, maxScan: number): Promise<RunSummaryView[]> {
    const limit = filter.limit ?? 50;
    const runs = await this.d.store.list({ limit: maxScan });
    const metas = await this.d.meta.getMany(runs.map((r) => r.id));
    const out: RunSummaryView[] = [];
    runs.forEach((run, i) => {
      const meta = metas[i]!;
      if (filter.runbook !== undefined && run.runbook.metadata.name !== filter.runbook) return;
      if (filter.state !== undefined && run.state !== filter.state) return;
      if (filter.dryRun !== undefined && run.dryRun !== filter.dryRun) return;
      if (filter.trigger !== undefined && meta.trigger !== filter.trigger) return;
      if (filter.requestedBy !== undefined && run.requestedBy !== filter.requestedBy) return;
      if (out.length < limit) out.push(toRunSummary(run, meta));
    });
    return out;
  }

  /** The runbook by name, or 404; 422 with every located problem when its file is invalid. */
  async runbook(name: string): Promise<Runbook> {
    const entry = await this.d.runbooks.get(name);
    if (!entry) throw new SwitchoverError(ErrorCode.NotFound, `runbook ${name} not found`);
    if (!entry.valid || !entry.runbook) {
      throw new SwitchoverError(ErrorCode.RunbookInvalid, `runbook ${name} (${entry.file}) is invalid`, {
        details: { problems: entry.problems },
      });
    }
    return entry.runbook;
  }

  private mayRun(who: Principal, name: string, dryRun: boolean): void {
    const roles: Role[] = ["operator"];
    if (!hasRole(who, ...roles)) {
      throw new SwitchoverError(
        ErrorCode.Forbidden,
        `token "${who.name}" needs the operator or admin role to start runs`,
      );
    }
    if (dryRun || who.roles.includes("admin")) return;
    const allowed = this.d.operatorRunbooks;
    if (!allowed.includes("*") && !allowed.includes(name)) {
      throw new SwitchoverError(
        ErrorCode.Forbidden,
        `operators may dry-run ${name} but not run it for real (not in service.operatorRunbooks); ask an admin`,
      );
    }
  }

  private async create(
    who: Principal,
    runbook: Runbook,
    params: Record<string, ParamValue>,
    input: StartRunInput,
    ctx: StartContext,
    extraTargets: readonly string[] = [],
    revertOf?: string,
  ): Promise<Started> {
    const id = randomUUID();
    const targets = input.dryRun
      ? []
      : [
          ...new Set([...runTargets(runbook, params, this.d.steps, this.d.universe, id), ...extraTargets]),
        ].sort();
    await this.d.locks.take(targets, id);
    const meta: RunMeta = { trigger: ctx.trigger, targets };
    if (ctx.scheduleId !== undefined) meta.scheduleId = ctx.scheduleId;
    let run: RunRecord;
    try {
      // The meta only has to exist before the run is enqueued; write both at once.
      const [, created] = await Promise.all([
        this.d.meta.put(id, meta),
        this.d.engine.createRun({
          id,
          runbook,
          params,
          dryRun: input.dryRun,
          requestedBy: who.name,
          approvalPolicy: this.approvalPolicy(),
          ...(input.fromPlan !== undefined ? { fromPlan: input.fromPlan } : {}),
          ...(input.reason !== undefined ? { reason: input.reason } : {}),
          ...(revertOf !== undefined ? { revertOf } : {}),
        }),
      ]);
      run = created;
    } catch (err) {
      await this.d.locks.giveBack(targets, id);
      await this.d.meta.delete(id);
      throw err;
    }
    let stage = "acknowledged by a Redis replica";
    try {
      // Acknowledged only once durable: its audit entry is fsync'd (createRun resolved after the
      // append did) and, when Redis has a replica, the replica holds the run and the entry too.
      await this.d.replicaAck?.confirm();
      stage = "queued";
      await this.d.queue.enqueueRun(id, run.version);
    } catch (err) {
      // Not acknowledged or not queued means never driven: end it rather than leave a queued run holding the lock.
      await this.d.engine
        .cancel(id, { by: "switchover", reason: `could not be ${stage}` })
        .catch(() => undefined);
      await this.d.locks.giveBack(targets, id);
      throw err;
    }
    return { run: toRunView(run, meta, this.approvalContext()), replayed: false };
  }

  private async idempotent(
    who: Principal,
    key: string | undefined,
    request: unknown,
    work: () => Promise<Started>,
  ): Promise<Started> {
    if (key === undefined) return work();
    const hash = canonicalHash(request);
    const deadline = Date.now() + IDEMPOTENCY_WAIT_MS;
    for (;;) {
      const claim = await this.d.idempotency.claim(who.name, key, hash);
      if (claim.state === "done") return { run: await this.get(claim.runId), replayed: true };
      if (claim.state === "mismatch") {
        throw new SwitchoverError(
          ErrorCode.IdempotencyKeyReused,
          `Idempotency-Key ${key} was used with a different request; use a new key for a new request`,
        );
      }
      if (claim.state === "new") break;
      if (Date.now() > deadline) {
        throw new SwitchoverError(
          ErrorCode.IdempotencyInProgress,
          `a request with Idempotency-Key ${key} is still being processed; retry shortly`,
        );
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    try {
      const started = await work();
      await this.d.idempotency.complete(who.name, key, hash, started.run.id);
      return started;
    } catch (err) {
      await this.d.idempotency.abandon(who.name, key);
      throw err;
    }
  }

  /** After a command that may have finished the run: a finished real run gives its targets back. */
  private async settled(run: RunRecord): Promise<RunView> {
    const meta = await this.d.meta.get(run.id);
    await this.d.locks.settle(run);
    return toRunView(run, meta, this.approvalContext());
  }

  private async view(run: RunRecord): Promise<RunView> {
    return toRunView(run, await this.d.meta.get(run.id), this.approvalContext());
  }

  private approvalContext(): ApprovalContext {
    return { principals: this.d.principals, now: Date.now() };
  }

  /** The policy a real run is created under (recorded on the run, so a config change later does not move it). */
  private approvalPolicy(): RunApprovalPolicy {
    const a = this.d.approvals;
    return { required: a.required, approvers: a.approvers, expiresAfterMs: a.expiresAfterSeconds * 1_000 };
  }

  private async mustGet(runId: string): Promise<RunRecord> {
    const run = await this.d.engine.get(runId);
    if (!run) throw new SwitchoverError(ErrorCode.NotFound, `run ${runId} not found`, { details: { runId } });
    return run;
  }
}
