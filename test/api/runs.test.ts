// Runs over HTTP: dry-run by default, real runs, the terminal rendering, report, list filters,
// approvals with the two-person rule, reject, cancel, retry and skip, revert — all against the
// real app, worker and Redis, every response checked against the OpenAPI document.
/* eslint-disable @typescript-eslint/no-unsafe-member-access -- response bodies are JSON the contract check has validated */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "./contract.js";
import { eventually, startHarness } from "./harness.js";
import type { Harness } from "./harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

interface RunBody {
  id: string;
  state: string;
  dryRun: boolean;
  trigger: string;
  targets: string[];
  steps: { id: string; state: string; plan?: { changes: unknown[] } }[];
  requestedBy?: string;
  revertOf?: string;
}

async function start(name: string, body: unknown, token = h.tokens.operator): Promise<RunBody> {
  const res = await call(h.service.app, "POST", `/v1/runbooks/${name}/runs`, { token, body });
  expect(res.status, res.text).toBe(202);
  return res.body as RunBody;
}

async function settle(id: string, states = ["succeeded", "failed", "cancelled"]): Promise<RunBody> {
  return eventually(
    async () => {
      const res = await call(h.service.app, "GET", `/v1/runs/${id}`, { token: h.tokens.viewer });
      const run = res.body as RunBody;
      return states.includes(run.state) ? run : undefined;
    },
    15_000,
    `run ${id} to reach ${states.join("|")}`,
  );
}

describe("runbooks", () => {
  it("when listed, then valid and invalid files both show, the invalid one with located problems", async () => {
    const res = await call(h.service.app, "GET", "/v1/runbooks", { token: h.tokens.viewer });
    expect(res.status).toBe(200);
    const items = (res.body as { items: { name: string; valid: boolean; problems?: { line: number }[] }[] })
      .items;
    expect(items.find((i) => i.name === "touch-dc1")?.valid).toBe(true);
    const broken = items.find((i) => i.name === "broken");
    expect(broken?.valid).toBe(false);
    expect(broken?.problems?.[0]?.line).toBeGreaterThan(1);
  });

  it("when one is fetched, then its parameter schema and literal targets come with it", async () => {
    const res = await call(h.service.app, "GET", "/v1/runbooks/touch-dc1", { token: h.tokens.viewer });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      name: "touch-dc1",
      targets: ["cluster:dc1"],
      paramsSchema: {
        type: "object",
        properties: { key: { type: "string", default: "k" } },
        additionalProperties: false,
      },
    });
  });

  it("when an invalid runbook is started, then 422 lists its problems with lines", async () => {
    const res = await call(h.service.app, "POST", "/v1/runbooks/broken/runs", {
      token: h.tokens.operator,
      body: {},
    });
    expect(res.status).toBe(422);
    expect(res.body.type).toBe("urn:switchover:problem:runbook-invalid");
    expect(res.body.errors[0]).toMatchObject({ path: "steps[0].uses" });
  });

  it("when a document is validated, then problems come back located (JSON and text)", async () => {
    const bad =
      "apiVersion: switchover/v1\nkind: Runbook\nmetadata: { name: x }\nsteps:\n  - id: a\n    uses: wait\n    with: { duration: soon }\n";
    const res = await call(h.service.app, "POST", "/v1/runbooks/validate", {
      token: h.tokens.viewer,
      raw: bad,
      contentType: "application/yaml",
    });
    expect(res.status).toBe(200);
    expect(res.body.valid).toBe(false);
    expect(res.body.problems[0]).toMatchObject({ line: 7, path: "steps[0].with.duration" });
    const text = await call(h.service.app, "POST", "/v1/runbooks/validate", {
      token: h.tokens.viewer,
      raw: bad,
      contentType: "text/yaml",
      accept: "text/plain",
    });
    expect(text.text).toMatch(/^<request>:7:\d+ steps\[0\]\.with\.duration: /);
    const good = await call(h.service.app, "POST", "/v1/runbooks/validate", {
      token: h.tokens.viewer,
      raw: JSON.stringify({
        apiVersion: "switchover/v1",
        kind: "Runbook",
        metadata: { name: "j" },
        steps: [{ id: "a", uses: "wait", with: { duration: "1s" } }],
      }),
      contentType: "application/json",
    });
    expect(good.body).toEqual({ valid: true, problems: [], name: "j", steps: 1 });
  });
});

