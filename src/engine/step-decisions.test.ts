// The executor's decisions as tables: every branch after a plan, at a step's start, before an
// apply, after a failure, at the run's end, and when a finished step may start the next in one save.
import { describe, expect, it } from "vitest";
import { ErrorCode, SwitchoverError } from "./errors.js";
import type { RunRecord, StepRecord } from "./run-record.js";
import type { RetrySpec, StepSpec } from "./runbook/model.js";
import {
  SKIPPED_PLAN,
  canStartNextWith,
  decideApply,
  decideFailure,
  decidePlanOutcome,
  decideRunEnd,
  decideStart,
  describeFailure,
  driftOf,
} from "./step-decisions.js";
import type { PlanFacts } from "./step-decisions.js";

const A = { hash: "a", changes: [{ resource: "orders", field: "minIsr", from: 3, to: 1 }] };
const B = { hash: "b", changes: [{ resource: "orders", field: "minIsr", from: 2, to: 1 }] };

function spec(over: Partial<StepSpec> = {}): StepSpec {
  return { id: "s1", uses: "test.set", with: {}, onFailure: "abort", ...over };
}

function run(over: Partial<RunRecord> = {}, steps: Partial<StepRecord>[] = [{}]): RunRecord {
  return {
    id: "r1",
    version: 1,
    runbook: {
      apiVersion: "switchover/v1",
      kind: "Runbook",
      metadata: { name: "rb", labels: {} },
      params: { go: { type: "boolean", required: false } },
      steps: steps.map((_, i) => spec({ id: `s${i + 1}` })),
    },
    params: { go: false },
    dryRun: false,
    state: "running",
    createdAt: 0,
    steps: steps.map((s, i) => ({ id: `s${i + 1}`, uses: "test.set", state: "pending", attempt: 0, ...s })),
    ...over,
  };
}

describe("decidePlanOutcome", () => {
  const proceed = { outcome: "proceed" } as const;
  const waitRunbook = { outcome: "wait", gate: "runbook" } as const;
  const base: PlanFacts = { dryRun: false, pinned: false, gate: proceed, hash: "a" };
  it.each<[string, Partial<PlanFacts>, ReturnType<typeof decidePlanOutcome>]>([
    ["a real, unpinned, ungated step applies", {}, { outcome: "apply" }],
    [
      "a dry-run's step is done once planned",
      { dryRun: true, gate: waitRunbook, pinned: true },
      { outcome: "dry_run_done" },
    ],
    ["a pinned plan that matches applies", { pinned: true, pinnedPlan: A }, { outcome: "apply" }],
    [
      "a pinned plan that differs drifts",
      { pinned: true, pinnedPlan: B },
      { outcome: "drift", expected: B, why: "plan differs from the pinned dry-run" },
    ],
    [
      "a step the pinned dry-run did not plan drifts against 'skipped'",
      { pinned: true },
      { outcome: "drift", expected: SKIPPED_PLAN, why: "plan differs from the pinned dry-run" },
    ],
    [
      "an approved plan that changed while waiting drifts",
      { approval: { status: "approved" }, approvedPlan: B },
      { outcome: "drift", expected: B, why: "plan changed while waiting for approval" },
    ],
    [
      "an approved plan that still holds applies",
      { approval: { status: "approved" }, approvedPlan: A },
      { outcome: "apply" },
    ],
    [
      "a runbook gate waits for approval",
      { gate: waitRunbook },
      { outcome: "await_approval", gate: "runbook" },
    ],
    [
      "the policy's gate waits for approval",
      { gate: { outcome: "wait", gate: "policy" } },
      { outcome: "await_approval", gate: "policy" },
    ],
    [
      "a gate the policy lets through applies as approved by it",
      { gate: { outcome: "pass" } },
      { outcome: "apply_by_policy" },
    ],
    [
      "pinning is checked before approval",
      { gate: waitRunbook, pinned: true, pinnedPlan: B },
      { outcome: "drift", expected: B, why: "plan differs from the pinned dry-run" },
    ],
  ])("%s", (_name, facts, want) => {
    expect(decidePlanOutcome({ ...base, ...facts })).toEqual(want);
  });
});

describe("decideStart", () => {
  it.each<[string, Partial<StepSpec>, Partial<RunRecord>, ReturnType<typeof decideStart>]>([
    ["an unconditional step plans", {}, {}, { outcome: "plan" }],
    ["a true when plans", { when: "!params.go" }, {}, { outcome: "plan" }],
    [
      "a false when skips",
      { when: "params.go" },
      {},
      { outcome: "skip", reason: "when: params.go is false" },
    ],
    [
      "a false when on a step the pinned dry-run changed drifts",
      { when: "params.go" },
      { pin: { runId: "dry", plans: { s1: A } } },
      { outcome: "drift", expected: A, why: "was planned in the pinned dry-run but is now skipped" },
    ],
    [
      "a false when on a step the pinned dry-run left alone skips",
      { when: "params.go" },
      { pin: { runId: "dry", plans: { s1: { hash: "x", changes: [] } } } },
      { outcome: "skip", reason: "when: params.go is false" },
    ],
  ])("%s", (_name, over, runOver, want) => {
    expect(decideStart(run(runOver), spec(over))).toEqual(want);
  });

  it("an expression that does not evaluate throws (the step fails)", () => {
    expect(() => decideStart(run(), spec({ when: "steps.nope.outputs.x ==" }))).toThrow();
  });
});

