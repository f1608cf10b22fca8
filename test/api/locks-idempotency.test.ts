// Safe under pressure: one real run per target (50 concurrent POSTs → one 202 and 49 × 409 naming
// the holder), dry-runs never block, and Idempotency-Key replays return the same run.
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

const post = (name: string, body: unknown, headers: Record<string, string> = {}, token = h.tokens.operator) =>
  call(h.service.app, "POST", `/v1/runbooks/${name}/runs`, { token, body, headers });

async function finished(id: string): Promise<void> {
  await eventually(async () => {
    const res = await call(h.service.app, "GET", `/v1/runs/${id}`, { token: h.tokens.viewer });
    return ["succeeded", "failed", "cancelled"].includes(res.body.state as string) ? true : undefined;
  }, 20_000);
}

describe("one real run per target", () => {
  it("when 50 real runs for one target arrive at once, then exactly one starts and 49 get 409 naming it", async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        post("hold", { params: { key: `race-${i}`, holdMs: 1_000 }, dryRun: false }),
      ),
    );
    const accepted = results.filter((r) => r.status === 202);
    const refused = results.filter((r) => r.status === 409);
    expect(accepted).toHaveLength(1);
    expect(refused).toHaveLength(49);
    const winner = accepted[0]!.body.id as string;
    for (const r of refused) {
      expect(r.body.type).toBe("urn:switchover:problem:target-locked");
      expect(r.body.runId).toBe(winner);
      expect(r.body.lockHolder).toMatchObject({ runId: winner, target: "cluster:dc2" });
      expect(r.body.detail).toContain(winner);
    }
    // Dry-runs of the same runbook are never blocked by the real run.
    const dry = await post("hold", { params: { key: "dry-during", holdMs: 0 } });
    expect(dry.status).toBe(202);
    // Another target is free.
    const other = await post("touch-dc1", { params: { key: "other-target" }, dryRun: false });
    expect(other.status).toBe(202);
    // Once the holder finishes, the target is free again.
    await finished(winner);
    const next = await post("hold", { params: { key: "after", holdMs: 0 }, dryRun: false });
    expect(next.status).toBe(202);
    await finished(next.body.id as string);
    await finished(other.body.id as string);
    expect(await h.touches("race-0")).toBeLessThanOrEqual(1);
    const metrics = await call(h.service.app, "GET", "/metrics");
    expect(metrics.text).toMatch(/switchover_target_lock_conflicts_total\{target="cluster:dc2"\} 49\b/);
    expect(metrics.text).toMatch(/switchover_target_lock_acquire_seconds_count\{outcome="conflict"\} 49\b/);
  });

  it("when a runbook takes its target from a param, then that param's cluster is locked", async () => {
    const first = await post("by-param", { params: { cluster: "dc1" }, dryRun: false }, {}, h.tokens.admin);
    expect(first.status).toBe(202);
    expect(first.body.targets).toEqual(["cluster:dc1"]);
    await finished(first.body.id as string);
  });

  it("when the holder's run is gone (finished without releasing), then the stale lock is reclaimed", async () => {
    const run = await post("touch-dc1", { params: { key: "stale" }, dryRun: false });
    await finished(run.body.id as string);
    // Simulate a lost release: the lock is back, naming the finished run.
    await h.redis.set(`${h.prefix}:lock:target:cluster:dc1`, `${run.body.id as string}|${Date.now()}|1`);
    const next = await post("touch-dc1", { params: { key: "stale2" }, dryRun: false });
    expect(next.status).toBe(202);
    await finished(next.body.id as string);
  });
});

describe("Idempotency-Key", () => {
  it("when the same key and body are sent again, then the same run comes back marked replayed", async () => {
    const body = { params: { key: "idem1" }, dryRun: true };
    const first = await post("touch-dc1", body, { "Idempotency-Key": "drill-2026-11-25" });
    expect(first.status).toBe(202);
    expect(first.headers["idempotent-replayed"]).toBeUndefined();
    const again = await post("touch-dc1", body, { "Idempotency-Key": "drill-2026-11-25" });
    expect(again.status).toBe(202);
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(again.body.id).toBe(first.body.id);
  });

  it("when the same key comes with a different body, then 422", async () => {
    await post("touch-dc1", { params: { key: "idem2" } }, { "Idempotency-Key": "k-2" });
    const res = await post("touch-dc1", { params: { key: "other" } }, { "Idempotency-Key": "k-2" });
    expect(res.status).toBe(422);
    expect(res.body.type).toBe("urn:switchover:problem:idempotency-key-reused");
  });

  it("when 20 duplicates race with one key, then they all get the one run", async () => {
    const body = { params: { key: "idem3", holdMs: 0 }, dryRun: false };
    const results = await Promise.all(
      Array.from({ length: 20 }, () => post("hold", body, { "Idempotency-Key": "race-key" })),
    );
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(202));
    expect(new Set(results.map((r) => r.body.id as string)).size).toBe(1);
    await finished(results[0]!.body.id as string);
    expect(await h.touches("idem3")).toBe(1);
  });

  it("when the first request failed, then the key is free for a corrected retry", async () => {
    const bad = await post("by-param", { params: { cluster: "dc9" } }, { "Idempotency-Key": "fix-me" });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0]).toMatchObject({ path: "params.cluster" });
    const bad2 = await post("by-param", { params: { cluster: "dc9" } }, { "Idempotency-Key": "fix-me" });
    expect(bad2.status).toBe(422);
    const good = await post("by-param", { params: { cluster: "dc1" } }, { "Idempotency-Key": "fix-me-2" });
    expect(good.status).toBe(202);
  });

  it("when two tokens use the same key, then they do not collide", async () => {
    const a = await post(
      "touch-dc1",
      { params: { key: "scoped" } },
      { "Idempotency-Key": "shared" },
      h.tokens.operator,
    );
    const b = await post(
      "touch-dc1",
      { params: { key: "scoped" } },
      { "Idempotency-Key": "shared" },
      h.tokens.admin,
    );
    expect(a.status).toBe(202);
    expect(b.status).toBe(202);
    expect(b.body.id).not.toBe(a.body.id);
  });
});
