// The check shape: the engine runs a check's inspect in the planning phase (dry-runs too), its
// waitUntil in applying and its confirm in verifying (real runs only), and records and audits it
// exactly as it did the same check written as plan/apply/verify.
import { z } from "zod";
import { describe, expect, it } from "vitest";
import { ErrorCode, SwitchoverError } from "../../../src/engine/errors.js";
import type { AuditEvent } from "../../../src/engine/ports/audit-sink.js";
import type { RunRecord } from "../../../src/engine/run-record.js";
import { defineStep } from "../../../src/engine/step-contract.js";
import type { AnyStep, StepPlan } from "../../../src/engine/step-contract.js";
import { harness } from "./fixtures.js";

const input = () => z.strictObject({ topic: z.string() });

/** What the check's world does: calls in order, and whether the condition holds yet. */
class Probe {
  calls: string[] = [];
  holdsAfterWaits = 1;
  confirmFailures = 0;
  waits = 0;
}

function checkShaped(probe: Probe): AnyStep {
  return defineStep<{ topic: string }>({
    kind: "test.check",
    description: "a check in the check shape",
    adapters: [],
    input,
    check: {
      async inspect(_ctx, i) {
        probe.calls.push("inspect");
        return { topic: i.topic, waits: probe.waits };
      },
      async waitUntil() {
        probe.calls.push("waitUntil");
        probe.waits++;
      },
      async confirm(_ctx, i) {
        probe.calls.push("confirm");
        if (probe.confirmFailures > 0) {
          probe.confirmFailures--;
          throw new SwitchoverError(ErrorCode.VerifyFailed, `${i.topic} not there yet`, { retryable: true });
        }
        return { confirmed: true };
      },
    },
  });
}

/** The same check as it was written before the check shape: plan/apply/verify. */
function actionShaped(probe: Probe): AnyStep {
  return defineStep<{ topic: string }>({
    kind: "test.check",
    description: "a check squeezed into plan/apply/verify",
    adapters: [],
    input,
    async plan(_ctx, i): Promise<StepPlan> {
      probe.calls.push("inspect");
      return { changes: [], outputs: { topic: i.topic, waits: probe.waits } };
    },
    async apply() {
      probe.calls.push("waitUntil");
      probe.waits++;
      return null;
    },
    async verify(_ctx, i) {
      probe.calls.push("confirm");
      if (probe.confirmFailures > 0) {
        probe.confirmFailures--;
        throw new SwitchoverError(ErrorCode.VerifyFailed, `${i.topic} not there yet`, { retryable: true });
      }
      return { confirmed: true };
    },
    revert: () => undefined,
  });
}

const RUNBOOK = `apiVersion: switchover/v1
kind: Runbook
metadata: { name: checks }
steps:
  - id: check
    uses: test.check
    with: { topic: orders }
    retry: { attempts: 3, backoff: { type: fixed, delay: 10ms } }
`;

async function runWith(
  step: (p: Probe) => AnyStep,
  opts: { dryRun: boolean; confirmFailures?: number },
): Promise<{ probe: Probe; run: RunRecord; audit: AuditEvent[] }> {
  const probe = new Probe();
  probe.confirmFailures = opts.confirmFailures ?? 0;
  const h = harness({ steps: [step(probe)] });
  const created = await h.engine.createRun({ runbook: h.runbook(RUNBOOK), dryRun: opts.dryRun });
  const run = await h.engine.execute(created.id);
  return { probe, run, audit: h.audit.events };
}

/** A run's record and audit trail without ids and times, for comparing two runs. */
function comparable(r: { run: RunRecord; audit: AuditEvent[] }) {
  const step = r.run.steps[0]!;
  return {
    state: r.run.state,
    step: {
      state: step.state,
      attempt: step.attempt,
      plan: step.plan,
      outputs: step.outputs,
      before: step.before,
      applyTries: step.applyTries,
      applied: step.applyStartedAt !== undefined,
      error: step.error,
    },
    audit: r.audit.map((e) => ({ type: e.type, stepId: e.stepId, data: e.data })),
  };
}

describe("a check step", () => {
  it("in a dry-run only inspects: its outputs are the plan's, nothing waits or writes", async () => {
    const { probe, run } = await runWith(checkShaped, { dryRun: true });
    expect(run.state).toBe("succeeded");
    expect(probe.calls).toEqual(["inspect"]);
    expect(run.steps[0]!.plan?.changes).toEqual([]);
    expect(run.steps[0]!.outputs).toEqual({ topic: "orders", waits: 0 });
    expect(run.steps[0]!.applyStartedAt).toBeUndefined();
  });

  it("in a real run inspects, waits, then confirms; confirm's outputs are added", async () => {
    const { probe, run } = await runWith(checkShaped, { dryRun: false });
    expect(run.state).toBe("succeeded");
    expect(probe.calls).toEqual(["inspect", "waitUntil", "confirm"]);
    expect(run.steps[0]!.outputs).toEqual({ topic: "orders", waits: 0, confirmed: true });
    expect(run.steps[0]!.before).toBeNull();
  });

  it("a failed confirm waits again and confirms again, as a failed verify re-applies", async () => {
    const { probe, run } = await runWith(checkShaped, { dryRun: false, confirmFailures: 1 });
    expect(run.state).toBe("succeeded");
    expect(probe.calls).toEqual(["inspect", "waitUntil", "confirm", "waitUntil", "confirm"]);
  });

  it.each([
    { name: "dry-run", dryRun: true, confirmFailures: 0 },
    { name: "real run", dryRun: false, confirmFailures: 0 },
    { name: "real run with a failed confirm", dryRun: false, confirmFailures: 1 },
  ])("is recorded and audited as the same check written as plan/apply/verify ($name)", async (c) => {
    const asCheck = await runWith(checkShaped, c);
    const asAction = await runWith(actionShaped, c);
    expect(asCheck.probe.calls).toEqual(asAction.probe.calls);
    expect(comparable(asCheck)).toEqual(comparable(asAction));
  });
});
