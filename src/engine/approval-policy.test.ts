// The approval rules as tables: which steps park under which policy, and what an approve request does.
import { describe, expect, it } from "vitest";
import { decideApproval, decideGate, decideSkip, expiredRequest, isGate } from "./approval-policy.js";
import type { ApproveRequest } from "./approval-policy.js";
import type { RunRecord, StepApproval } from "./run-record.js";

const change = [{ resource: "cluster/dc1", field: "x", from: 1, to: 2 }];

function run(opts: {
  required?: "all" | "runbook" | "none";
  dryRun?: boolean;
  gateSpec?: boolean;
  approved?: boolean;
  approval?: StepApproval;
}): RunRecord {
  return {
    id: "r1",
    version: 1,
    dryRun: opts.dryRun ?? false,
    state: "running",
    params: {},
    createdAt: 0,
    requestedBy: "alice",
    runbook: {
      apiVersion: "switchover/v1",
      kind: "Runbook",
      metadata: { name: "t", labels: {} },
      params: {},
      steps: [
        { id: "earlier", uses: "approval", with: {}, onFailure: "abort" },
        {
          id: "s",
          uses: "x.set",
          with: {},
          onFailure: "abort",
          ...(opts.gateSpec ? { approval: {} } : {}),
        },
      ],
    },
    steps: [
      {
        id: "earlier",
        uses: "approval",
        state: opts.approved ? "succeeded" : "skipped",
        attempt: 1,
        ...(opts.approved ? { approval: { status: "approved", by: "bob" } } : {}),
      },
      {
        id: "s",
        uses: "x.set",
        state: "planning",
        attempt: 1,
        ...(opts.approval ? { approval: opts.approval } : {}),
      },
    ],
    ...(opts.required
      ? { approvalPolicy: { required: opts.required, approvers: 2, expiresAfterMs: 1_000 } }
      : {}),
  };
}

describe("decideGate", () => {
  const table: [string, Parameters<typeof run>[0], boolean, boolean, string][] = [
    // name, run, step kind is a gate, plan has changes, outcome
    ["all: first change waits", { required: "all" }, false, true, "wait:policy"],
    ["all: a check without changes proceeds", { required: "all" }, false, false, "proceed"],
    [
      "all: after an approved gate, changes proceed",
      { required: "all", approved: true },
      false,
      true,
      "proceed",
    ],
    ["all: a dry-run never waits", { required: "all", dryRun: true }, true, true, "proceed"],
    ["all: the runbook's gate waits", { required: "all" }, true, false, "wait:runbook"],
    ["runbook: changes proceed", { required: "runbook" }, false, true, "proceed"],
    [
      "runbook: approval: on a step waits",
      { required: "runbook", gateSpec: true },
      false,
      true,
      "wait:runbook",
    ],
    ["runbook: a gate kind waits", { required: "runbook" }, true, false, "wait:runbook"],
    ["none: a gate passes, recorded", { required: "none" }, true, false, "pass"],
    ["none: changes proceed", { required: "none" }, false, true, "proceed"],
    ["no policy (engine default): gate waits", {}, true, false, "wait:runbook"],
    ["no policy (engine default): changes proceed", {}, false, true, "proceed"],
  ];
  for (const [name, opts, kindGate, changes, want] of table) {
    it(name, () => {
      const d = decideGate(run(opts), 1, kindGate, changes ? change : []);
      expect(d.outcome === "wait" ? `wait:${d.gate}` : d.outcome).toBe(want);
    });
  }
});

describe("isGate", () => {
  const r = run({ required: "all" });
  const spec = r.runbook.steps[1]!;
  it.each([
    ["a plain step", false, undefined, false],
    ["a gate kind", true, undefined, true],
    ["a step the policy parked", false, { status: "pending" as const }, true],
    ["a step whose approval was rejected", false, { status: "rejected" as const }, true],
    ["a step approved and then failed", false, { status: "approved" as const }, false],
  ])("%s", (_name, kindGate, approval, want) => {
    const step = { ...r.steps[1]!, ...(approval ? { approval } : {}) };
    expect(isGate(spec, step, kindGate)).toBe(want);
  });
});

