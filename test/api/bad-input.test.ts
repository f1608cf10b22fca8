// Bad input on every endpoint — malformed JSON, wrong types, unknown fields, huge bodies, wrong media
// types, unknown ids, path tricks, stray query parameters — gets a precise 4xx problem+json, and the
// server keeps serving afterwards.
/* eslint-disable @typescript-eslint/no-unsafe-member-access -- response bodies are JSON the contract check has validated */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "./contract.js";
import { eventually, startHarness } from "./harness.js";
import type { Harness } from "./harness.js";

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

const JSON_POSTS = () => [
  { path: "/v1/runbooks/touch-dc1/runs", token: h.tokens.admin },
  { path: `/v1/runs/${runId}/approve`, token: h.tokens.admin },
  { path: `/v1/runs/${runId}/reject`, token: h.tokens.admin },
  { path: `/v1/runs/${runId}/cancel`, token: h.tokens.admin },
  { path: `/v1/runs/${runId}/revert`, token: h.tokens.admin },
  { path: `/v1/runs/${runId}/retry`, token: h.tokens.admin },
  { path: `/v1/runs/${runId}/steps/touch/skip`, token: h.tokens.admin },
  { path: "/v1/schedules", token: h.tokens.admin },
];

function expectProblem(
  res: { status: number; headers: Record<string, string>; body: { type: string; status: number } },
  status: number,
  type?: string,
): void {
  expect(res.status).toBe(status);
  expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
  expect(res.body.status).toBe(status);
  if (type) expect(res.body.type).toBe(`urn:switchover:problem:${type}`);
}

describe("bad bodies on every JSON endpoint", () => {
  it("when the JSON is malformed, then 400 malformed-json", async () => {
    for (const e of JSON_POSTS()) {
      for (const raw of ['{"dryRun": tru', "{", '{"a":1}}', "\u0000", '{"a": NaN}']) {
        const res = await call(h.service.app, "POST", e.path, { token: e.token, raw });
        expectProblem(res, 400, "malformed-json");
      }
    }
  });

  it("when the body is not an object (array, string, null, number), then 4xx", async () => {
    for (const e of JSON_POSTS()) {
      for (const raw of ["[]", '"x"', "null", "42", "true"]) {
        const res = await call(h.service.app, "POST", e.path, { token: e.token, raw });
        expect([400, 422]).toContain(res.status);
      }
    }
  });

  it("when a field is unknown (including __proto__ and constructor), then 422 naming it", async () => {
    for (const e of JSON_POSTS()) {
      for (const raw of [
        '{"surprise": 1}',
        '{"__proto__": {"admin": true}}',
        '{"constructor": {"prototype": {}}}',
      ]) {
        const res = await call(h.service.app, "POST", e.path, { token: e.token, raw });
        expectProblem(res, 422, "validation");
        const paths = (res.body.errors as { path: string }[]).map((x) => x.path);
        expect(
          paths.some((p) => /^body\.(surprise|__proto__|constructor)$/.test(p)),
          `${e.path}: ${res.text}`,
        ).toBe(true);
      }
    }
  });

  it("when fields have the wrong types, then 422 with each failing path", async () => {
    const res = await call(h.service.app, "POST", "/v1/runbooks/touch-dc1/runs", {
      token: h.tokens.admin,
      body: { dryRun: "yes", params: { key: { nested: true } }, reason: 7, fromPlan: "../x" },
    });
    expectProblem(res, 422, "validation");
    const paths = (res.body.errors as { path: string }[]).map((e) => e.path).sort();
    expect(paths).toEqual(["body.dryRun", "body.fromPlan", "body.params.key", "body.reason"]);
    const retry = await call(h.service.app, "POST", `/v1/runs/${runId}/retry`, {
      token: h.tokens.admin,
      body: { reason: ["x"] },
    });
    expect(retry.body.errors[0].path).toBe("body.reason");
    const sched = await call(h.service.app, "POST", "/v1/schedules", {
      token: h.tokens.admin,
      body: { id: "Bad Id", runbook: 3 },
    });
    expect((sched.body.errors as { path: string }[]).map((e) => e.path).sort()).toEqual([
      "body.cron",
      "body.id",
      "body.runbook",
    ]);
  });

  it("when params do not fit the runbook, then 422 naming each param", async () => {
    const res = await call(h.service.app, "POST", "/v1/runbooks/hold/runs", {
      token: h.tokens.admin,
      body: { params: { holdMs: "long", extra: "x" } },
    });
    expectProblem(res, 422, "params-invalid");
    expect((res.body.errors as { path: string }[]).map((e) => e.path).sort()).toEqual([
      "params.extra",
      "params.holdMs",
    ]);
  });

  it("when the body is huge, then 413 before it is parsed", async () => {
    const big = JSON.stringify({ reason: "x".repeat(200_000) });
    for (const e of JSON_POSTS()) {
      const res = await call(h.service.app, "POST", e.path, { token: e.token, raw: big });
      expectProblem(res, 413, "payload-too-large");
    }
    const yaml = `# ${"x".repeat(1_100_000)}\n`;
    const res = await call(h.service.app, "POST", "/v1/runbooks/validate", {
      token: h.tokens.viewer,
      raw: yaml,
      contentType: "application/yaml",
    });
    expectProblem(res, 413, "payload-too-large");
  });

  it("when the media type is wrong, then 415", async () => {
    for (const e of JSON_POSTS()) {
      const res = await call(h.service.app, "POST", e.path, {
        token: e.token,
        raw: "dryRun=false",
        contentType: "application/x-www-form-urlencoded",
      });
      expectProblem(res, 415, "unsupported-media-type");
    }
    const res = await call(h.service.app, "POST", "/v1/runbooks/validate", {
      token: h.tokens.viewer,
      raw: "<xml/>",
      contentType: "application/xml",
    });
    expectProblem(res, 415, "unsupported-media-type");
  });

  it("when a hostile runbook document is validated, then it is refused with located problems, quickly", async () => {
    const laughs = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 0; i < 9; i++)
      laughs.push(
        `${"bcdefghij"[i]}: &${"bcdefghij"[i]} [${Array(10)
          .fill(`*${i === 0 ? "a" : "bcdefghij"[i - 1]}`)
          .join(", ")}]`,
      );
    const t0 = Date.now();
    const res = await call(h.service.app, "POST", "/v1/runbooks/validate", {
      token: h.tokens.viewer,
      raw: laughs.join("\n"),
      contentType: "application/yaml",
    });
    expect(res.status).toBe(200);
    expect(res.body.valid).toBe(false);
    expect(Date.now() - t0).toBeLessThan(2_000);
    const deep = await call(h.service.app, "POST", "/v1/runbooks/validate", {
      token: h.tokens.viewer,
      raw: "[".repeat(5_000),
      contentType: "application/yaml",
    });
    expect(deep.body.valid).toBe(false);
  });
});

