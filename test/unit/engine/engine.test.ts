// The run engine on an in-memory store: dry-run vs real, pinning and drift, when/onFailure,
// retries with backoff, timeouts, cancellation, approval gates, retry/skip, and revert.
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../../src/engine/ports/manual-clock.js";
import { MemoryRunStore } from "../../../src/engine/ports/memory-run-store.js";
import type { SaveOptions } from "../../../src/engine/ports/run-store.js";
import { SwitchoverError, ErrorCode } from "../../../src/engine/errors.js";
import type { RunRecord } from "../../../src/engine/run-record.js";
import { harness, World } from "./fixtures.js";
import type { Harness } from "./fixtures.js";

const doc = (steps: string, params = ""): string =>
  `apiVersion: switchover/v1\nkind: Runbook\nmetadata: { name: orders-failover }\n${params}steps:\n${steps}`;

const THREE_SETS = doc(
  `  - id: min-isr
    uses: test.set
    with: { key: "orders.min.insync.replicas", value: "\${{ params.minIsr }}" }
  - id: dns
    uses: test.set
    with: { key: "kafka-primary", value: "\${{ params.target }}" }
  - id: marker
    uses: test.set
    with: { key: "failover.from", value: "\${{ steps.dns.outputs.previous }}" }
`,
  `params:\n  minIsr: { type: number, default: 1 }\n  target: { type: string, enum: [dc1, dc2], default: dc2 }\n`,
);

function seeded(): World {
  const world = new World();
  world.values.set("orders.min.insync.replicas", 3);
  world.values.set("kafka-primary", "dc1");
  return world;
}

async function run(
  h: Harness,
  yaml: string,
  opts: { dryRun?: boolean; params?: unknown; fromPlan?: string } = {},
): Promise<RunRecord> {
  const created = await h.engine.createRun({ runbook: h.runbook(yaml), ...opts });
  return h.engine.execute(created.id);
}

const states = (r: RunRecord): Record<string, string> =>
  Object.fromEntries(r.steps.map((s) => [s.id, s.state]));

describe("dry-run", () => {
  it("plans every step, applies none, and later steps plan with earlier outputs", async () => {
    const h = harness({ world: seeded() });
    const dry = await run(h, THREE_SETS);
    expect(dry.state).toBe("succeeded");
    expect(dry.dryRun).toBe(true);
    expect(h.world.writes).toEqual([]);
    expect(dry.steps.map((s) => s.plan?.changes)).toEqual([
      [{ resource: "orders.min.insync.replicas", field: "value", from: 3, to: 1 }],
      [{ resource: "kafka-primary", field: "value", from: "dc1", to: "dc2" }],
      [{ resource: "failover.from", field: "value", from: null, to: "dc1" }],
    ]);
    expect(dry.steps.every((s) => s.before === undefined && s.applyStartedAt === undefined)).toBe(true);
  });

  it("is the default: a real run has to say so", async () => {
    const h = harness();
    const created = await h.engine.createRun({ runbook: h.runbook(THREE_SETS) });
    expect(created.dryRun).toBe(true);
  });
});

describe("real run", () => {
  it("applies, records before-states, verifies, and tags logs with run and step", async () => {
    const h = harness({ world: seeded() });
    const real = await run(h, THREE_SETS, { dryRun: false });
    expect(real.state).toBe("succeeded");
    expect(Object.fromEntries(h.world.values)).toEqual({
      "orders.min.insync.replicas": 1,
      "kafka-primary": "dc2",
      "failover.from": "dc1",
    });
    expect(real.steps.map((s) => s.before)).toEqual([
      { "orders.min.insync.replicas": 3 },
      { "kafka-primary": "dc1" },
      { "failover.from": null },
    ]);
    expect(real.steps[0]!.outputs).toEqual({
      previous: 3,
      key: "orders.min.insync.replicas",
      verified: true,
    });
    const applying = h.logger.entries.filter((e) => e.msg === "applying");
    expect(applying.map((e) => [e.fields.runId, e.fields.stepId, e.fields.attempt])).toEqual([
      [real.id, "min-isr", 1],
      [real.id, "dns", 1],
      [real.id, "marker", 1],
    ]);
    const transitions = h.audit.events.filter((e) => e.stepId === "dns" && e.type === "step.transition");
    expect(transitions.map((e) => `${e.from}→${e.to}`)).toEqual([
      "pending→planning",
      "planning→applying",
      "applying→verifying",
      "verifying→succeeded",
    ]);
  });

  it("rejects bad params with every problem listed", async () => {
    const h = harness();
    await expect(
      h.engine.createRun({
        runbook: h.runbook(THREE_SETS),
        params: { minIsr: "2", target: "dc9", extra: 1 },
      }),
    ).rejects.toThrow(
      'invalid params: params.extra: unknown param (declared: minIsr, target); params.minIsr: expected number, received string "2"; params.target: "dc9" is not one of "dc1", "dc2"',
    );
  });
});