describe("runs", () => {
  it("when started without dryRun, then it is a dry-run that plans and changes nothing", async () => {
    const run = await start("touch-dc1", { params: { key: "dry1" } });
    expect(run).toMatchObject({
      dryRun: true,
      state: "queued",
      trigger: "api",
      targets: [],
      requestedBy: "operator",
    });
    const done = await settle(run.id);
    expect(done.state).toBe("succeeded");
    expect(done.steps[0]!.plan!.changes).toEqual([
      { resource: "cluster/dc1", field: "touch.dry1", from: 0, to: 1 },
    ]);
    expect(await h.touches("dry1")).toBe(0);
  });

  it("when started for real, then it applies once, and text/plain renders steps and plan lines", async () => {
    const run = await start("touch-dc1", { params: { key: "real1" }, dryRun: false, reason: "drill" });
    expect(run.targets).toEqual(["cluster:dc1"]);
    await settle(run.id);
    expect(await h.touches("real1")).toBe(1);
    const text = await call(h.service.app, "GET", `/v1/runs/${run.id}`, {
      token: h.tokens.viewer,
      accept: "text/plain",
    });
    expect(text.headers["content-type"]).toMatch(/^text\/plain/);
    expect(text.text).toContain(`run ${run.id}  touch-dc1  REAL RUN  SUCCEEDED`);
    expect(text.text).toMatch(/✔ touch\s+test\.touch\s+succeeded\s+1\s+\d+ms/);
    expect(text.text).toContain("cluster/dc1 touch.real1: 0 → 1");
    const report = await call(h.service.app, "GET", `/v1/runs/${run.id}/report`, { token: h.tokens.viewer });
    expect(report.body.rtoMs).toBeGreaterThanOrEqual(0);
    expect(report.body.rpo).toEqual({ stepId: "touch", value: { rpoMessages: 0, rpoAgeMs: 1_500 } });
    expect(report.body.reprocess).toEqual({ stepId: "touch", value: 7 });
    expect(report.body.steps).toHaveLength(2);
    expect((report.body.timeline as { type: string }[]).map((e) => e.type)).toContain("step.applied");
    const reportText = await call(h.service.app, "GET", `/v1/runs/${run.id}/report`, {
      token: h.tokens.viewer,
      accept: "text/plain",
    });
    expect(reportText.text).toContain("RTO contribution");
    expect(reportText.text).toContain("RPO 0 message(s) not replicated, newest replicated message 1.5s old");
    expect(report.body.recovery).toEqual({
      rpoMessages: 0,
      rpoAgeMs: 1_500,
      rpoStepId: "touch",
      reprocessWindow: 7,
      reprocessExact: true,
      reprocessBasis: "measured against the source cluster's committed offsets",
      reprocessStepId: "touch",
    });
    expect(report.body.timeToRecoveryMs).toBeGreaterThanOrEqual(report.body.rtoMs as number);
    expect(report.body.comparison).toBeNull();
    const html = await call(h.service.app, "GET", `/v1/runs/${run.id}/report`, {
      token: h.tokens.viewer,
      accept: "text/html",
    });
    expect(html.status).toBe(200);
    expect(html.headers["content-type"]).toMatch(/^text\/html/);
    expect(html.text).toMatch(/^<!DOCTYPE html>/);
    expect(html.text).toContain('<g class="step" data-step="touch" data-state="succeeded">');
    const none = await call(h.service.app, "GET", `/v1/runs/${run.id}/report`, {
      token: h.tokens.viewer,
      accept: "image/png",
    });
    expect(none.status).toBe(406);
  });

  it("when the client accepts neither JSON nor text, then 406", async () => {
    const res = await call(h.service.app, "GET", "/v1/runs/whatever-id", {
      token: h.tokens.viewer,
      accept: "image/png",
    });
    expect([404, 406]).toContain(res.status);
  });

  it("when runs are listed with filters, then only matching ones come back (JSON and text)", async () => {
    const res = await call(h.service.app, "GET", "/v1/runs?runbook=touch-dc1&dryRun=false&limit=5", {
      token: h.tokens.viewer,
    });
    expect(res.status).toBe(200);
    const items = res.body.items as { runbook: string; dryRun: boolean }[];
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((i) => i.runbook === "touch-dc1" && !i.dryRun)).toBe(true);
    const text = await call(h.service.app, "GET", "/v1/runs?limit=3", {
      token: h.tokens.viewer,
      accept: "text/plain",
    });
    expect(text.text.split("\n").filter(Boolean).length).toBeLessThanOrEqual(3);
  });

  it("when a gated run waits, then its requester cannot approve it and another approver can", async () => {
    const run = await start("gated", { params: { key: "gate1" }, dryRun: false }, h.tokens.approver2);
    await settle(run.id, ["waiting_approval"]);
    const own = await call(h.service.app, "POST", `/v1/runs/${run.id}/approve`, {
      token: h.tokens.approver2,
    });
    expect(own.status).toBe(403);
    expect(own.body.type).toBe("urn:switchover:problem:two-person-rule");
    const viewer = await call(h.service.app, "POST", `/v1/runs/${run.id}/approve`, {
      token: h.tokens.viewer,
    });
    expect(viewer.status).toBe(403);
    const ok = await call(h.service.app, "POST", `/v1/runs/${run.id}/approve`, {
      token: h.tokens.approver,
      body: { comment: "go" },
    });
    expect(ok.status).toBe(200);
    const done = await settle(run.id);
    expect(done.state).toBe("succeeded");
    expect(await h.touches("gate1")).toBe(1);
    const again = await call(h.service.app, "POST", `/v1/runs/${run.id}/approve`, {
      token: h.tokens.approver,
    });
    expect(again.status).toBe(409);
  });

  it("when a gated run is rejected, then it fails and its targets are free again", async () => {
    const run = await start("gated", { params: { key: "gate2" }, dryRun: false });
    await settle(run.id, ["waiting_approval"]);
    const res = await call(h.service.app, "POST", `/v1/runs/${run.id}/reject`, {
      token: h.tokens.approver,
      body: { comment: "not today" },
    });
    expect(res.status).toBe(200);
    expect(res.body.state).toBe("failed");
    const next = await start("touch-dc1", { params: { key: "after-reject" }, dryRun: false });
    await settle(next.id);
  });

  it("when a failed run's step is skipped and the run retried, then it continues after the step", async () => {
    const run = await start("fails", { dryRun: false });
    const failed = await settle(run.id);
    expect(failed.state).toBe("failed");
    const noReason = await call(h.service.app, "POST", `/v1/runs/${run.id}/retry`, {
      token: h.tokens.operator,
      body: {},
    });
    expect(noReason.status).toBe(422);
    expect(noReason.body.errors[0].path).toBe("body.reason");
    const skip = await call(h.service.app, "POST", `/v1/runs/${run.id}/steps/gate/skip`, {
      token: h.tokens.operator,
      body: { reason: "checked by hand" },
    });
    expect(skip.status).toBe(200);
    const retry = await call(h.service.app, "POST", `/v1/runs/${run.id}/retry`, {
      token: h.tokens.operator,
      body: { reason: "gate skipped" },
    });
    expect(retry.status).toBe(202);
    const done = await settle(run.id);
    expect(done.state).toBe("succeeded");
    expect(done.steps.map((s) => s.state)).toEqual(["skipped", "succeeded"]);
  });

  it("when a holding run is cancelled, then the in-flight step stops and the run ends cancelled", async () => {
    const run = await start("hold", { params: { key: "cancel1", holdMs: 20_000 }, dryRun: false });
    await settle(run.id, ["running"]);
    await new Promise((r) => setTimeout(r, 200));
    const res = await call(h.service.app, "POST", `/v1/runs/${run.id}/cancel`, {
      token: h.tokens.operator,
      body: { reason: "abort drill" },
    });
    expect(res.status).toBe(200);
    const t0 = Date.now();
    const done = await settle(run.id);
    expect(done.state).toBe("cancelled");
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(await h.touches("cancel1")).toBe(0);
  });

  it("when a finished real run is reverted, then the failback run comes from its record", async () => {
    const run = await start("touch-dc1", { params: { key: "rev1" }, dryRun: false });
    await settle(run.id);
    const dry = await call(h.service.app, "POST", `/v1/runs/${run.id}/revert`, {
      token: h.tokens.operator,
      body: {},
    });
    expect(dry.status).toBe(202);
    expect(dry.body).toMatchObject({ dryRun: true, trigger: "revert", revertOf: run.id });
    const real = await call(h.service.app, "POST", `/v1/runs/${run.id}/revert`, {
      token: h.tokens.operator,
      body: { dryRun: false },
    });
    expect(real.status).toBe(202);
    await settle(real.body.id as string);
    expect(await h.touches("rev1-revert")).toBe(1);
    const dryRevert = await call(h.service.app, "POST", `/v1/runs/${dry.body.id as string}/revert`, {
      token: h.tokens.operator,
      body: {},
    });
    expect(dryRevert.status).toBe(409);
    expect(dryRevert.body.type).toBe("urn:switchover:problem:not-revertible");
  });

  it("when an operator runs a runbook not allowed to operators for real, then 403; dry-run and admin are fine", async () => {
    const real = await call(h.service.app, "POST", "/v1/runbooks/by-param/runs", {
      token: h.tokens.operator,
      body: { params: { cluster: "dc2" }, dryRun: false },
    });
    expect(real.status).toBe(403);
    expect(real.body.detail).toContain("service.operatorRunbooks");
    const dry = await start("by-param", { params: { cluster: "dc2" } });
    expect(dry.dryRun).toBe(true);
    const admin = await start("by-param", { params: { cluster: "dc2" }, dryRun: false }, h.tokens.admin);
    expect(admin.targets).toEqual(["cluster:dc2"]);
    await settle(admin.id);
  });
});

describe("two-person rule off", () => {
  // Issue 18: the requester can never approve their own run; `twoPersonRule: false` used to allow it.
  it("when service.twoPersonRule is false, then the environment is refused and names the alternatives", async () => {
    await expect(startHarness({ service: { twoPersonRule: false } })).rejects.toThrow(
      /twoPersonRule[\s\S]*approvals\.required: none[\s\S]*break/,
    );
  });
});
