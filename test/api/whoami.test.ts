// GET /v1/whoami: the caller's name, roles and what they allow — what the web page uses to show
// only the commands a caller may take. Each `can` must agree with what the API then does.
/* eslint-disable @typescript-eslint/no-unsafe-member-access -- response bodies are JSON the contract check has validated */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "./contract.js";
import { startHarness } from "./harness.js";
import type { Harness } from "./harness.js";
import type { components } from "../../src/contract/openapi.js";

type WhoAmI = components["schemas"]["WhoAmI"];

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const who = async (token: string) => {
  const res = await call(h.service.app, "GET", "/v1/whoami", { token });
  return { status: res.status, body: res.body as WhoAmI };
};

describe("GET /v1/whoami", () => {
  it("when a viewer asks, then it names the token and allows no command", async () => {
    const res = await who(h.tokens.viewer);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      actor: "viewer",
      roles: ["viewer"],
      can: {
        startDryRun: false,
        startRealRun: false,
        approve: false,
        reject: false,
        cancel: false,
        retry: false,
        skip: false,
        revert: false,
        manageSchedules: false,
      },
    });
  });

  it("when an operator or an approver asks, then `can` matches what the API lets each do", async () => {
    const op = (await who(h.tokens.operator)).body.can;
    expect(op).toMatchObject({ startDryRun: true, startRealRun: true, cancel: true, approve: false });
    const ap = (await who(h.tokens.approver)).body.can;
    expect(ap).toMatchObject({ approve: true, reject: true, cancel: false, startDryRun: false });
    // The API agrees: an approver may not start a run, an operator may not approve one.
    const start = await call(h.service.app, "POST", "/v1/runbooks/touch-dc1/runs", {
      token: h.tokens.approver,
      body: {},
    });
    expect(start.status).toBe(403);
  });

  it("when a token holds two roles or admin, then it gets the union or everything", async () => {
    const both = (await who(h.tokens.approver2)).body;
    expect(both.roles).toEqual(["approver", "operator"]);
    expect(both.can).toMatchObject({ approve: true, cancel: true, manageSchedules: false });
    const admin = (await who(h.tokens.admin)).body.can;
    expect(Object.values(admin).every(Boolean)).toBe(true);
  });

  it("when a query is added, then 422 names it; without a token, 401", async () => {
    const res = await call(h.service.app, "GET", "/v1/whoami?x=1", { token: h.tokens.viewer });
    expect(res.status).toBe(422);
    expect(JSON.stringify(res.body.errors)).toContain("x");
    expect((await call(h.service.app, "GET", "/v1/whoami")).status).toBe(401);
  });
});
