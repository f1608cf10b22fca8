// The second person, end to end against the real service (issue 18, findings 1-5): under
// approvals.required "all" every real run parks before its first change; N distinct approvers,
// never the requester, bound to the plan hash, with an expiry; gates (pending or rejected) are never
// skipped and a rejected run is not retried past them; skipping a step of a real run that has not
// failed needs an approver who is not the requester; a scheduled run's requester is the schedule's
// creator; break glass is an admin's alone, with a reason, audited, notified and shown loudly.
/* eslint-disable @typescript-eslint/no-unsafe-member-access -- response bodies are JSON the contract check has validated */
import { createServer } from "node:http";
import type { IncomingHttpHeaders, Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "./contract.js";
import { eventually, startHarness } from "./harness.js";
import type { Harness } from "./harness.js";

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

interface ApprovalView {
  stepId: string;
  gate: string;
  planHash?: string;
  required: number;
  approvedBy: string[];
  remaining: number;
  roles: string[];
  eligible: string[];
  requestedBy?: string;
  requestedAt: number;
  expiresAt?: number;
  expired?: boolean;
}

interface RunBody {
  id: string;
  state: string;
  dryRun: boolean;
  requestedBy?: string;
  scheduleId?: string;
  steps: { id: string; state: string; skipReason?: string; plan?: { hash: string } }[];
  approval?: ApprovalView;
  breakGlass?: { by: string; at: number; reason: string; stepId: string }[];
  error?: { code: string; message: string };
}

let h: Harness;
let receiver: Server;
let base: string;
const received: Received[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      received.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  h = await startHarness({
    http: { allow: [`${base}/hooks/`] },
    service: {
      approvals: {
        required: "all",
        approvers: 2,
        expiresAfterSeconds: 3_600,
        breakGlassWebhook: { url: `${base}/hooks/break-glass` },
      },
    },
  });
});

afterAll(async () => {
  await h?.close();
  await new Promise((r) => receiver.close(r));
});

function harnessCalls(hh: () => Harness) {
  const start = async (name: string, body: unknown, token: string): Promise<RunBody> => {
    const res = await call(hh().service.app, "POST", `/v1/runbooks/${name}/runs`, { token, body });
    expect(res.status, res.text).toBe(202);
    return res.body as RunBody;
  };
  const get = async (id: string): Promise<RunBody> =>
    (await call(hh().service.app, "GET", `/v1/runs/${id}`, { token: hh().tokens.viewer })).body as RunBody;
  const settle = (id: string, states = ["succeeded", "failed", "cancelled"]): Promise<RunBody> =>
    eventually(
      async () => {
        const run = await get(id);
        return states.includes(run.state) ? run : undefined;
      },
      15_000,
      `run ${id} to reach ${states.join("|")}`,
    );
  const post = (path: string, token: string, body?: unknown) =>
    call(hh().service.app, "POST", path, { token, ...(body !== undefined ? { body } : {}) });
  return { start, get, settle, post };
}

const { start, get, settle, post } = harnessCalls(() => h);

