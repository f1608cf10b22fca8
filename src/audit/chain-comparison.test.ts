// The comparison of the fsync'd audit file with the chain in Redis, as a table: each way Redis can
// lose what the file says was acknowledged, and the healthy cases that must not be mistaken for one.
import { describe, expect, it } from "vitest";
import { compareChains } from "./chain-comparison.js";
import type { ChainComparisonInput } from "./chain-comparison.js";

const h = (n: number, fork = "") => `${fork}hash-${n}`;
/** Entries seq → hash for seqs in [from, to]. */
const range = (from: number, to: number, fork = ""): Map<number, string> =>
  new Map(Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => [from + i, h(from + i, fork)]));

function input(over: Partial<ChainComparisonInput>): ChainComparisonInput {
  return {
    file: { entries: range(1, 5), epoch: "e1" },
    redis: { head: { seq: 5, hash: h(5) }, entries: range(1, 5), epoch: "e1" },
    ...over,
  };
}

describe("compareChains", () => {
  const rows: Array<[string, Partial<ChainComparisonInput>, string]> = [
    ["file and Redis hold the same chain", {}, "intact"],
    [
      "Redis is ahead of the file (another writer appended since)",
      { redis: { head: { seq: 9, hash: h(9) }, entries: range(1, 9), epoch: "e1" } },
      "intact",
    ],
    [
      "the file holds only some entries (one of several writers), all in Redis",
      {
        file: { entries: new Map([2, 4].map((s) => [s, h(s)])), epoch: "e1" },
        redis: { head: { seq: 6, hash: h(6) }, entries: range(2, 4), epoch: "e1" },
      },
      "intact",
    ],
    [
      "first start: nothing in the file, no epoch anywhere",
      {
        file: { entries: new Map(), epoch: undefined },
        redis: { head: { seq: 0, hash: "" }, entries: new Map(), epoch: undefined },
      },
      "intact",
    ],
    [
      "the epoch marker is gone from Redis (FLUSHALL, a restart without persistence)",
      { redis: { head: { seq: 0, hash: "" }, entries: new Map(), epoch: undefined } },
      "keyspace-lost",
    ],
    [
      "the epoch marker in Redis is another one (a different Redis, or a replaced keyspace)",
      { redis: { head: { seq: 5, hash: h(5) }, entries: range(1, 5), epoch: "e2" } },
      "keyspace-lost",
    ],
    [
      "Redis restarted the chain at genesis while the file has entries",
      { redis: { head: { seq: 2, hash: h(2, "x") }, entries: range(1, 2, "x"), epoch: "e1" } },
      "genesis-restart",
    ],
    [
      "Redis holds no chain at all while the file has entries (marker still there)",
      { redis: { head: { seq: 0, hash: "" }, entries: new Map(), epoch: "e1" } },
      "genesis-restart",
    ],
    [
      "Redis's head is behind the file (an appendfsync everysec rollback)",
      { redis: { head: { seq: 3, hash: h(3) }, entries: range(1, 3), epoch: "e1" } },
      "head-behind",
    ],
    [
      "Redis wrote a different entry at a seq the file has (a fork)",
      {
        redis: {
          head: { seq: 6, hash: h(6, "x") },
          entries: new Map([...range(1, 3), ...range(4, 6, "x")]),
          epoch: "e1",
        },
      },
      "fork",
    ],
    [
      "Redis lacks an entry below its head that the file has (deleted)",
      {
        redis: {
          head: { seq: 5, hash: h(5) },
          entries: new Map([...range(1, 2), ...range(4, 5)]),
          epoch: "e1",
        },
      },
      "fork",
    ],
  ];

  it.each(rows)("when %s, then the verdict is %s", (_what, over, expected) => {
    const result = compareChains(input(over));
    expect(result.status === "intact" ? "intact" : result.condition).toBe(expected);
  });

  it("when Redis is behind, then the detail names both heads and the first missing seq", () => {
    const result = compareChains(
      input({ redis: { head: { seq: 3, hash: h(3) }, entries: range(1, 3), epoch: "e1" } }),
    );
    expect(result).toMatchObject({
      status: "lost",
      condition: "head-behind",
      fileHead: 5,
      redisHead: 3,
      seq: 4,
    });
    if (result.status === "lost") expect(result.detail).toMatch(/file.*5.*Redis.*3/);
  });

  it("when the chain forks, then the verdict names the first seq whose hashes differ", () => {
    const result = compareChains(
      input({
        redis: {
          head: { seq: 6, hash: h(6, "x") },
          entries: new Map([...range(1, 3), ...range(4, 6, "x")]),
          epoch: "e1",
        },
      }),
    );
    expect(result).toMatchObject({ status: "lost", condition: "fork", seq: 4 });
  });
});