describe("decideApproval (2 of M, expires at 1000)", () => {
  const pending = (grants: string[] = []): StepApproval => ({
    status: "pending",
    planHash: "sha256:p",
    required: 2,
    grants: grants.map((by) => ({ by, at: 1, planHash: "sha256:p" })),
    expiresAt: 1_000,
  });
  const table: [string, StepApproval, ApproveRequest, number, string][] = [
    ["first distinct approver: recorded, one more needed", pending(), { by: "bob" }, 5, "grant:1"],
    ["second distinct approver: approved", pending(["bob"]), { by: "carol" }, 5, "approve"],
    ["the same approver twice", pending(["bob"]), { by: "bob" }, 5, "refuse:CONFLICT"],
    ["the requester", pending(), { by: "alice" }, 5, "refuse:TWO_PERSON_RULE"],
    [
      "another plan than the one waiting",
      pending(),
      { by: "bob", planHash: "sha256:q" },
      5,
      "refuse:APPROVAL_PLAN_CHANGED",
    ],
    ["the plan the run waits on", pending(["bob"]), { by: "carol", planHash: "sha256:p" }, 5, "approve"],
    ["after the expiry", pending(["bob"]), { by: "carol" }, 1_001, "expired"],
    [
      "break glass by the requester, with a reason",
      pending(),
      { by: "alice", breakGlass: { reason: "dc1 gone, alone" } },
      5,
      "approve:glass",
    ],
    [
      "break glass without a reason",
      pending(),
      { by: "alice", breakGlass: { reason: " " } },
      5,
      "refuse:VALIDATION",
    ],
    ["not waiting", { status: "rejected" }, { by: "bob" }, 5, "refuse:INVALID_TRANSITION"],
  ];
  for (const [name, approval, req, now, want] of table) {
    it(name, () => {
      const r = run({ required: "all", approval });
      const d = decideApproval(r, r.steps[1]!, req, now);
      const got =
        d.outcome === "grant"
          ? `grant:${d.remaining}`
          : d.outcome === "refuse"
            ? `refuse:${d.error.code}`
            : d.outcome === "approve"
              ? d.breakGlass
                ? "approve:glass"
                : "approve"
              : d.outcome;
      expect(got).toBe(want);
    });
  }
});

describe("decideSkip: skipping a step of a real run that has not failed needs a second person", () => {
  const cases: {
    name: string;
    state: RunRecord["state"];
    dryRun?: boolean;
    by: string;
    mayApprove: boolean;
    refused: string | null;
  }[] = [
    {
      name: "requester, running",
      state: "running",
      by: "alice",
      mayApprove: true,
      refused: "TWO_PERSON_RULE",
    },
    { name: "operator, running", state: "running", by: "carol", mayApprove: false, refused: "FORBIDDEN" },
    { name: "approver, running", state: "running", by: "bob", mayApprove: true, refused: null },
    {
      name: "requester, waiting",
      state: "waiting_approval",
      by: "alice",
      mayApprove: true,
      refused: "TWO_PERSON_RULE",
    },
    { name: "operator, queued", state: "queued", by: "carol", mayApprove: false, refused: "FORBIDDEN" },
    { name: "requester, failed", state: "failed", by: "alice", mayApprove: false, refused: null },
    {
      name: "requester, dry-run",
      state: "running",
      dryRun: true,
      by: "alice",
      mayApprove: false,
      refused: null,
    },
  ];
  for (const c of cases) {
    it(`${c.name} → ${c.refused ?? "allowed"}`, () => {
      const r = { ...run({ dryRun: c.dryRun ?? false }), state: c.state };
      expect(decideSkip(r, "s", { by: c.by, mayApprove: c.mayApprove })?.code ?? null).toBe(c.refused);
    });
  }
});

describe("expiredRequest", () => {
  const pending: StepApproval = { status: "pending", requestedAt: 0, expiresAt: 1_000 };
  it("is the parked step once its request is past expiresAt, and nothing before or after parking", () => {
    const parked = { ...run({ approval: pending }), state: "waiting_approval" as const };
    expect(expiredRequest(parked, 1_000)).toBeUndefined();
    expect(expiredRequest(parked, 1_001)?.id).toBe("s");
    expect(expiredRequest({ ...parked, state: "failed" }, 5_000)).toBeUndefined();
    const noExpiry = { ...run({ approval: { status: "pending" } }), state: "waiting_approval" as const };
    expect(expiredRequest(noExpiry, 5_000)).toBeUndefined();
  });
});