describe("approvals.required all (finding 5)", () => {
  it("when a real run of a runbook without a gate starts, then it parks before its first change and shows who may approve", async () => {
    const run = await start("touch-dc1", { params: { key: "all1" }, dryRun: false }, h.tokens.approver2);
    const parked = await settle(run.id, ["waiting_approval"]);
    expect(await h.touches("all1")).toBe(0);
    expect(parked.steps.map((s) => s.state)).toEqual(["planning", "pending"]);
    const a = parked.approval!;
    expect(a).toMatchObject({
      stepId: "touch",
      gate: "policy",
      required: 2,
      approvedBy: [],
      remaining: 2,
      requestedBy: "approver2",
      planHash: parked.steps[0]!.plan!.hash,
    });
    expect(a.roles).toEqual(["approver", "admin"]);
    // Every token that may approve, except the requester.
    expect(a.eligible).toEqual(["admin", "approver"]);
    expect(a.expiresAt! - a.requestedAt).toBe(3_600_000);

    const text = await call(h.service.app, "GET", `/v1/runs/${run.id}`, {
      token: h.tokens.viewer,
      accept: "text/plain",
    });
    expect(text.text).toMatch(/approval: 0 of 2 .*approver or admin/);

    // The requester never approves, whatever their roles.
    const own = await post(`/v1/runs/${run.id}/approve`, h.tokens.approver2);
    expect(own.status).toBe(403);
    expect(own.body.type).toBe("urn:switchover:problem:two-person-rule");

    const first = await post(`/v1/runs/${run.id}/approve`, h.tokens.approver, {
      planHash: a.planHash,
      comment: "looks right",
    });
    expect(first.status, first.text).toBe(200);
    expect(first.body.state).toBe("waiting_approval");
    expect(first.body.approval).toMatchObject({
      approvedBy: ["approver"],
      remaining: 1,
      eligible: ["admin"],
    });
    const twice = await post(`/v1/runs/${run.id}/approve`, h.tokens.approver, { planHash: a.planHash });
    expect(twice.status).toBe(409);
    expect(await h.touches("all1")).toBe(0);

    // Bound to the plan the approver saw: a stale hash is refused and names the current one.
    const stale = await post(`/v1/runs/${run.id}/approve`, h.tokens.admin, { planHash: "0".repeat(64) });
    expect(stale.status).toBe(409);
    expect(stale.body.type).toBe("urn:switchover:problem:approval-plan-changed");
    expect(stale.body.details).toEqual({ planHash: a.planHash });

    const second = await post(`/v1/runs/${run.id}/approve`, h.tokens.admin, { planHash: a.planHash });
    expect(second.status, second.text).toBe(200);
    const done = await settle(run.id);
    expect(done.state).toBe("succeeded");
    expect(done.approval).toBeUndefined();
    expect(await h.touches("all1")).toBe(1);

    const audit = await call(h.service.app, "GET", `/v1/audit?runId=${run.id}&action=step.approval`, {
      token: h.tokens.viewer,
    });
    expect(
      (audit.body.items as { actor: string; data: { details: { status: string } } }[]).map(
        (e) => e.data.details.status,
      ),
    ).toEqual(["pending", "granted", "approved"]);
  });

  it("when a dry-run starts, then nothing waits for approval", async () => {
    const run = await start("touch-dc1", { params: { key: "all-dry" } }, h.tokens.operator);
    expect((await settle(run.id)).state).toBe("succeeded");
  });
});

