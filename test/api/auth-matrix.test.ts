// The auth matrix over every endpoint: no token and unknown tokens get 401 (with WWW-Authenticate),
// each role gets through exactly where the contract says and 403 elsewhere; probes need no token.
/* eslint-disable @typescript-eslint/no-unsafe-member-access -- response bodies are JSON the contract check has validated */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, operations } from "./contract.js";
import { eventually, startHarness } from "./harness.js";
import type { Harness, TokenName } from "./harness.js";

let h: Harness;
let runId: string;

beforeAll(async () => {
  h = await startHarness();
  const res = await call(h.service.app, "POST", "/v1/runbooks/touch-dc1/runs", {
    token: h.tokens.operator,
    body: {},
  });
  runId = res.body.id as string;
  await eventually(async () => {
    const r = await call(h.service.app, "GET", `/v1/runs/${runId}`, { token: h.tokens.viewer });
    return r.body.state === "succeeded" ? true : undefined;
  });
});
afterAll(async () => {
  await h?.close();
});

type Role = "viewer" | "operator" | "approver" | "admin";
const ALL: Role[] = ["viewer", "operator", "approver", "admin"];

interface Endpoint {
  method: string;
  path: () => string;
  template: string;
  allowed: Role[];
  body?: () => unknown;
  raw?: string;
  contentType?: string;
}

const endpoints: Endpoint[] = [
  { method: "GET", template: "/v1/runbooks", path: () => "/v1/runbooks", allowed: ALL },
  {
    method: "POST",
    template: "/v1/runbooks/validate",
    path: () => "/v1/runbooks/validate",
    allowed: ALL,
    raw: "apiVersion: switchover/v1\n",
    contentType: "application/yaml",
  },
  { method: "GET", template: "/v1/runbooks/{name}", path: () => "/v1/runbooks/touch-dc1", allowed: ALL },
  {
    method: "POST",
    template: "/v1/runbooks/{name}/runs",
    path: () => "/v1/runbooks/touch-dc1/runs",
    allowed: ["operator", "admin"],
    body: () => ({ params: { key: "auth" } }),
  },
  { method: "GET", template: "/v1/runs", path: () => "/v1/runs", allowed: ALL },
  { method: "GET", template: "/v1/runs/{id}", path: () => `/v1/runs/${runId}`, allowed: ALL },
  { method: "GET", template: "/v1/runs/{id}/events", path: () => `/v1/runs/${runId}/events`, allowed: ALL },
  { method: "GET", template: "/v1/runs/{id}/report", path: () => `/v1/runs/${runId}/report`, allowed: ALL },
  {
    method: "POST",
    template: "/v1/runs/{id}/approve",
    path: () => `/v1/runs/${runId}/approve`,
    allowed: ["approver", "admin"],
  },
  {
    method: "POST",
    template: "/v1/runs/{id}/reject",
    path: () => `/v1/runs/${runId}/reject`,
    allowed: ["approver", "admin"],
  },
  {
    method: "POST",
    template: "/v1/runs/{id}/cancel",
    path: () => `/v1/runs/${runId}/cancel`,
    allowed: ["operator", "admin"],
  },
  {
    method: "POST",
    template: "/v1/runs/{id}/revert",
    path: () => `/v1/runs/${runId}/revert`,
    allowed: ["operator", "admin"],
  },
  {
    method: "POST",
    template: "/v1/runs/{id}/retry",
    path: () => `/v1/runs/${runId}/retry`,
    allowed: ["operator", "admin"],
    body: () => ({ reason: "auth matrix" }),
  },
  {
    method: "POST",
    template: "/v1/runs/{id}/steps/{stepId}/skip",
    path: () => `/v1/runs/${runId}/steps/touch/skip`,
    allowed: ["operator", "admin"],
    body: () => ({ reason: "auth matrix" }),
  },
  { method: "GET", template: "/v1/schedules", path: () => "/v1/schedules", allowed: ALL },
  {
    method: "POST",
    template: "/v1/schedules",
    path: () => "/v1/schedules",
    allowed: ["admin"],
    body: () => ({ id: "auth-matrix", runbook: "touch-dc1", cron: "0 3 1 1 *" }),
  },
  {
    method: "DELETE",
    template: "/v1/schedules/{scheduleId}",
    path: () => "/v1/schedules/auth-matrix",
    allowed: ["admin"],
  },
  { method: "GET", template: "/v1/audit", path: () => "/v1/audit", allowed: ALL },
  { method: "GET", template: "/v1/audit/verify", path: () => "/v1/audit/verify", allowed: ALL },
  // Admin only; with nothing lost the admin's answer is 409 (nothing to restore).
  { method: "POST", template: "/v1/audit/restore", path: () => "/v1/audit/restore", allowed: ["admin"] },
  { method: "GET", template: "/v1/whoami", path: () => "/v1/whoami", allowed: ALL },
  {
    method: "POST",
    template: "/v1/runbooks/{name}/evaluate",
    path: () => "/v1/runbooks/touch-dc1/evaluate",
    allowed: ALL,
    body: () => ({ params: { key: "auth" } }),
  },
  { method: "GET", template: "/v1/evaluations", path: () => "/v1/evaluations", allowed: ALL },
  { method: "GET", template: "/v1/posture", path: () => "/v1/posture?cluster=dc1", allowed: ALL },
];

