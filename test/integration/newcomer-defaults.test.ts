// Issue 19: a newcomer's first dry-run of mm2-failover failed because its default group
// (`orders-app`) did not exist in the sandbox. `up` now seeds it on dc1 (after one marker record per
// partition, which MM2 needs to checkpoint anything), so the shipped runbooks' defaults verify.
import { afterAll, describe, expect, it } from "vitest";
import { defaultGroup } from "../../sandbox/seed.js";
import { StepHarness } from "./kafka-harness.js";
import { eventually } from "./sandbox.js";

const h = new StepHarness();

afterAll(async () => {
  await h.close();
});

describe("the sandbox's defaults for the shipped MM2 runbooks", () => {
  it("seeds the default group with committed offsets on dc1, and MM2 translates it for mm2-failover's verify-offsets", async () => {
    expect(defaultGroup.groupId).toBe("orders-app");
    const committed = await h.kafka.cluster("dc1").groupOffsets(defaultGroup.groupId, [defaultGroup.topic]);
    expect(committed.get(defaultGroup.topic)?.size).toBe(3);
    const plan = await eventually(
      "MM2 to checkpoint the default group",
      () =>
        h
          .plan("kafka.verifyTranslatedOffsets", { flow: "dc1-to-dc2", groups: [defaultGroup.groupId] })
          .catch(() => undefined),
      60_000,
      1_000,
    );
    expect(plan.changes).toEqual([]);
    expect(Object.keys(plan.outputs.translated as Record<string, unknown>)).toEqual([defaultGroup.groupId]);
  });
});
