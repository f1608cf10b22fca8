// What a real run locks comes from the fields each step kind declares as targets, resolved from the
// run's params before it starts: a cluster named by an expression is locked, a param that merely
// equals a cluster name is not, and a target that cannot be resolved at start refuses the run.
/* eslint-disable @typescript-eslint/no-unsafe-member-access -- response bodies are JSON the contract check has validated */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "./contract.js";
import { eventually, startHarness } from "./harness.js";
import type { Harness } from "./harness.js";

const RUNBOOKS: Record<string, string> = {
  // The cluster is an expression over a param: `dc${{ params.n }}`.
  "by-expression": `
apiVersion: switchover/v1
kind: Runbook
metadata: { name: by-expression }
params:
  n: { type: number, default: 2 }
steps:
  - id: touch
    uses: test.touch
    with: { cluster: "dc\${{ params.n }}", key: "expr-\${{ params.n }}" }
`,
  // Shaped like stretched-dc-loss: failedRack names a rack that happens to share a cluster's name.
  "rack-param": `
apiVersion: switchover/v1
kind: Runbook
metadata: { name: rack-param }
params:
  cluster: { type: string, default: dc2 }
  failedRack: { type: string, default: dc1 }
steps:
  - id: touch
    uses: test.touch
    with: { cluster: "\${{ params.cluster }}", key: "rack-\${{ params.failedRack }}" }
`,
  // The second step's cluster is only known once the first has run.
  "from-output": `
apiVersion: switchover/v1
kind: Runbook
metadata: { name: from-output }
steps:
  - id: find
    uses: test.touch
    with: { cluster: dc1, key: found-cluster }
  - id: touch
    uses: test.touch
    with: { cluster: "\${{ steps.find.outputs.key }}", key: from-output }
`,
  // A step skipped by a params-only condition names no target, even one its params leave empty.
  "when-skipped": `
apiVersion: switchover/v1
kind: Runbook
metadata: { name: when-skipped }
params:
  extra: { type: string, default: "" }
steps:
  - id: main
    uses: test.touch
    with: { cluster: dc2, key: when-main }
  - id: extra
    uses: test.touch
    when: params.extra != ""
    with: { cluster: "\${{ params.extra }}", key: when-extra }
`,
};

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ runbooks: RUNBOOKS });
});
afterAll(async () => {
  await h?.close();
});

const post = (name: string, body: unknown, token = h.tokens.admin) =>
  call(h.service.app, "POST", `/v1/runbooks/${name}/runs`, { token, body });

async function settle(id: string, states = ["succeeded", "failed", "cancelled"]): Promise<string> {
  return eventually(
    async () => {
      const res = await call(h.service.app, "GET", `/v1/runs/${id}`, { token: h.tokens.viewer });
      const state = res.body.state as string;
      return states.includes(state) ? state : undefined;
    },
    20_000,
    `run ${id} to reach ${states.join("|")}`,
  );
}

async function cancel(id: string): Promise<void> {
  await call(h.service.app, "POST", `/v1/runs/${id}/cancel`, {
    token: h.tokens.admin,
    body: { reason: "test done" },
  });
  await settle(id);
}

async function runsOf(runbook: string): Promise<unknown[]> {
  const res = await call(h.service.app, "GET", `/v1/runs?runbook=${runbook}`, { token: h.tokens.viewer });
  expect(res.status).toBe(200);
  return res.body.items as unknown[];
}