describe("decideApply", () => {
  it.each<[string, boolean, Parameters<typeof decideApply>[1], ReturnType<typeof decideApply>]>([
    [
      "a first apply applies and saw the true before-state",
      true,
      undefined,
      { outcome: "apply", firstApply: true },
    ],
    [
      "a resumed apply not yet recorded applies again",
      false,
      undefined,
      { outcome: "apply", firstApply: false },
    ],
    [
      "a resumed apply already recorded takes the recorded before-state",
      false,
      { applyTry: 1, firstApply: true, before: { v: 3 } },
      { outcome: "already_applied", before: { v: 3 }, firstApply: true },
    ],
    [
      "a recorded repeated apply stays repeated, with a null before-state",
      false,
      { applyTry: 2 },
      { outcome: "already_applied", before: null, firstApply: false },
    ],
  ])("%s", (_name, first, recorded, want) => {
    expect(decideApply(first, recorded)).toEqual(want);
  });
});

describe("decideFailure", () => {
  const retry: RetrySpec = { attempts: 3, backoff: { type: "fixed", delay: "2s", maxDelay: "10s" } };
  const retryable = new SwitchoverError(ErrorCode.Timeout, "slow", { retryable: true });
  const final = new SwitchoverError(ErrorCode.Validation, "bad", { retryable: false });
  it.each<[string, SwitchoverError, StepRecord["state"], number, Partial<StepSpec>, string, string]>([
    [
      "a retryable plan failure retries in place",
      retryable,
      "planning",
      1,
      { retry },
      "retry_in_place",
      "retry #2 in 2s",
    ],
    [
      "a retryable apply failure retries in place",
      retryable,
      "applying",
      2,
      { retry },
      "retry_in_place",
      "retry #3 in 2s",
    ],
    [
      "a retryable verify failure re-applies",
      retryable,
      "verifying",
      1,
      { retry },
      "reapply",
      "retry #2 in 2s",
    ],
    [
      "exhausted attempts fail the run",
      retryable,
      "applying",
      3,
      { retry },
      "fail_run",
      "fail (attempts_exhausted)",
    ],
    ["no retry policy fails the run", retryable, "planning", 1, {}, "fail_run", "fail (attempts_exhausted)"],
    [
      "a non-retryable error fails the run",
      final,
      "verifying",
      1,
      { retry },
      "fail_run",
      "fail (not_retryable)",
    ],
    [
      "onFailure: continue fails only the step",
      final,
      "applying",
      1,
      { retry, onFailure: "continue" },
      "fail_step",
      "fail (not_retryable)",
    ],
  ])("%s", (_name, error, state, attempt, over, outcome, described) => {
    const d = decideFailure(error, { state, attempt }, spec(over));
    expect(d.outcome).toBe(outcome);
    expect(describeFailure(d)).toBe(described);
    if (d.outcome === "retry_in_place" || d.outcome === "reapply") {
      expect(d).toMatchObject({ attempt: attempt + 1, delayMs: 2_000 });
    }
  });
});

describe("decideRunEnd", () => {
  it.each<[string, StepRecord["state"][], ReturnType<typeof decideRunEnd>]>([
    ["every step succeeded or skipped", ["succeeded", "skipped"], { outcome: "succeeded" }],
    [
      "steps failed under onFailure: continue",
      ["failed", "succeeded", "failed"],
      { outcome: "succeeded_with_failures", failed: ["s1", "s3"] },
    ],
  ])("%s", (_name, states, want) => {
    expect(
      decideRunEnd(
        run(
          {},
          states.map((state) => ({ state })),
        ),
      ),
    ).toEqual(want);
  });
});

describe("canStartNextWith", () => {
  it.each<[string, Partial<StepRecord>, Partial<StepSpec>, Partial<RunRecord>, boolean]>([
    ["a pending, unconditional next step starts in the same save", {}, {}, {}, true],
    ["a conditional next step is decided on its own", {}, { when: "params.go" }, {}, false],
    ["a next step backing off is not started", { retryAt: 5 }, {}, {}, false],
    ["a next step already started is left alone", { state: "planning" }, {}, {}, false],
    ["nothing starts once a cancel was asked for", {}, {}, { cancelRequest: { at: 1 } }, false],
  ])("%s", (_name, next, nextSpec, runOver, want) => {
    const r = run(runOver, [{ state: "succeeded" }, next]);
    r.runbook.steps[1] = spec({ id: "s2", ...nextSpec });
    expect(canStartNextWith(r, 0)).toBe(want);
  });

  it("the last step has no next", () => {
    expect(canStartNextWith(run({}, [{ state: "succeeded" }]), 0)).toBe(false);
  });
});

describe("driftOf", () => {
  it("reports both plans against the pinned run and says nothing was applied", () => {
    const { report, error } = driftOf(run({ pin: { runId: "dry", plans: {} } }), "s1", A, B, "plan differs");
    expect(report).toEqual({
      stepId: "s1",
      pinnedRunId: "dry",
      expectedHash: "b",
      actualHash: "a",
      expected: B.changes,
      actual: A.changes,
    });
    expect(error.code).toBe(ErrorCode.PlanDrift);
    expect(error.message).toBe("step s1: plan differs; nothing was applied");
    expect(error.details).toEqual({ drift: report });
  });

  it("names the run itself when it drifted from an approved plan, not a pin", () => {
    expect(driftOf(run(), "s1", A, B, "x").report.pinnedRunId).toBe("r1");
  });
});
