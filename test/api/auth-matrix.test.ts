// The auth matrix over every endpoint (the table in test/lib/authorization-table.ts): no token and unknown tokens get 401 (with WWW-Authenticate),
// each role gets through exactly where the contract says and 403 elsewhere; probes need no token.
/* eslint-disable @typescript-eslint/no-unsafe-member-access -- response bodies are JSON the contract check has validated */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENDPOINTS, ROLES } from "../lib/authorization-table.js";
import type { EndpointRule, TableContext } from "../lib/authorization-table.js";
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

const ctx = (): TableContext => ({
  runId,
  runbook: "touch-dc1",
  changeStep: "touch",
  params: { key: "auth" },
});

const send = (e: EndpointRule, token?: string) =>
  call(h.service.app, e.method, e.path(ctx()), {
    ...(token !== undefined ? { token } : {}),
    ...(e.raw !== undefined ? { raw: e.raw, contentType: e.contentType! } : {}),
    ...(e.body ? { body: e.body(ctx()) } : {}),
  });

describe("auth matrix", () => {
  it("covers every authenticated operation of the OpenAPI document", () => {
    const documented = operations
      .filter((o) => o.template.startsWith("/v1/"))
      .map((o) => `${o.method} ${o.template}`);
    expect(ENDPOINTS.map((e) => `${e.method} ${e.template}`).sort()).toEqual(documented.sort());
  });

  for (const e of ENDPOINTS) {
    describe(`${e.method} ${e.template}`, () => {
      it("when no token is sent, then 401 with a Bearer challenge", async () => {
        const res = await send(e);
        expect(res.status).toBe(401);
        expect(res.headers["www-authenticate"]).toMatch(/^Bearer /);
        expect(res.body.type).toBe("urn:switchover:problem:unauthorized");
      });

      it("when the token is unknown or malformed, then 401", async () => {
        expect((await send(e, "so_nobody_0000")).status).toBe(401);
        const res = await call(h.service.app, e.method, e.path(ctx()), {
          headers: { Authorization: "Basic dXNlcjpwYXNz" },
        });
        expect(res.status).toBe(401);
      });

      for (const role of ROLES) {
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
