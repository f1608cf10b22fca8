// POST /v1/runbooks/{name}/evaluate, GET /v1/evaluations and GET /v1/posture over HTTP: outcomes per
// step, validation problems with their paths, content negotiation, and the evaluation gauges.
/* eslint-disable @typescript-eslint/no-unsafe-member-access -- response bodies are JSON the contract check has validated */
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "./contract.js";
import { startHarness } from "./harness.js";
import type { Harness } from "./harness.js";

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

describe("POST /v1/runbooks/{name}/evaluate", () => {
  it("when every step can run, then ready with one result per step and nothing applied", async () => {
    const res = await call(h.service.app, "POST", "/v1/runbooks/touch-dc1/evaluate", {
      token: h.tokens.viewer,
      body: { params: { key: "eval-ready" } },
    });
    expect(res.status).toBe(200);
    expect(res.body.outcome).toBe("ready");
    expect(res.body.params).toEqual({ key: "eval-ready" });
    const steps = res.body.steps as { id: string }[];
    expect(steps.map((s) => s.id)).toEqual(["touch", "check"]);
    expect(res.body.steps[0].reason).toMatch(/no pre-flight checks/);
    expect(res.body.steps[1].checks[0]).toMatchObject({ check: "assertion", outcome: "ready" });
    expect(await h.touches("eval-ready")).toBe(0);
  });

  it("when an assertion fails with the params, then blocked naming the step and the message", async () => {
    const res = await call(h.service.app, "POST", "/v1/runbooks/fails/evaluate", {
      token: h.tokens.viewer,
      body: {},
    });
    expect(res.body.outcome).toBe("blocked");
    expect(res.body.reason).toMatch(/gate: assertion: would fail: the world is not ready/);
    const ok = await call(h.service.app, "POST", "/v1/runbooks/fails/evaluate", {
      token: h.tokens.viewer,
      body: { params: { ok: true } },
    });
    expect(ok.body.outcome).toBe("ready");
  });

  it("when the runbook references an unknown step kind or does not exist, then 422 / 404", async () => {
    const broken = await call(h.service.app, "POST", "/v1/runbooks/broken/evaluate", {
      token: h.tokens.viewer,
      body: {},
    });
    expect(broken.status).toBe(422);
    const missing = await call(h.service.app, "POST", "/v1/runbooks/no-such-runbook/evaluate", {
      token: h.tokens.viewer,
      body: {},
    });
    expect(missing.status).toBe(404);
  });

  it("when the body has an unknown field or a param of the wrong type, then 422 with the path", async () => {
    const extra = await call(h.service.app, "POST", "/v1/runbooks/touch-dc1/evaluate", {
      token: h.tokens.viewer,
      body: { params: {}, dryRun: false },
    });
    expect(extra.status).toBe(422);
    expect(extra.body.errors).toContainEqual({ path: "body.dryRun", message: "unknown field" });
    const wrong = await call(h.service.app, "POST", "/v1/runbooks/by-param/evaluate", {
      token: h.tokens.viewer,
      body: { params: { cluster: "dc9" } },
    });
    expect(wrong.status).toBe(422);
    expect(JSON.stringify(wrong.body)).toMatch(/params\.cluster/);
    const notJson = await call(h.service.app, "POST", "/v1/runbooks/touch-dc1/evaluate", {
      token: h.tokens.viewer,
      raw: "params=1",
      contentType: "text/plain",
    });
    expect(notJson.status).toBe(415);
  });

  it("keeps the latest result per runbook, lists it and exports it as gauges", async () => {
    await call(h.service.app, "POST", "/v1/runbooks/fails/evaluate", { token: h.tokens.viewer, body: {} });
    const list = await call(h.service.app, "GET", "/v1/evaluations", { token: h.tokens.viewer });
    const items = list.body.items as { runbook: string; outcome: string }[];
    expect(items.find((i) => i.runbook === "fails")?.outcome).toBe("blocked");
    const metrics = await request(h.service.app).get("/metrics");
    expect(metrics.text).toContain('switchover_runbook_evaluation{runbook="fails",outcome="blocked"} 1');
    expect(metrics.text).toContain('switchover_runbook_evaluation{runbook="fails",outcome="ready"} 0');
    expect(metrics.text).toContain(
      'switchover_runbook_step_evaluation{runbook="fails",step="gate",outcome="blocked"} 1',
    );
    const stray = await call(h.service.app, "GET", "/v1/evaluations?x=1", { token: h.tokens.viewer });
    expect(stray.status).toBe(422);
  });
});

describe("GET /v1/posture", () => {
  it("when neither or both of cluster and pair are given, then 422 naming the query", async () => {
    for (const q of ["", "?cluster=dc1&pair=x", "?topic=x", "?cluster=DC1"]) {
      const res = await call(h.service.app, "GET", `/v1/posture${q}`, { token: h.tokens.viewer });
      expect(res.status, q).toBe(422);
      expect(res.body.errors[0].path).toMatch(/^query/);
    }
  });

  it("when the cluster or flow is not configured, then 404", async () => {
    const c = await call(h.service.app, "GET", "/v1/posture?cluster=nowhere", { token: h.tokens.viewer });
    expect(c.status).toBe(404);
    expect(c.body.detail).toMatch(/unknown cluster "nowhere"/);
    const p = await call(h.service.app, "GET", "/v1/posture?pair=nowhere", { token: h.tokens.viewer });
    expect(p.status).toBe(404);
  });

  it("answers a cluster's posture as JSON and as text, and 406 for other media types", async () => {
    const json = await call(h.service.app, "GET", "/v1/posture?cluster=dc1", { token: h.tokens.viewer });
    expect(json.status).toBe(200);
    expect(json.body).toMatchObject({ kind: "cluster", cluster: "dc1" });
    expect(json.body.quorum.source).toBe("DescribeQuorum v1");
    const text = await call(h.service.app, "GET", "/v1/posture?cluster=dc1", {
      token: h.tokens.viewer,
      accept: "text/plain",
    });
    expect(text.headers["content-type"]).toMatch(/^text\/plain/);
    expect(text.text).toMatch(/^DR posture of cluster dc1/);
    expect(text.text).toMatch(/losing dc1 now: the whole cluster/);
    const html = await call(h.service.app, "GET", "/v1/posture?cluster=dc1", {
      token: h.tokens.viewer,
      accept: "text/html",
    });
    expect(html.status).toBe(406);
  });
});
