// The second person cannot be bypassed: every run command × caller × run state, each with its
// expected answer, from one table. Under approvals.required all with 2 approvers, a real run is
// started by approver2 (operator and approver roles: the requester with the most rights) and parks
// before its only change; whatever the command and whoever sends it, the change is never applied
// (one approval is a grant, not the two needed; break glass is approvals.test.ts's).
/* eslint-disable @typescript-eslint/no-unsafe-member-access -- response bodies are JSON the contract check has validated */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "./contract.js";
import { eventually, startHarness } from "./harness.js";
import type { Harness, TokenName } from "./harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ service: { approvals: { required: "all", approvers: 2 } } });
});
afterAll(async () => {
  await h?.close();
});

type Caller = "viewer" | "operator" | "approver" | "admin" | "approver2";
const CALLERS: Caller[] = ["viewer", "operator", "approver", "admin", "approver2"];
type State = "waiting" | "rejected";
type Command = "approve" | "reject" | "skip gate" | "skip next" | "retry" | "cancel" | "revert";

/** Expected status per caller; approver2 is the requester. */
const MATRIX: Record<State, Record<Command, Record<Caller, number>>> = {
  waiting: {
    approve: { viewer: 403, operator: 403, approver: 200, admin: 200, approver2: 403 },
    reject: { viewer: 403, operator: 403, approver: 200, admin: 200, approver2: 200 },
    "skip gate": { viewer: 403, operator: 409, approver: 403, admin: 409, approver2: 409 },
    "skip next": { viewer: 403, operator: 403, approver: 403, admin: 200, approver2: 403 },
    retry: { viewer: 403, operator: 409, approver: 403, admin: 409, approver2: 409 },
    cancel: { viewer: 403, operator: 200, approver: 403, admin: 200, approver2: 200 },
    revert: { viewer: 403, operator: 409, approver: 403, admin: 409, approver2: 409 },
  },
  rejected: {
    approve: { viewer: 403, operator: 403, approver: 409, admin: 409, approver2: 409 },
    reject: { viewer: 403, operator: 403, approver: 409, admin: 409, approver2: 409 },
    "skip gate": { viewer: 403, operator: 409, approver: 403, admin: 409, approver2: 409 },
    "skip next": { viewer: 403, operator: 200, approver: 403, admin: 200, approver2: 200 },
    retry: { viewer: 403, operator: 202, approver: 403, admin: 202, approver2: 202 },
    cancel: { viewer: 403, operator: 409, approver: 403, admin: 409, approver2: 409 },
    revert: { viewer: 403, operator: 409, approver: 403, admin: 409, approver2: 409 },
  },
};

const REQUEST: Record<Command, (id: string) => { path: string; body: unknown }> = {
  approve: (id) => ({ path: `/v1/runs/${id}/approve`, body: { comment: "matrix" } }),
  reject: (id) => ({ path: `/v1/runs/${id}/reject`, body: { comment: "matrix" } }),
  "skip gate": (id) => ({ path: `/v1/runs/${id}/steps/touch/skip`, body: { reason: "matrix" } }),
  "skip next": (id) => ({ path: `/v1/runs/${id}/steps/check/skip`, body: { reason: "matrix" } }),
  retry: (id) => ({ path: `/v1/runs/${id}/retry`, body: { reason: "matrix" } }),
  cancel: (id) => ({ path: `/v1/runs/${id}/cancel`, body: { reason: "matrix" } }),
  revert: (id) => ({ path: `/v1/runs/${id}/revert`, body: { dryRun: false, reason: "matrix" } }),
};

async function runOf(id: string): Promise<{ state: string; steps: { id: string; state: string }[] }> {
  return (await call(h.service.app, "GET", `/v1/runs/${id}`, { token: h.tokens.viewer })).body as {
    state: string;
    steps: { id: string; state: string }[];
  };
}

/** Waits until the run is parked or finished (nothing in flight), and returns it. */
async function settled(id: string) {
  return eventually(
    async () => {
      const run = await runOf(id);
      return ["waiting_approval", "succeeded", "failed", "cancelled"].includes(run.state) ? run : undefined;
    },
    15_000,
    `run ${id} parked or finished`,
  );
}

let n = 0;
/** A fresh real run of touch-dc1 by approver2, parked at its policy gate (rejected, for that state). */
async function parkedRun(state: State): Promise<{ id: string; key: string }> {
  const key = `matrix-${n++}`;
  const res = await call(h.service.app, "POST", "/v1/runbooks/touch-dc1/runs", {
    token: h.tokens.approver2,
    body: { dryRun: false, params: { key } },
  });
  expect(res.status, res.text).toBe(202);
  const id = res.body.id as string;
  expect((await settled(id)).state).toBe("waiting_approval");
  if (state === "rejected") {
    const rejected = await call(h.service.app, "POST", `/v1/runs/${id}/reject`, { token: h.tokens.approver });
    expect(rejected.body.state).toBe("failed");
  }
  return { id, key };
}

describe("authorization matrix of the run commands under approvals.required all (2 approvers)", () => {
  let tried = 0;
  for (const state of ["waiting", "rejected"] as const) {
    for (const command of Object.keys(MATRIX[state]) as Command[]) {
      it(`${state} run: ${command} by each caller answers as the table says and applies nothing`, async () => {
        for (const caller of CALLERS) {
          const { id, key } = await parkedRun(state);
          const { path, body } = REQUEST[command](id);
          const res = await call(h.service.app, "POST", path, { token: h.tokens[caller as TokenName], body });
          expect(res.status, `${caller}: ${res.text}`).toBe(MATRIX[state][command][caller]);
          tried++;
          const after = await settled(id);
          // No bypass: the change behind the gate never applied, and no revert changed anything.
          expect(await h.touches(key), `${caller} ${command}`).toBe(0);
          expect(await h.touches(`${key}-revert`)).toBe(0);
          expect(after.steps.find((s) => s.id === "touch")?.state).not.toBe("succeeded");
          if (res.status === 202 && command === "revert") await settled(res.body.id as string);
          if (after.state === "waiting_approval") {
            await call(h.service.app, "POST", `/v1/runs/${id}/cancel`, { token: h.tokens.admin, body: {} });
          }
        }
      });
    }
  }
  it("tried every cell of the table", () => {
    expect(tried).toBe(2 * 7 * CALLERS.length);
  });
});
