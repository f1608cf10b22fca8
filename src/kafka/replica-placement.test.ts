import { describe, expect, it } from "vitest";
import { planPlacement, PlacementError } from "./replica-placement.js";

const stretch = [
  { nodeId: 1, rack: "dc1" },
  { nodeId: 2, rack: "dc1" },
  { nodeId: 3, rack: "dc2" },
  { nodeId: 4, rack: "dc2" },
];

describe("planPlacement", () => {
  it("drops replicas on a lost rack, keeping survivors in order and the leader when it survives", () => {
    const moves = planPlacement({
      partitions: [
        { topic: "t", partition: 0, replicas: [3, 2, 4, 1] },
        { topic: "t", partition: 1, replicas: [1, 4, 2, 3] },
      ],
      brokers: stretch.filter((b) => b.rack === "dc2"),
    });
    expect(moves).toEqual([
      { topic: "t", partition: 0, from: [3, 2, 4, 1], to: [3, 4] },
      { topic: "t", partition: 1, from: [1, 4, 2, 3], to: [4, 3] },
    ]);
  });

  it("keeps the replication factor when enough brokers survive, spreading over racks and load", () => {
    const brokers = [...stretch, { nodeId: 5, rack: "dc3" }, { nodeId: 6, rack: "dc3" }];
    const partitions = Array.from({ length: 6 }, (_, i) => ({
      topic: "t",
      partition: i,
      replicas: [1 + (i % 2), 3 + (i % 2)],
    }));
    const moves = planPlacement({ partitions, brokers, drainRacks: ["dc1"] });
    const load = new Map<number, number>();
    for (const m of moves) {
      expect(m.to).toHaveLength(2);
      expect(m.to.some((r) => r <= 2)).toBe(false);
      // one replica per remaining rack
      expect(new Set(m.to.map((r) => (r <= 4 ? "dc2" : "dc3"))).size).toBe(2);
      for (const r of m.to) load.set(r, (load.get(r) ?? 0) + 1);
    }
    expect(moves).toHaveLength(6);
    expect(Math.max(...load.values()) - Math.min(...load.values())).toBeLessThanOrEqual(1);
    const leaderLoad = new Map<number, number>();
    for (const m of moves) leaderLoad.set(m.to[0]!, (leaderLoad.get(m.to[0]!) ?? 0) + 1);
    expect(Math.max(...leaderLoad.values()) - Math.min(...leaderLoad.values())).toBeLessThanOrEqual(1);
  });

  it("moves nothing when no replica is on a drained broker (idempotent)", () => {
    expect(
      planPlacement({
        partitions: [{ topic: "t", partition: 0, replicas: [3, 4] }],
        brokers: stretch,
        drainRacks: ["dc1"],
      }),
    ).toEqual([]);
  });

  it("drains explicit brokers and refuses when nothing is eligible", () => {
    expect(
      planPlacement({
        partitions: [{ topic: "t", partition: 0, replicas: [1, 3] }],
        brokers: stretch,
        drainBrokers: [1],
      }),
    ).toEqual([{ topic: "t", partition: 0, from: [1, 3], to: [3, 2] }]);
    expect(() =>
      planPlacement({
        partitions: [{ topic: "t", partition: 0, replicas: [1] }],
        brokers: stretch,
        drainRacks: ["dc1", "dc2"],
      }),
    ).toThrow(PlacementError);
  });
});
