import { describe, expect, it } from "vitest";
import {
  assessGroup,
  downstreamOf,
  latestCheckpoints,
  remoteTopic,
  sourceTopicOf,
  unreplicated,
  upstreamOf,
} from "./offset-translation.js";
import type { TimedCheckpoint } from "./offset-translation.js";

const identity = { naming: "identity" as const, sourceAlias: "dc1", separator: ".", topics: "orders.*" };
const prefixed = { naming: "prefixed" as const, sourceAlias: "dc1", separator: ".", topics: "payments.*" };
const cp = (
  group: string,
  topic: string,
  partition: number,
  up: bigint,
  down: bigint,
  emittedAt = 1_000,
): TimedCheckpoint => ({
  group,
  topic,
  partition,
  upstreamOffset: up,
  downstreamOffset: down,
  metadata: "",
  emittedAt,
});
const sync = (topic: string, partition: number, up: bigint, down: bigint) => ({
  topic,
  partition,
  upstreamOffset: up,
  downstreamOffset: down,
});

describe("topic naming", () => {
  it("maps both ways under identity and prefixed policies, and only the flow's topics", () => {
    expect(remoteTopic(identity, "orders.eu")).toBe("orders.eu");
    expect(remoteTopic(prefixed, "payments.eu")).toBe("dc1.payments.eu");
    expect(sourceTopicOf(prefixed, "dc1.payments.eu")).toBe("payments.eu");
    expect(sourceTopicOf(prefixed, "payments.eu")).toBeNull();
    expect(sourceTopicOf(identity, "orders.eu")).toBe("orders.eu");
    expect(sourceTopicOf(identity, "dc1.payments.eu")).toBeNull();
  });
});

describe("checkpoints", () => {
  it("keeps the last checkpoint per group and partition, dropping other flows' topics", () => {
    const latest = latestCheckpoints(
      [cp("g", "orders", 0, 5n, 4n), cp("g", "orders", 0, 9n, 8n), cp("g", "dc1.payments", 0, 1n, 1n)],
      identity,
    );
    expect([...latest.get("g")!.values()].map((c) => c.downstreamOffset)).toEqual([8n]);
  });
});

describe("sync math", () => {
  const syncs = [sync("orders", 0, 100n, 40n), sync("orders", 0, 200n, 140n)];
  it("translates linearly from the nearest sync below", () => {
    expect(downstreamOf(syncs, 150n)).toBe(90n);
    expect(downstreamOf(syncs, 250n)).toBe(190n);
    expect(downstreamOf(syncs, 50n)).toBeNull();
    expect(upstreamOf(syncs, 150n)).toBe(210n);
    expect(unreplicated(syncs, 260n, 150n)).toBe(50n);
    expect(unreplicated(undefined, 260n, 150n)).toBeNull();
  });

  it("computes the reprocess window and flags stale, missing and out-of-range checkpoints", () => {
    const a = assessGroup(identity, {
      group: "g",
      checkpoints: new Map([["orders/0", cp("g", "orders", 0, 200n, 141n, 1_000)]]),
      sourceCommitted: new Map([
        [
          "orders",
          new Map([
            [0, 260n],
            [1, 7n],
          ]),
        ],
      ]),
      targetEnds: new Map([["orders/0", 140n]]),
      syncs: new Map([["orders/0", [...syncs, sync("orders", 0, 250n, 190n)]]]),
      now: 61_000,
      maxAgeMs: 30_000,
    });
    expect(a.partitions[0]).toMatchObject({
      translated: 141n,
      pastCheckpoint: 60n,
      reprocess: 59n,
      sourceCommitted: 260n,
    });
    expect(a.newestCheckpointAgeMs).toBe(60_000);
    expect(a.problems).toEqual([
      "group g: translated offset 141 of orders-0 is past the target log end 140",
      "group g: no checkpoint for orders-1 (committed offset 7 on the source)",
      "group g: newest checkpoint is 60.0 s old (limit 30.0 s) — is the checkpoint connector running?",
    ]);
  });

  it("does not call an idle group's old checkpoint stale", () => {
    const a = assessGroup(identity, {
      group: "g",
      checkpoints: new Map([["orders/0", cp("g", "orders", 0, 200n, 141n, 1_000)]]),
      // moved on at the source, but with no newer sync MM2 translates it to the same offset
      sourceCommitted: new Map([["orders", new Map([[0, 230n]])]]),
      targetEnds: new Map([["orders/0", 300n]]),
      syncs: new Map([["orders/0", syncs]]),
      now: 600_000,
      maxAgeMs: 30_000,
    });
    expect(a.problems).toEqual([]);
    expect(a.newestCheckpointAgeMs).toBe(599_000);
  });

  it("without the source, reports what it can and no per-source problems", () => {
    const a = assessGroup(prefixed, {
      group: "g",
      checkpoints: new Map([["dc1.payments/0", cp("g", "dc1.payments", 0, 10n, 9n, 1_000)]]),
      sourceCommitted: null,
      targetEnds: new Map([["dc1.payments/0", 20n]]),
      syncs: null,
      now: 2_000,
      maxAgeMs: 30_000,
    });
    expect(a.partitions[0]).toMatchObject({ sourceTopic: "payments", reprocess: null, pastCheckpoint: null });
    expect(a.problems).toEqual([]);
  });
});