describe("pinning a real run to a reviewed dry-run", () => {
  it("runs when nothing drifted", async () => {
    const h = harness({ world: seeded() });
    const dry = await run(h, THREE_SETS);
    const real = await run(h, THREE_SETS, { dryRun: false, fromPlan: dry.id });
    expect(real.state).toBe("succeeded");
    expect(real.pin?.runId).toBe(dry.id);
  });

  it("stops at the drifted step with a drift report, applying nothing there", async () => {
    const h = harness({ world: seeded() });
    const dry = await run(h, THREE_SETS);
    h.world.values.set("kafka-primary", "dc3"); // someone changed DNS after the review
    const real = await run(h, THREE_SETS, { dryRun: false, fromPlan: dry.id });
    expect(real.state).toBe("failed");
    expect(states(real)).toEqual({ "min-isr": "succeeded", dns: "failed", marker: "pending" });
    expect(h.world.values.get("kafka-primary")).toBe("dc3");
    expect(real.drift).toEqual({
      stepId: "dns",
      pinnedRunId: dry.id,
      expectedHash: dry.steps[1]!.plan!.hash,
      actualHash: real.steps[1]!.plan!.hash,
      expected: [{ resource: "kafka-primary", field: "value", from: "dc1", to: "dc2" }],
      actual: [{ resource: "kafka-primary", field: "value", from: "dc3", to: "dc2" }],
    });
    expect(real.error?.code).toBe("PLAN_DRIFT");
    expect(real.steps[1]!.applyStartedAt).toBeUndefined();
    await expect(h.engine.retry(real.id, { reason: "try again" })).rejects.toThrow("stopped on drift");
  });

  it("refuses to pin to a plan of different params, a real run, or a failed dry-run", async () => {
    const h = harness({ world: seeded() });
    const dry = await run(h, THREE_SETS);
    const rb = h.runbook(THREE_SETS);
    await expect(
      h.engine.createRun({ runbook: rb, dryRun: false, fromPlan: dry.id, params: { minIsr: 2 } }),
    ).rejects.toThrow("params differ from the reviewed plan");
    const real = await run(h, THREE_SETS, { dryRun: false });
    await expect(h.engine.createRun({ runbook: rb, dryRun: false, fromPlan: real.id })).rejects.toThrow(
      "it is not a dry-run",
    );
    await expect(h.engine.createRun({ runbook: rb, dryRun: true, fromPlan: dry.id })).rejects.toThrow(
      "set dryRun: false",
    );
    const other = h.runbook(THREE_SETS.replace("orders-failover", "other"));
    await expect(h.engine.createRun({ runbook: other, dryRun: false, fromPlan: dry.id })).rejects.toThrow(
      "the runbook changed since",
    );
  });
});