describe("gates are never skipped (findings 1 and 2)", () => {
  it("when a runbook gate is pending, then neither the requester nor an approver can skip it", async () => {
    const run = await start("gated", { params: { key: "gate-skip" }, dryRun: false }, h.tokens.operator);
    await settle(run.id, ["waiting_approval"]);
    for (const token of [h.tokens.operator, h.tokens.approver2, h.tokens.admin]) {
      const skip = await post(`/v1/runs/${run.id}/steps/go/skip`, token, { reason: "in a hurry" });
      expect(skip.status).toBe(409);
      expect(skip.body.type).toBe("urn:switchover:problem:gate-not-skippable");
    }
    expect((await get(run.id)).state).toBe("waiting_approval");

    // Rejected: the gate is still not skippable, and retry parks the run at it again.
    const reject = await post(`/v1/runs/${run.id}/reject`, h.tokens.approver, { comment: "not today" });
    expect(reject.body.state).toBe("failed");
    const skipRejected = await post(`/v1/runs/${run.id}/steps/go/skip`, h.tokens.operator, {
      reason: "override",
    });
    expect(skipRejected.status).toBe(409);
    expect(skipRejected.body.type).toBe("urn:switchover:problem:gate-not-skippable");
    const retry = await post(`/v1/runs/${run.id}/retry`, h.tokens.operator, { reason: "try again" });
    expect(retry.status).toBe(202);
    const again = await settle(run.id, ["waiting_approval"]);
    expect(again.approval).toMatchObject({ stepId: "go", approvedBy: [], remaining: 2 });
    expect(await h.touches("gate-skip")).toBe(0);

    expect((await post(`/v1/runs/${run.id}/approve`, h.tokens.approver)).status).toBe(200);
    expect((await post(`/v1/runs/${run.id}/approve`, h.tokens.approver2)).status).toBe(200);
    expect((await settle(run.id)).state).toBe("succeeded");
    expect(await h.touches("gate-skip")).toBe(1);
  });

  it("when the policy's gate is rejected, then skipping it is refused and retry asks for a fresh approval", async () => {
    const run = await start(
      "touch-dc1",
      { params: { key: "policy-reject" }, dryRun: false },
      h.tokens.operator,
    );
    await settle(run.id, ["waiting_approval"]);
    expect((await post(`/v1/runs/${run.id}/approve`, h.tokens.approver)).status).toBe(200);
    expect((await post(`/v1/runs/${run.id}/reject`, h.tokens.approver2)).body.state).toBe("failed");
    const skip = await post(`/v1/runs/${run.id}/steps/touch/skip`, h.tokens.admin, { reason: "override" });
    expect(skip.status).toBe(409);
    expect(skip.body.type).toBe("urn:switchover:problem:gate-not-skippable");
    expect((await post(`/v1/runs/${run.id}/retry`, h.tokens.operator, { reason: "again" })).status).toBe(202);
    const again = await settle(run.id, ["waiting_approval"]);
    // The grant given before the rejection does not count for the fresh request.
    expect(again.approval).toMatchObject({ stepId: "touch", approvedBy: [], remaining: 2 });
    expect(await h.touches("policy-reject")).toBe(0);
    expect((await post(`/v1/runs/${run.id}/cancel`, h.tokens.operator, {})).body.state).toBe("cancelled");
  });
});

describe("skipping a step of a real run that has not failed (finding 3)", () => {
  it("when the requester or an operator without the approver role skips, then 403; another approver may", async () => {
    const run = await start("touch-dc1", { params: { key: "skip3" }, dryRun: false }, h.tokens.approver2);
    await settle(run.id, ["waiting_approval"]);
    const own = await post(`/v1/runs/${run.id}/steps/check/skip`, h.tokens.approver2, { reason: "mine" });
    expect(own.status).toBe(403);
    expect(own.body.type).toBe("urn:switchover:problem:two-person-rule");
    const operator = await post(`/v1/runs/${run.id}/steps/check/skip`, h.tokens.operator, { reason: "op" });
    expect(operator.status).toBe(403);
    expect(operator.body.detail).toMatch(/approver/);
    expect((await get(run.id)).steps[1]!.state).toBe("pending");

    const admin = await post(`/v1/runs/${run.id}/steps/check/skip`, h.tokens.admin, {
      reason: "checked by hand",
    });
    expect(admin.status, admin.text).toBe(200);
    expect(admin.body.steps[1]).toMatchObject({
      state: "skipped",
      skipReason: "skipped by admin: checked by hand",
    });
    expect((await post(`/v1/runs/${run.id}/approve`, h.tokens.approver)).status).toBe(200);
    expect((await post(`/v1/runs/${run.id}/approve`, h.tokens.admin)).status).toBe(200);
    const done = await settle(run.id);
    expect(done.steps.map((s) => s.state)).toEqual(["succeeded", "skipped"]);
  });

  it("when a real run failed, then an operator skips the failed step and the retried run still meets the second person", async () => {
    const run = await start("fails", { dryRun: false }, h.tokens.operator);
    expect((await settle(run.id)).state).toBe("failed");
    const skip = await post(`/v1/runs/${run.id}/steps/gate/skip`, h.tokens.operator, { reason: "checked" });
    expect(skip.status).toBe(200);
    expect((await post(`/v1/runs/${run.id}/retry`, h.tokens.operator, { reason: "go on" })).status).toBe(202);
    const parked = await settle(run.id, ["waiting_approval"]);
    expect(parked.approval).toMatchObject({ stepId: "touch", remaining: 2 });
    expect((await post(`/v1/runs/${run.id}/cancel`, h.tokens.operator, {})).status).toBe(200);
  });
});

