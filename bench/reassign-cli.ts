// What `kafka-reassign-partitions` (org.apache.kafka.tools.reassign.ReassignPartitionsCommand) prints,
// read the way an operator following the runbook reads it: the proposed assignment of --generate
// (to feed --execute) and the per-partition status lines of --verify (to know when to stop polling).
// Pure functions, unit-tested in test/unit/bench-reassign-cli.test.ts.

export interface ReassignmentJson {
  version: number;
  partitions: { topic: string; partition: number; replicas: number[]; log_dirs?: string[] }[];
}

/** The JSON line after "Proposed partition reassignment configuration" in --generate's output. */
export function proposedAssignment(stdout: string): ReassignmentJson {
  const lines = stdout.split("\n");
  const at = lines.findIndex((l) => l.trim() === "Proposed partition reassignment configuration");
  const json = at >= 0 ? lines.slice(at + 1).find((l) => l.trim().startsWith("{")) : undefined;
  if (!json) throw new Error(`no proposed assignment in --generate output: ${stdout.slice(0, 300)}`);
  const parsed = JSON.parse(json) as ReassignmentJson;
  if (!Array.isArray(parsed.partitions)) throw new Error("proposed assignment without partitions");
  return parsed;
}

export interface VerifyStatus {
  completed: string[];
  inProgress: string[];
  /** Lines about a partition that say neither (e.g. "no active reassignment … but replica set is …"). */
  other: string[];
}

/** The per-partition lines of --verify: "Reassignment of partition t-0 is completed." and friends. */
export function verifyStatus(stdout: string): VerifyStatus {
  const out: VerifyStatus = { completed: [], inProgress: [], other: [] };
  for (const raw of stdout.split("\n")) {
    const line = raw.trim();
    const m = /^Reassignment of partition (\S+) is (completed|still in progress)\.?$/.exec(line);
    if (m) (m[2] === "completed" ? out.completed : out.inProgress).push(m[1]!);
    else if (/^There is no active reassignment of partition (\S+)/.test(line)) out.other.push(line);
  }
  return out;
}

/** True when every partition of the reassignment is reported completed and nothing else. */
export function reassignmentDone(status: VerifyStatus, partitions: number): boolean {
  return (
    status.completed.length === partitions && status.inProgress.length === 0 && status.other.length === 0
  );
}