describe("when and onFailure", () => {
  const yaml = doc(
    `  - id: maybe
    uses: test.set
    when: params.enabled
    with: { key: a, value: 1 }
  - id: breaks
    uses: test.set
    #onFailure
    with: { key: b, value: 2 }
  - id: after
    uses: test.set
    when: steps.maybe.state == "skipped"
    with: { key: c, value: 3 }
`,
    "params:\n  enabled: { type: boolean, default: false }\n",
  );

  it("skips steps whose when is false, and later conditions see it", async () => {
    const h = harness();
    const r = await run(h, yaml, { dryRun: false });
    expect(states(r)).toEqual({ maybe: "skipped", breaks: "succeeded", after: "succeeded" });
    expect(r.steps[0]!.skipReason).toBe("when: params.enabled is false");
  });

  it("aborts on a failed step by default and continues when told", async () => {
    const abort = harness();
    abort.world.failures.apply = {
      times: 1,
      error: () => new SwitchoverError(ErrorCode.Upstream, "broker said no"),
    };
    const r1 = await run(abort, yaml, { dryRun: false });
    expect(r1.state).toBe("failed");
    expect(states(r1)).toEqual({ maybe: "skipped", breaks: "failed", after: "pending" });
    expect(r1.error).toEqual({
      code: "UPSTREAM",
      message: "broker said no",
      retryable: false,
      details: { stepId: "breaks", phase: "apply" },
    });

    const cont = harness();
    cont.world.failures.apply = {
      times: 1,
      error: () => new SwitchoverError(ErrorCode.Upstream, "broker said no"),
    };
    const r2 = await run(cont, yaml.replace("#onFailure", "onFailure: continue"), {
      dryRun: false,
    });
    expect(r2.state).toBe("succeeded");
    expect(states(r2)).toEqual({ maybe: "skipped", breaks: "failed", after: "succeeded" });
    expect(r2.error?.code).toBe("STEPS_FAILED_CONTINUED");
  });
});

describe("retries", () => {
  const yaml = (retry: string): string =>
    doc(`  - id: s\n    uses: test.set\n    retry: ${retry}\n    with: { key: k, value: v }\n`);

  it("retries retryable errors with exponential backoff, persisting the next try time", async () => {
    const clock = new ManualClock();
    const h = harness({ clock });
    h.world.failures.plan = {
      times: 2,
      error: () => new SwitchoverError(ErrorCode.UpstreamUnavailable, "controller not available"),
    };
    const created = await h.engine.createRun({
      runbook: h.runbook(yaml("{ attempts: 3, backoff: { type: exponential, delay: 2s, maxDelay: 1m } }")),
      dryRun: false,
    });
    const t0 = clock.now();
    const r = await clock.drive(h.engine.execute(created.id));
    expect(r.state).toBe("succeeded");
    expect(r.steps[0]!.attempt).toBe(3);
    expect(clock.now() - t0).toBe(2_000 + 4_000);
    expect(h.world.writes).toHaveLength(1);
  });

  it("does not retry an error that says retrying cannot help", async () => {
    const h = harness();
    h.world.failures.plan = {
      times: 5,
      error: () => new SwitchoverError(ErrorCode.Validation, "bad topic name"),
    };
    const r = await run(h, yaml("{ attempts: 5, backoff: fixed }"), { dryRun: false });
    expect(r.state).toBe("failed");
    expect(r.steps[0]!.attempt).toBe(1);
    expect(h.world.failures.plan.times).toBe(4);
  });

  it("re-applies the same plan when verify fails, without a second write", async () => {
    const clock = new ManualClock();
    const h = harness({ clock });
    h.world.failures.verify = {
      times: 1,
      error: () => new SwitchoverError(ErrorCode.VerifyFailed, "not visible on all brokers yet"),
    };
    const created = await h.engine.createRun({
      runbook: h.runbook(yaml("{ attempts: 2, backoff: fixed }")),
      dryRun: false,
    });
    const r = await clock.drive(h.engine.execute(created.id));
    expect(r.state).toBe("succeeded");
    expect(h.world.writes).toEqual([{ key: "k", value: "v" }]);
    const transitions = h.audit.events
      .filter((e) => e.type === "step.transition")
      .map((e) => `${e.from}→${e.to}`);
    expect(transitions).toEqual([
      "pending→planning",
      "planning→applying",
      "applying→verifying",
      "verifying→applying",
      "applying→verifying",
      "verifying→succeeded",
    ]);
  });

  it("treats an unknown thrown error as a bug: not retried", async () => {
    const h = harness();
    h.world.failures.apply = { times: 1, error: () => new TypeError("cannot read properties of undefined") };
    const r = await run(h, yaml("{ attempts: 3 }"), { dryRun: false });
    expect(r.error).toMatchObject({ code: "INTERNAL", retryable: false });
  });
});

