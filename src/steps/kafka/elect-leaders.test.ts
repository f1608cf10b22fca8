// kafka.electLeaders' plan over a cluster's read state: a preferred replica still outside its ISR is
// skipped and listed by default, and with requireAll fails the plan so the step's retry waits for it.
import { describe, expect, it } from "vitest";
import type { TopicState } from "../../adapters/kafka/cluster-client.js";
import { SwitchoverError } from "../../engine/errors.js";
import { electLeadersStep } from "./elect-leaders.js";

const STATE: TopicState = {
  topic: "stretch-orders",
  partitions: [
    { partition: 0, leader: 3, replicas: [1, 3, 2, 4], isr: [3, 4, 1, 2] },
    { partition: 1, leader: 4, replicas: [2, 4, 1, 3], isr: [4, 3, 1] },
    { partition: 2, leader: 1, replicas: [1, 4, 2, 3], isr: [1, 4, 2, 3] },
  ],
} as TopicState;

const client = {
  listTopics: async () => ["stretch-orders"],
  topicStates: async () => [STATE],
  brokers: async () => [1, 2, 3, 4].map((nodeId) => ({ nodeId, host: "h", port: 1, rack: null })),
  effectiveTopicConfig: async () => new Map([["stretch-orders", { "min.insync.replicas": "3" }]]),
};
const ctx = {
  adapters: { kafka: { cluster: () => client } },
  signal: new AbortController().signal,
} as never;
const input = (requireAll: boolean) =>
  ({ cluster: "stretch", topics: { pattern: "stretch-.*" }, type: "preferred", requireAll }) as never;

describe("kafka.electLeaders plan", () => {
  it("elects the eligible partitions and lists the one whose preferred replica is outside its ISR", async () => {
    const plan = await electLeadersStep.plan(ctx, input(false));
    expect(plan.changes.map((c) => [c.resource, c.from, c.to])).toEqual([
      ["stretch/topic/stretch-orders/partition/0", 3, 1],
    ]);
    expect(plan.outputs.notEligible).toEqual(["stretch-orders-1 (preferred 2 not in ISR [4,3,1])"]);
  });

  it("with requireAll, fails the plan with a retryable error naming that partition", async () => {
    const err = await electLeadersStep.plan(ctx, input(true)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SwitchoverError);
    expect(err).toMatchObject({
      code: "UPSTREAM_UNAVAILABLE",
      retryable: true,
      message:
        "cluster stretch: preferred leader not in the ISR yet for 1 partition(s): stretch-orders-1 (preferred 2 not in ISR [4,3,1])",
    });
  });
});
