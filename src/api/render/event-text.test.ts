// The human lines of run events and changes: changes read `from → to`, equalities `= x (unchanged)`,
// skip reasons and errors are written out.
import { describe, expect, it } from "vitest";
import { changeText } from "./change-text.js";
import { eventHeadline, eventLines } from "./event-text.js";

const AT = Date.UTC(2026, 11, 2, 3, 4, 5, 67);

describe("changeText", () => {
  it("writes a change as resource field: from → to", () => {
    expect(
      changeText({
        resource: "dns/kafka-primary.dr.test",
        field: "CNAME",
        from: "dc1-kafka.dr.test",
        to: "dc2-kafka.dr.test",
      }),
    ).toBe("dns/kafka-primary.dr.test CNAME: dc1-kafka.dr.test → dc2-kafka.dr.test");
  });
  it("writes an equality as such, never as an arrow", () => {
    expect(changeText({ resource: "topic/orders", field: "min.insync.replicas", from: "2", to: "2" })).toBe(
      "topic/orders min.insync.replicas = 2 (unchanged)",
    );
    expect(changeText({ resource: "group/g", field: "offsets", from: { "0": 5 }, to: { "0": 5 } })).toBe(
      'group/g offsets = {"0":5} (unchanged)',
    );
  });
  it("writes a missing side as (none) and keeps a value on one line", () => {
    expect(changeText({ resource: "r", field: "f", from: null, to: "a\nb" })).toBe("r f: (none) → a b");
  });
});

describe("eventLines", () => {
  it("a real run's creation names the mode, who and why", () => {
    expect(
      eventLines({
        type: "run.created",
        runId: "r1",
        at: AT,
        actor: "alice",
        data: { runbook: "mm2-failover", dryRun: false, reason: "dc1 down", fromPlan: "d1" },
      }),
    ).toEqual([
      "03:04:05.067  run r1 created: mm2-failover REAL RUN by alice, pinned to dry-run d1 — dc1 down",
    ]);
  });
  it("an applied step lists each change under its headline", () => {
    expect(
      eventLines({
        type: "step.applied",
        runId: "r1",
        stepId: "repoint",
        at: AT,
        data: {
          changes: [
            {
              resource: "dns/kafka-primary.dr.test",
              field: "CNAME",
              from: "dc1-kafka.dr.test",
              to: "dc2-kafka.dr.test",
            },
          ],
        },
      }),
    ).toEqual([
      "03:04:05.067  step repoint applied 1 change",
      "      dns/kafka-primary.dr.test CNAME: dc1-kafka.dr.test → dc2-kafka.dr.test",
    ]);
  });
  it("a skipped step says why; a failed step says how", () => {
    expect(
      eventHeadline({
        type: "step.transition",
        runId: "r",
        at: AT,
        stepId: "s",
        from: "pending",
        to: "skipped",
        data: { reason: "when: ${{ params.approve }} is false" },
      }),
    ).toBe("step s pending → skipped: when: ${{ params.approve }} is false");
    expect(
      eventHeadline({
        type: "step.transition",
        runId: "r",
        at: AT,
        stepId: "s",
        from: "pending",
        to: "skipped",
      }),
    ).toBe("step s pending → skipped: no reason recorded");
    expect(
      eventHeadline({
        type: "step.transition",
        runId: "r",
        at: AT,
        stepId: "s",
        from: "applying",
        to: "failed",
        data: { error: { code: "TIMEOUT", message: "dc1 did not answer in 30s" } },
      }),
    ).toBe("step s applying → failed: TIMEOUT: dc1 did not answer in 30s");
  });
  it("approvals and drift read as sentences", () => {
    expect(
      eventHeadline({ type: "step.approval", runId: "r", at: AT, stepId: "go", data: { status: "pending" } }),
    ).toBe("step go waits for approval");
    expect(
      eventHeadline({
        type: "step.approval",
        runId: "r",
        at: AT,
        stepId: "go",
        actor: "bob",
        data: { status: "approved" },
      }),
    ).toBe("step go approved by bob");
    expect(
      eventLines({
        type: "run.drift",
        runId: "r",
        at: AT,
        stepId: "repoint",
        data: {
          pinnedRunId: "d1",
          expected: [{ resource: "dns/x", field: "CNAME", from: "a", to: "b" }],
          actual: [{ resource: "dns/x", field: "CNAME", from: "b", to: "b" }],
        },
      }),
    ).toEqual([
      "03:04:05.067  step repoint DRIFT: the world changed since dry-run d1; nothing was applied",
      "      reviewed dns/x CNAME: a → b",
      "      now      dns/x CNAME = b (unchanged)",
    ]);
  });
});