describe("scheduled runs (finding 4)", () => {
  it("when a schedule starts a real run, then its requester is the schedule's creator, who cannot approve it", async () => {
    const created = await call(h.service.app, "POST", "/v1/schedules", {
      token: h.tokens.admin,
      body: {
        id: "real-drill",
        runbook: "touch-dc1",
        cron: "* * * * * *",
        dryRun: false,
        params: { key: "sched" },
      },
    });
    expect(created.status).toBe(201);
    let parked: RunBody;
    try {
      parked = await eventually(
        async () => {
          const list = await call(h.service.app, "GET", "/v1/runs?trigger=schedule&limit=10", {
            token: h.tokens.viewer,
          });
          const item = (list.body.items as { id: string; state: string }[]).find(
            (r) => r.state === "waiting_approval",
          );
          return item ? get(item.id) : undefined;
        },
        15_000,
        "a scheduled run waiting for approval",
      );
    } finally {
      await call(h.service.app, "DELETE", "/v1/schedules/real-drill", { token: h.tokens.admin });
    }
    expect(parked.requestedBy).toBe("admin");
    expect(parked.scheduleId).toBe("real-drill");
    expect(parked.approval!.eligible).toEqual(["approver", "approver2"]);
    const own = await post(`/v1/runs/${parked.id}/approve`, h.tokens.admin);
    expect(own.status).toBe(403);
    expect(own.body.type).toBe("urn:switchover:problem:two-person-rule");
    expect((await post(`/v1/runs/${parked.id}/approve`, h.tokens.approver)).status).toBe(200);
    expect((await post(`/v1/runs/${parked.id}/approve`, h.tokens.approver2)).status).toBe(200);
    expect((await settle(parked.id)).state).toBe("succeeded");
  });
});