describe("timeouts and cancellation", () => {
  it("times out a phase and aborts the step's own wait", async () => {
    const clock = new ManualClock();
    const h = harness({ clock });
    h.world.hangApply = true;
    const created = await h.engine.createRun({
      runbook: h.runbook(
        doc(`  - id: s\n    uses: test.set\n    timeout: 5s\n    with: { key: k, value: v }\n`),
      ),
      dryRun: false,
    });
    const r = await clock.drive(h.engine.execute(created.id));
    expect(r.state).toBe("failed");
    expect(r.error).toMatchObject({ code: "STEP_TIMEOUT", message: "step s timed out after 5s" });
    expect(clock.pending).toBe(0);
  });

  it("cancel aborts an in-flight wait at once", async () => {
    const h = harness();
    const created = await h.engine.createRun({
      runbook: h.runbook(
        doc(
          `  - id: long\n    uses: wait\n    with: { duration: 1h }\n  - id: next\n    uses: test.set\n    with: { key: k, value: v }\n`,
        ),
      ),
      dryRun: false,
    });
    const executing = h.engine.execute(created.id);
    await new Promise((r) => setTimeout(r, 20));
    const t0 = performance.now();
    await h.engine.cancel(created.id, { by: "oncall", reason: "dc1 came back" });
    const r = await executing;
    expect(performance.now() - t0).toBeLessThan(200);
    expect(r.state).toBe("cancelled");
    expect(states(r)).toEqual({ long: "failed", next: "pending" });
    expect(r.error).toMatchObject({ code: "CANCELLED", message: "dc1 came back" });
    expect(h.world.writes).toEqual([]);
  });

  it("a cancel recorded by another process aborts the in-flight wait too", async () => {
    const store = new MemoryRunStore();
    const worker = harness({ store, cancelPollMs: 20 });
    const api = harness({ store });
    const created = await worker.engine.createRun({
      runbook: worker.runbook(doc(`  - id: long\n    uses: wait\n    with: { duration: 1h }\n`)),
      dryRun: false,
    });
    const executing = worker.engine.execute(created.id);
    await new Promise((r) => setTimeout(r, 30));
    await api.engine.cancel(created.id, { by: "oncall", reason: "abort drill" });
    const t0 = performance.now();
    const r = await executing;
    expect(performance.now() - t0).toBeLessThan(500);
    expect(r.state).toBe("cancelled");
    expect(r.error?.message).toBe("abort drill");
  });

  it("cancels queued and parked runs directly, and refuses to cancel a finished one", async () => {
    const h = harness();
    const queued = await h.engine.createRun({ runbook: h.runbook(THREE_SETS) });
    expect((await h.engine.cancel(queued.id)).state).toBe("cancelled");
    expect((await h.engine.execute(queued.id)).state).toBe("cancelled");
    await expect(h.engine.cancel(queued.id)).rejects.toThrow("already cancelled");
  });
});

