// RunLocks owns a real run's target locks: the worker's re-take never leaves a terminal run holding
// anything, whether it was terminal before the job arrived or became so while the locks were granted.
import { describe, expect, it } from "vitest";
import type { RunRecord } from "../../../src/engine/run-record.js";
import { holderState, RunLocks } from "../../../src/queue/run-locks.js";
import type { AcquireResult } from "../../../src/queue/target-lock.js";

const TARGETS = ["cluster:dc1"];

function fakeLocks() {
  const held = new Map<string, string>();
  return {
    held,
    async acquire(targets: readonly string[], runId: string): Promise<AcquireResult> {
      for (const t of targets) {
        const h = held.get(t);
        if (h && h !== runId) return { ok: false, holder: { runId: h, target: t, since: 0, fence: 1 } };
      }
      for (const t of targets) held.set(t, runId);
      return { ok: true, fence: 1, claims: targets.map((t) => ({ key: t, value: runId })) };
    },
    async release(targets: readonly string[], runId: string): Promise<number> {
      let n = 0;
      for (const t of targets) if (held.get(t) === runId && held.delete(t)) n++;
      return n;
    },
  };
}

const run = (state: RunRecord["state"], dryRun = false): RunRecord =>
  ({ id: "r-1", state, dryRun }) as unknown as RunRecord;

function locksWith(reads: RunRecord["state"][]) {
  const locks = fakeLocks();
  let i = 0;
  const runLocks = new RunLocks({
    locks,
    meta: { get: async () => ({ trigger: "api", targets: TARGETS }) },
    runs: { get: async () => run(reads[Math.min(i++, reads.length - 1)]!) },
  });
  return { locks, runLocks };
}

describe("RunLocks", () => {
  it("when the worker picks up a job for a run already terminal, then it takes no lock", async () => {
    const { locks, runLocks } = locksWith(["succeeded"]);
    const claim = await runLocks.claimForDriving(run("succeeded"));
    expect(claim.outcome).toBe("finished");
    expect([...locks.held]).toEqual([]);
  });

  it("when the run becomes terminal while its locks are granted (a cancel), then they go straight back", async () => {
    const { locks, runLocks } = locksWith(["cancelled"]);
    const claim = await runLocks.claimForDriving(run("queued"));
    expect(claim).toMatchObject({ outcome: "finished", run: { state: "cancelled" } });
    expect([...locks.held]).toEqual([]);
  });

  it("when the run is still active, then the worker holds its targets with claims", async () => {
    const { locks, runLocks } = locksWith(["running"]);
    const claim = await runLocks.claimForDriving(run("running"));
    expect(claim).toMatchObject({ outcome: "claimed", claims: [{ key: "cluster:dc1", value: "r-1" }] });
    expect(locks.held.get("cluster:dc1")).toBe("r-1");
    await runLocks.settle(run("running"));
    expect(locks.held.get("cluster:dc1")).toBe("r-1");
    await runLocks.settle(run("failed"));
    expect([...locks.held]).toEqual([]);
  });

  it("when another run holds a target, then take refuses with TARGET_LOCKED naming it", async () => {
    const { locks, runLocks } = locksWith(["running"]);
    locks.held.set("cluster:dc1", "r-0");
    await expect(runLocks.take(TARGETS, "r-1")).rejects.toMatchObject({
      code: "TARGET_LOCKED",
      details: { runId: "r-0", lockHolder: { runId: "r-0", target: "cluster:dc1" } },
    });
  });

  it.each([
    [undefined, "missing"],
    ["queued", "active"],
    ["waiting_approval", "active"],
    ["running", "active"],
    ["succeeded", "done"],
    ["failed", "done"],
    ["cancelled", "done"],
  ] as const)("a holder run in state %s is %s", (state, expected) => {
    expect(holderState(state === undefined ? undefined : { state })).toBe(expected);
  });
});
