// The benchmark reads kafka-reassign-partitions' output as an operator does: these are the shapes
// Kafka 4.3's ReassignPartitionsCommand prints (captured from the sandbox's stretched cluster).
import { describe, expect, it } from "vitest";
import { proposedAssignment, reassignmentDone, verifyStatus } from "../../bench/reassign-cli.js";

const GENERATE = `Current partition replica assignment
{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[2,3],"log_dirs":["/d/2","/d/3"]},{"topic":"t","partition":1,"replicas":[4,1],"log_dirs":["/d/4","/d/1"]}]}

Proposed partition reassignment configuration
{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[4,3],"log_dirs":["any","any"]},{"topic":"t","partition":1,"replicas":[3,4],"log_dirs":["any","any"]}]}
`;

const VERIFY_RUNNING = `Status of partition reassignment:
Reassignment of partition t-0 is completed.
Reassignment of partition t-1 is still in progress.

`;

const VERIFY_DONE = `Status of partition reassignment:
Reassignment of partition t-0 is completed.
Reassignment of partition t-1 is completed.

Clearing broker-level throttles on brokers 3,4
Clearing topic-level throttles on topic t
`;

describe("kafka-reassign-partitions output", () => {
  it("takes the proposed assignment, not the current one, from --generate", () => {
    const p = proposedAssignment(GENERATE);
    expect(p.partitions.map((x) => [x.topic, x.partition, x.replicas])).toEqual([
      ["t", 0, [4, 3]],
      ["t", 1, [3, 4]],
    ]);
    expect(() => proposedAssignment("Current partition replica assignment\n{}\n")).toThrow(
      /no proposed assignment/,
    );
  });

  it("is done only when every partition of the reassignment reports completed", () => {
    const running = verifyStatus(VERIFY_RUNNING);
    expect(running).toEqual({ completed: ["t-0"], inProgress: ["t-1"], other: [] });
    expect(reassignmentDone(running, 2)).toBe(false);
    expect(reassignmentDone(verifyStatus(VERIFY_DONE), 2)).toBe(true);
    // Fewer lines than partitions (output cut short) is not done either.
    expect(reassignmentDone(verifyStatus(VERIFY_DONE), 3)).toBe(false);
    const odd = verifyStatus(
      "There is no active reassignment of partition t-0, but replica set is [1, 2] rather than [3, 4].\nReassignment of partition t-1 is completed.",
    );
    expect(odd.other).toHaveLength(1);
    expect(reassignmentDone(odd, 2)).toBe(false);
  });
});