const send = (e: Endpoint, token?: string) =>
  call(h.service.app, e.method, e.path(), {
    ...(token !== undefined ? { token } : {}),
    ...(e.raw !== undefined ? { raw: e.raw, contentType: e.contentType! } : {}),
    ...(e.body ? { body: e.body() } : {}),
  });

describe("auth matrix", () => {
  it("covers every authenticated operation of the OpenAPI document", () => {
    const documented = operations
      .filter((o) => o.template.startsWith("/v1/"))
      .map((o) => `${o.method} ${o.template}`);
    expect(endpoints.map((e) => `${e.method} ${e.template}`).sort()).toEqual(documented.sort());
  });

  for (const e of endpoints) {
    describe(`${e.method} ${e.template}`, () => {
      it("when no token is sent, then 401 with a Bearer challenge", async () => {
        const res = await send(e);
        expect(res.status).toBe(401);
        expect(res.headers["www-authenticate"]).toMatch(/^Bearer /);
        expect(res.body.type).toBe("urn:switchover:problem:unauthorized");
      });

      it("when the token is unknown or malformed, then 401", async () => {
        expect((await send(e, "so_nobody_0000")).status).toBe(401);
        const res = await call(h.service.app, e.method, e.path(), {
          headers: { Authorization: "Basic dXNlcjpwYXNz" },
        });
        expect(res.status).toBe(401);
      });

      for (const role of ALL) {
        const allowed = e.allowed.includes(role);
        it(`when the token has role ${role}, then ${allowed ? "it gets through" : "403"}`, async () => {
          const res = await send(e, h.tokens[role as TokenName]);
          if (allowed) expect([401, 403], `${res.status} ${res.text}`).not.toContain(res.status);
          else {
            expect(res.status).toBe(403);
            expect(res.body.type).toBe("urn:switchover:problem:forbidden");
          }
        });
      }
    });
  }

  it("when probes are called without a token, then they answer", async () => {
    // /healthz now carries details (workers, target health) beside the status, never an address.
    const health = await call(h.service.app, "GET", "/healthz");
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: "ok" });
    expect(JSON.stringify(health.body)).not.toMatch(/127\.0\.0\.1|:\d{4,5}\b/);
    const ready = await call(h.service.app, "GET", "/readyz");
    expect(ready.status).toBe(200);
    const metrics = await call(h.service.app, "GET", "/metrics");
    // Every stored run counted once, whatever its state (the gauge is kept exact, not sampled).
    const counted = [
      ...metrics.text.matchAll(/^switchover_runs\{state="\w+",mode="(?:dry|real)"\} (\d+)$/gm),
    ];
    expect(counted.length).toBeGreaterThan(0);
    expect(counted.reduce((n, m) => n + Number(m[1]), 0)).toBe(await h.redis.zcard(`${h.prefix}:runs`));
    expect(metrics.text).toContain("switchover_queue_jobs{");
    expect(metrics.text).toContain("switchover_target_lock_acquire_seconds");
    expect(metrics.text).toContain("switchover_step_duration_seconds_bucket");
  });
});
