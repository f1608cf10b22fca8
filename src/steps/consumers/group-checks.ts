// Verification of consumer steps through Kafka itself: poll a cluster until groups are empty, have
// members, or have committed offsets beyond a snapshot — bounded by the step's own deadline.
import type { GroupObserver } from "../../adapters/consumers/group-observer.js";
import { ErrorCode, SwitchoverError } from "../../engine/errors.js";
import type { JsonObject } from "../../engine/json.js";
import type { Clock } from "../../engine/ports/clock.js";

const POLL_MS = 500;

interface Poll {
  groups: GroupObserver;
  clock: Clock;
  signal: AbortSignal;
  cluster: string;
  within: string;
  withinMs: number;
}

/** Polls `probe` until it returns undefined (done) or the deadline passes; then throws its last complaint. */
async function until(p: Poll, probe: () => Promise<string | undefined>): Promise<void> {
  const deadline = p.clock.now() + p.withinMs;
  for (;;) {
    let complaint: string | undefined;
    try {
      complaint = await probe();
    } catch (err) {
      if (p.signal.aborted) throw err;
      complaint = err instanceof Error ? err.message : String(err);
    }
    if (complaint === undefined) return;
    if (p.clock.now() >= deadline) {
      throw new SwitchoverError(ErrorCode.VerifyFailed, `${complaint} after ${p.within}`, {
        details: { cluster: p.cluster },
      });
    }
    await p.clock.sleep(POLL_MS, p.signal);
  }
}

export async function waitGroupsEmpty(p: Poll, groups: readonly string[]): Promise<void> {
  await until(p, async () => {
    for (const g of groups) {
      const m = await p.groups.members(p.cluster, g);
      if (m.members.length > 0) {
        return `group ${g} still has ${m.members.length} member(s) on ${p.cluster} (${m.members.join(", ")})`;
      }
    }
    return undefined;
  });
}

export async function waitGroupsHaveMembers(p: Poll, groups: readonly string[]): Promise<JsonObject> {
  const counts: JsonObject = {};
  await until(p, async () => {
    for (const g of groups) {
      const m = await p.groups.members(p.cluster, g);
      if (m.members.length === 0) return `group ${g} has no members on ${p.cluster} (state ${m.state})`;
      counts[g] = m.members.length;
    }
    return undefined;
  });
  return counts;
}

/** Waits until every group committed beyond `before` on at least one partition (or first commits). */
export async function waitOffsetsAdvance(
  p: Poll,
  before: Record<string, Record<string, number>>,
): Promise<JsonObject> {
  const advanced: JsonObject = {};
  await until(p, async () => {
    for (const [g, snapshot] of Object.entries(before)) {
      if (advanced[g] !== undefined) continue;
      const now = await p.groups.committedOffsets(p.cluster, g);
      const moved = Object.entries(now).filter(([tp, o]) => o > (snapshot[tp] ?? -1));
      if (moved.length === 0) return `group ${g} committed no new offsets on ${p.cluster}`;
      advanced[g] = moved.reduce((sum, [tp, o]) => sum + o - (snapshot[tp] ?? 0), 0);
    }
    return undefined;
  });
  return advanced;
}
