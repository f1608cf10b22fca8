// Rack-aware, balanced replica placement off failed brokers/racks (pure). Surviving replicas stay
// where they are, in order; each missing replica goes to the eligible broker whose rack the partition
// uses least, then the least loaded broker; leaders move only when the old leader is drained.
import { ErrorCode, SwitchoverError } from "../engine/errors.js";

export interface PlacementBroker {
  nodeId: number;
  rack: string | null;
}

export interface PartitionPlacement {
  topic: string;
  partition: number;
  replicas: number[];
}

export interface PlacementRequest {
  partitions: readonly PartitionPlacement[];
  /** Live brokers (with racks). Replicas on brokers not listed here are treated as lost. */
  brokers: readonly PlacementBroker[];
  drainBrokers?: readonly number[];
  drainRacks?: readonly string[];
  /** Target replication factor; default: the current one, capped by the eligible broker count. */
  replicationFactor?: number;
}

export interface Move {
  topic: string;
  partition: number;
  from: number[];
  to: number[];
}

/** No placement satisfies the request: the request is invalid for this cluster, not a bug. */
export class PlacementError extends SwitchoverError {
  constructor(message: string) {
    super(ErrorCode.Validation, message);
    this.name = "PlacementError";
  }
}

export function planPlacement(req: PlacementRequest): Move[] {
  const drainB = new Set(req.drainBrokers ?? []);
  const drainR = new Set(req.drainRacks ?? []);
  const eligible = req.brokers
    .filter((b) => !drainB.has(b.nodeId) && !(b.rack !== null && drainR.has(b.rack)))
    .sort((a, b) => a.nodeId - b.nodeId);
  if (eligible.length === 0) throw new PlacementError("no eligible brokers left after draining");
  const rackOf = new Map(eligible.map((b) => [b.nodeId, b.rack ?? `#${b.nodeId}`]));
  const isEligible = (id: number): boolean => rackOf.has(id);
  const sorted = [...req.partitions].sort(
    (a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition,
  );

  // Loads start from what stays put, so new replicas even out the survivors.
  const load = new Map(eligible.map((b) => [b.nodeId, 0]));
  const leaders = new Map(eligible.map((b) => [b.nodeId, 0]));
  const kept = sorted.map((p) => p.replicas.filter(isEligible));
  kept.forEach((k, i) => {
    for (const r of k) load.set(r, load.get(r)! + 1);
    if (k[0] !== undefined && k[0] === sorted[i]!.replicas[0]) leaders.set(k[0], leaders.get(k[0])! + 1);
  });

  const moves: Move[] = [];
  sorted.forEach((p, i) => {
    const rf = Math.min(req.replicationFactor ?? p.replicas.length, eligible.length);
    if (rf < 1) throw new PlacementError(`replication factor must be at least 1 (topic ${p.topic})`);
    let to = kept[i]!.slice(0, rf);
    for (const r of kept[i]!.slice(rf)) load.set(r, load.get(r)! - 1);
    while (to.length < rf) {
      const used = new Map<string, number>();
      for (const r of to) used.set(rackOf.get(r)!, (used.get(rackOf.get(r)!) ?? 0) + 1);
      const pick = eligible
        .filter((b) => !to.includes(b.nodeId))
        .sort(
          (a, b) =>
            (used.get(rackOf.get(a.nodeId)!) ?? 0) - (used.get(rackOf.get(b.nodeId)!) ?? 0) ||
            load.get(a.nodeId)! - load.get(b.nodeId)! ||
            a.nodeId - b.nodeId,
        )[0]!;
      to.push(pick.nodeId);
      load.set(pick.nodeId, load.get(pick.nodeId)! + 1);
    }
    if (to[0] !== p.replicas[0]) {
      // The preferred leader was drained: lead from the least-leading replica, survivors first.
      const leader = [...to].sort(
        (a, b) =>
          leaders.get(a)! - leaders.get(b)! ||
          Number(!p.replicas.includes(a)) - Number(!p.replicas.includes(b)) ||
          a - b,
      )[0]!;
      to = [leader, ...to.filter((r) => r !== leader)];
      leaders.set(leader, leaders.get(leader)! + 1);
    }
    if (to.length !== p.replicas.length || to.some((r, j) => r !== p.replicas[j])) {
      moves.push({ topic: p.topic, partition: p.partition, from: [...p.replicas], to });
    }
  });
  return moves;
}