describe("break glass", () => {
  it("when an approver asks to break glass, then 403; an admin without a reason, 422", async () => {
    const run = await start("touch-dc1", { params: { key: "bg-refused" }, dryRun: false }, h.tokens.operator);
    await settle(run.id, ["waiting_approval"]);
    const approver = await post(`/v1/runs/${run.id}/approve`, h.tokens.approver, {
      breakGlass: true,
      reason: "urgent",
    });
    expect(approver.status).toBe(403);
    expect(approver.body.detail).toMatch(/admin/);
    const noReason = await post(`/v1/runs/${run.id}/approve`, h.tokens.admin, { breakGlass: true });
    expect(noReason.status).toBe(422);
    expect(noReason.body.errors[0].path).toBe("body.reason");
    expect((await get(run.id)).approval!.approvedBy).toEqual([]);
    await post(`/v1/runs/${run.id}/cancel`, h.tokens.operator, {});
  });

  it("when an admin alone breaks glass with a reason, then the run proceeds, audited, notified and shown loudly", async () => {
    const reason = "dc1 is gone and nobody else answers";
    const run = await start("touch-dc1", { params: { key: "bg" }, dryRun: false }, h.tokens.admin);
    const parked = await settle(run.id, ["waiting_approval"]);
    const plain = await post(`/v1/runs/${run.id}/approve`, h.tokens.admin);
    expect(plain.status).toBe(403);
    const res = await post(`/v1/runs/${run.id}/approve`, h.tokens.admin, {
      breakGlass: true,
      reason,
      planHash: parked.approval!.planHash,
    });
    expect(res.status, res.text).toBe(200);
    const done = await settle(run.id);
    expect(done.state).toBe("succeeded");
    expect(await h.touches("bg")).toBe(1);
    expect(done.breakGlass).toHaveLength(1);
    expect(done.breakGlass![0]).toMatchObject({ by: "admin", reason, stepId: "touch" });

    const audit = await call(h.service.app, "GET", `/v1/audit?runId=${run.id}&action=approval.break_glass`, {
      token: h.tokens.viewer,
    });
    expect(audit.body.items).toHaveLength(1);
    expect(audit.body.items[0]).toMatchObject({
      actor: "admin",
      stepId: "touch",
      data: { details: { reason, planHash: parked.approval!.planHash } },
    });

    const hook = await eventually(
      async () => received.find((r) => r.url === "/hooks/break-glass"),
      10_000,
      "the break-glass webhook",
    );
    expect(hook.method).toBe("POST");
    expect(hook.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(hook.body)).toEqual({
      event: "approval.break_glass",
      runId: run.id,
      runbook: "touch-dc1",
      stepId: "touch",
      by: "admin",
      requestedBy: "admin",
      reason,
      planHash: parked.approval!.planHash,
      at: done.breakGlass![0]!.at,
    });
    // Nothing secret travels with it: no token, no Authorization header.
    const wire = JSON.stringify(hook.headers) + hook.body;
    for (const token of Object.values(h.tokens)) expect(wire).not.toContain(token);
    expect(hook.headers.authorization).toBeUndefined();

    const text = await call(h.service.app, "GET", `/v1/runs/${run.id}`, {
      token: h.tokens.viewer,
      accept: "text/plain",
    });
    expect(text.text).toContain(`BREAK GLASS by admin at step touch: ${reason}`);
    const report = await call(h.service.app, "GET", `/v1/runs/${run.id}/report`, {
      token: h.tokens.viewer,
      accept: "text/plain",
    });
    expect(report.text).toContain(`BREAK GLASS by admin at step touch: ${reason}`);
    const json = await call(h.service.app, "GET", `/v1/runs/${run.id}/report`, { token: h.tokens.viewer });
    expect(json.body.breakGlass).toEqual(done.breakGlass);
    const html = await call(h.service.app, "GET", `/v1/runs/${run.id}/report`, {
      token: h.tokens.viewer,
      accept: "text/html",
    });
    expect(html.text).toContain("BREAK GLASS");
  });
});

describe("expiry", () => {
  let e: Harness;
  const x = harnessCalls(() => e);
  beforeAll(async () => {
    e = await startHarness({
      service: { approvals: { required: "all", approvers: 1, expiresAfterSeconds: 2 } },
    });
  });
  afterAll(async () => {
    await e?.close();
  });

  it("when nobody approves in time, then the run fails as expired, nothing changed, and retry asks afresh", async () => {
    const run = await x.start("touch-dc1", { params: { key: "exp" }, dryRun: false }, e.tokens.operator);
    const parked = await x.settle(run.id, ["waiting_approval"]);
    expect(parked.approval!.expiresAt! - parked.approval!.requestedAt).toBe(2_000);
    const failed = await x.settle(run.id, ["failed"]);
    expect(failed.error?.code).toBe("APPROVAL_EXPIRED");
    expect(await e.touches("exp")).toBe(0);
    const late = await x.post(`/v1/runs/${run.id}/approve`, e.tokens.approver);
    expect(late.status).toBe(409);

    // Recovery: retry asks for a fresh approval with a fresh expiry.
    expect(
      (await x.post(`/v1/runs/${run.id}/retry`, e.tokens.operator, { reason: "approver is here now" }))
        .status,
    ).toBe(202);
    const again = await x.settle(run.id, ["waiting_approval"]);
    expect(again.approval!.requestedAt).toBeGreaterThan(parked.approval!.requestedAt);
    expect((await x.post(`/v1/runs/${run.id}/approve`, e.tokens.approver)).status).toBe(200);
    expect((await x.settle(run.id)).state).toBe("succeeded");
    expect(await e.touches("exp")).toBe(1);
  });
});