describe("lock targets", () => {
  it("when a cluster is named by an expression over params, then that cluster is locked", async () => {
    const holder = await post("hold", { params: { key: "expr-holder", holdMs: 20_000 }, dryRun: false });
    expect(holder.status).toBe(202);
    try {
      const res = await post("by-expression", { params: { n: 2 }, dryRun: false });
      expect(res.status).toBe(409);
      expect(res.body.type).toBe("urn:switchover:problem:target-locked");
      expect(res.body.lockHolder).toMatchObject({ runId: holder.body.id as string, target: "cluster:dc2" });
      // dc1 is free, and the same runbook locks it when n names it.
      const other = await post("by-expression", { params: { n: 1 }, dryRun: false });
      expect(other.status).toBe(202);
      expect(other.body.targets).toEqual(["cluster:dc1"]);
      await settle(other.body.id as string);
    } finally {
      await cancel(holder.body.id as string);
    }
  });

  it("when a param only equals a cluster's name, then that cluster is not locked", async () => {
    const gated = await post("gated", { params: { key: "rack-holder" }, dryRun: false });
    expect(gated.status).toBe(202);
    expect(gated.body.targets).toEqual(["cluster:dc1"]);
    await settle(gated.body.id as string, ["waiting_approval"]);
    try {
      const res = await post("rack-param", { params: { failedRack: "dc1" }, dryRun: false });
      expect(res.status).toBe(202);
      expect(res.body.targets).toEqual(["cluster:dc2"]);
      expect(await settle(res.body.id as string)).toBe("succeeded");
    } finally {
      await cancel(gated.body.id as string);
    }
  });

  it("when a target can only be known after a step ran, then the real run is refused and none is created", async () => {
    const res = await post("from-output", { dryRun: false });
    expect(res.status).toBe(422);
    expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(res.body.type).toBe("urn:switchover:problem:target-unresolved");
    const errors = res.body.errors as { path: string; message: string }[];
    expect(errors).toHaveLength(1);
    expect(errors[0]!.path).toBe("steps[1].with.cluster");
    expect(errors[0]!.message).toContain("steps.find is not defined");
    expect(await runsOf("from-output")).toEqual([]);
  });

  it("when an expression names a cluster that is not configured, then the real run is refused at start", async () => {
    const before = (await runsOf("by-expression")).length;
    const res = await post("by-expression", { params: { n: 9 }, dryRun: false });
    expect(res.status).toBe(422);
    expect(res.body.type).toBe("urn:switchover:problem:target-unresolved");
    expect(res.body.errors).toEqual([
      { path: "steps[0].with.cluster", message: 'unknown cluster "dc9" (configured: dc1, dc2)' },
    ]);
    expect(await runsOf("by-expression")).toHaveLength(before);
  });

  it("when a step is skipped by a condition on params, then its target is not needed", async () => {
    const res = await post("when-skipped", { dryRun: false });
    expect(res.status).toBe(202);
    expect(res.body.targets).toEqual(["cluster:dc2"]);
    await settle(res.body.id as string);
    const both = await post("when-skipped", { params: { extra: "dc1" }, dryRun: false });
    expect(both.status).toBe(202);
    expect(both.body.targets).toEqual(["cluster:dc1", "cluster:dc2"]);
    await settle(both.body.id as string);
  });

  it("when a runbook is fetched, then its targets are resolved from the default params", async () => {
    const res = await call(h.service.app, "GET", "/v1/runbooks/by-expression", { token: h.tokens.viewer });
    expect(res.status).toBe(200);
    expect(res.body.targets).toEqual(["cluster:dc2"]);
  });
});

// Seen after a forced Redis Sentinel failover (test/integration/redis-ha.test.ts): the job of a run
// that had finished was delivered again (BullMQ could not mark it completed), and the run's target
// locks stayed held, so the next real run on the target got 409 target-locked.
describe("a job delivered again for a run that already finished", () => {
  it("when its locks are still held (their release was lost), then the worker gives them back and takes none", async () => {
    const res = await post("touch-dc1", { params: { key: "redelivered" }, dryRun: false });
    expect(res.status).toBe(202);
    const id = res.body.id as string;
    expect(await settle(id)).toBe("succeeded");
    const key = `${h.prefix}:lock:target:cluster:dc1`;
    expect(await h.redis.get(key)).toBeNull();
    // The release the failover lost: the finished run still holds dc1.
    await h.redis.set(key, `${id}|${Date.now()}|999999`);
    await h.service.queue.enqueueRun(id, "redelivered");
    await eventually(
      async () => ((await h.redis.get(key)) === null ? true : undefined),
      10_000,
      "the finished run's lock to be released by the worker",
    );
    // Nothing takes it back afterwards.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await h.redis.get(key)).toBeNull();
  });
});