describe("bad paths, ids, headers and queries", () => {
  it("when ids are unknown, then 404 problem on every endpoint that takes one", async () => {
    const id = "00000000-0000-0000-0000-000000000000";
    const gets = [
      `/v1/runs/${id}`,
      `/v1/runs/${id}/report`,
      `/v1/runs/${id}/events`,
      "/v1/runbooks/no-such-runbook",
    ];
    for (const p of gets)
      expectProblem(await call(h.service.app, "GET", p, { token: h.tokens.viewer }), 404, "not-found");
    for (const cmd of ["approve", "reject", "cancel", "revert"]) {
      expectProblem(
        await call(h.service.app, "POST", `/v1/runs/${id}/${cmd}`, { token: h.tokens.admin }),
        404,
        "not-found",
      );
    }
    expectProblem(
      await call(h.service.app, "POST", `/v1/runs/${id}/retry`, {
        token: h.tokens.admin,
        body: { reason: "r" },
      }),
      404,
    );
    expectProblem(
      await call(h.service.app, "POST", `/v1/runs/${id}/steps/touch/skip`, {
        token: h.tokens.admin,
        body: { reason: "r" },
      }),
      404,
    );
    expectProblem(
      await call(h.service.app, "POST", `/v1/runs/${runId}/steps/no-step/skip`, {
        token: h.tokens.admin,
        body: { reason: "r" },
      }),
      404,
    );
    expectProblem(
      await call(h.service.app, "POST", "/v1/runbooks/no-such-runbook/runs", {
        token: h.tokens.admin,
        body: {},
      }),
      404,
    );
    expectProblem(
      await call(h.service.app, "DELETE", "/v1/schedules/no-such", { token: h.tokens.admin }),
      404,
    );
    expectProblem(await call(h.service.app, "GET", "/v1/nothing-here", { token: h.tokens.viewer }), 404);
    expectProblem(await call(h.service.app, "GET", "/nothing-here"), 404);
  });

  it("when the method is wrong on a known path, then 405 problem with an Allow header", async () => {
    const cases: Array<[string, string, string]> = [
      ["DELETE", "/v1/runbooks/touch-dc1/runs", "POST"],
      ["PUT", `/v1/runs/${runId}`, "GET, HEAD"],
      ["GET", `/v1/runs/${runId}/approve`, "POST"],
      ["PATCH", "/v1/schedules", "GET, HEAD, POST"],
      ["POST", "/v1/audit/verify", "GET, HEAD"],
      ["DELETE", "/healthz", "GET, HEAD"],
    ];
    for (const [method, path, allow] of cases) {
      const res = await call(h.service.app, method, path, { token: h.tokens.admin });
      expectProblem(res, 405, "method-not-allowed");
      expect(res.headers.allow).toBe(allow);
      expect(res.body.detail).toContain(allow);
    }
    // Unknown paths stay 404, and a wrong method still needs a valid token under /v1.
    expectProblem(await call(h.service.app, "DELETE", "/v1/nothing-here", { token: h.tokens.admin }), 404);
    expect((await call(h.service.app, "DELETE", `/v1/runs/${runId}`)).status).toBe(401);
  });

  it("when names and ids carry path tricks, then 4xx and nothing outside the runbooks directory is read", async () => {
    const tricks = [
      "..%2F..%2F..%2Fetc%2Fpasswd",
      "%2e%2e",
      "..",
      "%00",
      "touch-dc1%00.yaml",
      "TOUCH-DC1",
      "touch-dc1.yaml",
      "a".repeat(300),
      "%F0%9F%92%A5",
      "touch-dc1%20",
    ];
    for (const t of tricks) {
      const rb = await call(h.service.app, "GET", `/v1/runbooks/${t}`, { token: h.tokens.viewer });
      expect([404, 422], `${t}: ${rb.status}`).toContain(rb.status);
      expect(rb.headers["content-type"]).toMatch(/^application\/problem\+json/);
      const run = await call(h.service.app, "GET", `/v1/runs/${t}`, { token: h.tokens.viewer });
      expect([404, 422]).toContain(run.status);
      const start = await call(h.service.app, "POST", `/v1/runbooks/${t}/runs`, {
        token: h.tokens.admin,
        body: {},
      });
      expect([404, 422]).toContain(start.status);
      const del = await call(h.service.app, "DELETE", `/v1/schedules/${t}`, { token: h.tokens.admin });
      expect([404, 422]).toContain(del.status);
    }
    // A malformed percent-encoding is a client error too.
    const bad = await call(h.service.app, "GET", "/v1/runs/%E0%A4%A", { token: h.tokens.viewer });
    expect([400, 404, 422]).toContain(bad.status);
  });

  it("when query parameters are unknown or mistyped, then 422 naming them", async () => {
    const cases: [string, string][] = [
      ["/v1/runs?limit=-1", "query.limit"],
      ["/v1/runs?limit=abc", "query.limit"],
      ["/v1/runs?limit=100000", "query.limit"],
      ["/v1/runs?state=exploded", "query.state"],
      ["/v1/runs?dryRun=maybe", "query.dryRun"],
      ["/v1/runs?sneaky=1", "query.sneaky"],
      ["/v1/runs?limit=1&limit=2", "query.limit"],
      ["/v1/audit?afterSeq=-3", "query.afterSeq"],
      ["/v1/audit?runId=../x", "query.runId"],
      ["/v1/runs/x?verbose=1", "query.verbose"],
      ["/v1/runbooks?all=1", "query.all"],
    ];
    for (const [p, path] of cases) {
      const res = await call(h.service.app, "GET", p, { token: h.tokens.viewer });
      expect(res.status, `${p}: ${res.text}`).toBe(422);
      expect((res.body.errors as { path: string }[]).map((e) => e.path)).toContain(path);
    }
  });

  it("when headers are hostile (Idempotency-Key, Last-Event-ID, Authorization), then 4xx", async () => {
    const key = await call(h.service.app, "POST", "/v1/runbooks/touch-dc1/runs", {
      token: h.tokens.admin,
      body: {},
      headers: { "Idempotency-Key": "k".repeat(500) },
    });
    expectProblem(key, 422, "validation");
    expect(key.body.errors[0].path).toBe("headers.idempotency-key");
    const key2 = await call(h.service.app, "POST", "/v1/runbooks/touch-dc1/runs", {
      token: h.tokens.admin,
      body: {},
      headers: { "Idempotency-Key": "a b\tc" },
    });
    expectProblem(key2, 422);
    const auth = await call(h.service.app, "GET", "/v1/runs", {
      headers: { Authorization: `Bearer ${"x".repeat(10_000)}` },
    });
    expect([401, 431]).toContain(auth.status);
  });

  it("after all of that, the server still serves", async () => {
    expect((await call(h.service.app, "GET", "/healthz")).status).toBe(200);
    const res = await call(h.service.app, "POST", "/v1/runbooks/touch-dc1/runs", {
      token: h.tokens.operator,
      body: { params: { key: "still" } },
    });
    expect(res.status).toBe(202);
  });
});