describe("approval gates", () => {
  const gated = doc(`  - id: repoint
    uses: test.set
    approval: { message: "Repoint kafka-primary to dc2?" }
    with: { key: kafka-primary, value: dc2 }
  - id: done
    uses: approval
    with: { message: "Confirm consumers are healthy" }
`);

  it("parks in waiting_approval before apply, then continues once approved", async () => {
    const h = harness({ world: seeded() });
    const parked = await run(h, gated, { dryRun: false });
    expect(parked.state).toBe("waiting_approval");
    expect(parked.steps[0]).toMatchObject({
      state: "planning",
      approval: { status: "pending", message: "Repoint kafka-primary to dc2?" },
      plan: { changes: [{ resource: "kafka-primary", from: "dc1", to: "dc2" }] },
    });
    expect(h.world.writes).toEqual([]);
    expect((await h.engine.execute(parked.id)).state).toBe("waiting_approval");

    await h.engine.approve(parked.id, { by: "alice", comment: "go" });
    const second = await h.engine.execute(parked.id);
    expect(second.state).toBe("waiting_approval");
    expect(second.steps[1]!.approval?.status).toBe("pending");
    expect(h.world.values.get("kafka-primary")).toBe("dc2");

    await h.engine.approve(parked.id, { by: "bob" });
    const done = await h.engine.execute(parked.id);
    expect(done.state).toBe("succeeded");
    expect(done.steps[0]!.approval).toMatchObject({ status: "approved", by: "alice", comment: "go" });
  });

  it("fails the run when rejected", async () => {
    const h = harness({ world: seeded() });
    const parked = await run(h, gated, { dryRun: false });
    const r = await h.engine.reject(parked.id, { by: "alice", comment: "dc1 is recovering" });
    expect(r.state).toBe("failed");
    expect(r.error?.message).toBe("step repoint was rejected by alice: dc1 is recovering");
    expect(h.world.writes).toEqual([]);
  });

  it("refuses to apply an approved plan if the world changed while waiting", async () => {
    const h = harness({ world: seeded() });
    const parked = await run(h, gated, { dryRun: false });
    h.world.values.set("kafka-primary", "dc3");
    await h.engine.approve(parked.id, { by: "alice" });
    const r = await h.engine.execute(parked.id);
    expect(r.state).toBe("failed");
    expect(r.error?.message).toBe(
      "step repoint: plan changed while waiting for approval; nothing was applied",
    );
    expect(h.world.values.get("kafka-primary")).toBe("dc3");
  });

  it("does not park dry-runs", async () => {
    const h = harness({ world: seeded() });
    expect((await run(h, gated)).state).toBe("succeeded");
  });
});

describe("operator retry and skip", () => {
  it("resumes a failed run from the failed step, or skips it", async () => {
    const h = harness({ world: seeded() });
    h.world.failures.apply = { times: 1, error: () => new SwitchoverError(ErrorCode.Upstream, "boom") };
    const failed = await run(h, THREE_SETS, { dryRun: false });
    expect(states(failed)).toEqual({ "min-isr": "failed", dns: "pending", marker: "pending" });
    await h.engine.retry(failed.id, { by: "alice", reason: "broker restarted" });
    const r = await h.engine.execute(failed.id);
    expect(r.state).toBe("succeeded");
    expect(r.steps[0]!.attempt).toBe(2);

    const h2 = harness({ world: seeded() });
    h2.world.failures.apply = { times: 1, error: () => new SwitchoverError(ErrorCode.Upstream, "boom") };
    const f2 = await run(h2, THREE_SETS, { dryRun: false });
    await h2.engine.skipStep(f2.id, "min-isr", { by: "alice", reason: "done by hand" });
    await h2.engine.retry(f2.id, { by: "alice", reason: "continue" });
    const r2 = await h2.engine.execute(f2.id);
    expect(states(r2)).toEqual({ "min-isr": "skipped", dns: "succeeded", marker: "succeeded" });
    expect(r2.steps[0]!.skipReason).toBe("skipped by alice: done by hand");
  });
});

describe("revert", () => {
  it("restores exactly the recorded state, mutating steps in reverse order", async () => {
    const h = harness({ world: seeded() });
    h.world.values.set("unrelated", "keep");
    const original = new Map(h.world.values);
    const real = await run(h, THREE_SETS, { dryRun: false });
    h.world.writes.length = 0;
    const revert = await h.engine.createRevert(real.id, { by: "alice", dryRun: false });
    expect(revert.revertOf).toBe(real.id);
    expect(revert.runbook.steps.map((s) => [s.id, s.uses, s.with])).toEqual([
      ["revert-marker", "test.delete", { key: "failover.from" }],
      ["revert-dns", "test.set", { key: "kafka-primary", value: "dc1" }],
      ["revert-min-isr", "test.set", { key: "orders.min.insync.replicas", value: 3 }],
    ]);
    const r = await h.engine.execute(revert.id);
    expect(r.state).toBe("succeeded");
    expect(h.world.values).toEqual(original);
    expect(h.world.writes.map((w) => w.key)).toEqual([
      "failover.from",
      "kafka-primary",
      "orders.min.insync.replicas",
    ]);
  });

  it("leaves out steps that changed nothing and never evaluates recorded values as expressions", async () => {
    const h = harness();
    h.world.values.set("a", "${{ run.id }}");
    h.world.values.set("b", "same");
    const yaml = doc(
      `  - id: a\n    uses: test.set\n    with: { key: a, value: new }\n  - id: b\n    uses: test.set\n    with: { key: b, value: same }\n`,
    );
    const real = await run(h, yaml, { dryRun: false });
    const revert = await h.engine.createRevert(real.id, { dryRun: false });
    expect(revert.runbook.steps.map((s) => s.id)).toEqual(["revert-a"]);
    await h.engine.execute(revert.id);
    expect(h.world.values.get("a")).toBe("${{ run.id }}");
  });

  it("reverts a failed run, including the step that failed after applying", async () => {
    const h = harness({ world: seeded() });
    const original = new Map(h.world.values);
    h.world.failures.verify = {
      times: 1,
      error: () => new SwitchoverError(ErrorCode.Upstream, "not visible"),
    };
    const failed = await run(h, THREE_SETS, { dryRun: false });
    expect(states(failed)).toEqual({ "min-isr": "failed", dns: "pending", marker: "pending" });
    const r = await h.engine.execute((await h.engine.createRevert(failed.id, { dryRun: false })).id);
    expect(r.state).toBe("succeeded");
    expect(h.world.values).toEqual(original);
  });

  it("refuses dry-runs, unfinished runs and runs that changed nothing", async () => {
    const h = harness({ world: seeded() });
    const dry = await run(h, THREE_SETS);
    await expect(h.engine.createRevert(dry.id)).rejects.toThrow("is a dry-run; it changed nothing");
    const queued = await h.engine.createRun({ runbook: h.runbook(THREE_SETS), dryRun: false });
    await expect(h.engine.createRevert(queued.id)).rejects.toThrow("is queued; revert a finished run");
    const gate = await run(h, doc(`  - id: g\n    uses: approval\n`), { dryRun: false });
    await h.engine.approve(gate.id);
    const finished = await h.engine.execute(gate.id);
    await expect(h.engine.createRevert(finished.id)).rejects.toThrow(
      "changed nothing; there is nothing to revert",
    );
  });
});

describe("two executors of one run", () => {
  it("the one that falls behind records nothing over the other's progress", async () => {
    const store = new MemoryRunStore();
    const a = harness({ store });
    const b = harness({ store, world: a.world });
    a.world.hangApply = true;
    const created = await a.engine.createRun({
      runbook: a.runbook(
        doc(`  - id: s\n    uses: test.set\n    timeout: 200ms\n    with: { key: k, value: v }\n`),
      ),
      dryRun: false,
    });
    const first = a.engine.execute(created.id);
    await new Promise((r) => setTimeout(r, 30));
    // b takes over the same run (as a second worker would) and moves it on.
    a.world.hangApply = false;
    const second = await b.engine.execute(created.id);
    expect(second.state).toBe("succeeded");
    // a's apply times out; it re-reads the run, finds the step finished by b, and writes nothing.
    expect((await first).state).toBe("succeeded");
    const stored = await store.get(created.id);
    expect(stored?.state).toBe("succeeded");
    expect(stored?.steps[0]?.error).toBeUndefined();
  });

  it("the one that loses a compare-and-set stops at once without marking the step failed", async () => {
    /** Another worker saves the run just before this executor records the step as applying. */
    class RacingStore extends MemoryRunStore {
      raced = false;
      override async save(run: RunRecord, opts?: SaveOptions): Promise<RunRecord> {
        if (!this.raced && run.steps[0]?.state === "applying") {
          this.raced = true;
          await super.save((await this.get(run.id))!);
        }
        return super.save(run, opts);
      }
    }
    const store = new RacingStore();
    const h = harness({ store });
    const created = await h.engine.createRun({
      runbook: h.runbook(doc(`  - id: s\n    uses: test.set\n    with: { key: k, value: v }\n`)),
      dryRun: false,
    });
    await expect(h.engine.execute(created.id)).rejects.toThrow(
      /run .* changed concurrently \(expected version 3, found 4\)/,
    );
    const stored = await store.get(created.id);
    expect(stored?.steps[0]).toMatchObject({ state: "planning" });
    expect(stored?.steps[0]?.error).toBeUndefined();
    expect(h.world.writes).toEqual([]);
  });
});
