// What kafka.verifyTranslatedOffsets and kafka.applyTranslatedOffsets both compute: for a flow and
// its groups, the translated offsets from ONE read of the checkpoints topic, the checks that make them
// safe to use, the reprocess window and the RPO estimate (messages, or age when the source is gone).
import type { ClusterClient } from "../../adapters/kafka/cluster-client.js";
import type { Flow, KafkaAdapter } from "../../adapters/kafka/kafka-adapter.js";
import { readCheckpoints, readOffsetSyncs } from "../../adapters/kafka/mm2-state.js";
import {
  assessGroup,
  latestCheckpoints,
  remoteTopic,
  sourceTopicOf,
  syncsByPartition,
  unreplicated,
} from "../../kafka/offset-translation.js";
import type { GroupAssessment } from "../../kafka/offset-translation.js";
import { ErrorCode, SwitchoverError } from "../../engine/errors.js";
import type { JsonObject } from "../../engine/json.js";
import type { Logger } from "../../engine/ports/logger.js";

export interface Translation {
  flow: Flow;
  sourceReachable: boolean;
  checkpointsRead: number;
  groups: GroupAssessment[];
  problems: string[];
  reprocessWindow: number | null;
  /** False: reprocessWindow is an upper bound estimated without the source. */
  reprocessWindowExact: boolean;
  reprocessBasis: string;
  rpoMessages: number | null;
  rpoAgeMs: number | null;
}

/** Whether the source answers within a few seconds; a dead DC must not eat the step timeout. */
async function reachable(source: ClusterClient, signal: AbortSignal, logger: Logger): Promise<boolean> {
  const probe = AbortSignal.any([signal, AbortSignal.timeout(10_000)]);
  try {
    await source.listTopics(probe);
    return true;
  } catch (err) {
    if (signal.aborted) throw err;
    logger.warn(
      { cluster: source.name, error: err instanceof Error ? err.message : String(err) },
      "source cluster unreachable",
    );
    return false;
  }
}

export async function translate(
  kafka: KafkaAdapter,
  flowName: string,
  groupsWanted: readonly string[] | undefined,
  maxAgeMs: number,
  signal: AbortSignal,
  logger: Logger,
  now: number,
): Promise<Translation> {
  const flow = kafka.flow(flowName);
  const target = kafka.cluster(flow.target);
  const source = kafka.cluster(flow.source);
  const records = await readCheckpoints(target, flow.sourceAlias, signal);
  const latest = latestCheckpoints(records, flow);
  const sourceOk = await reachable(source, signal, logger);

  let groups = groupsWanted ? [...new Set(groupsWanted)] : [...latest.keys()].sort();
  const committed = new Map<string, Map<string, Map<number, bigint>>>();
  if (sourceOk) {
    for (const g of groups) committed.set(g, await source.groupOffsets(g, undefined, signal));
  }
  const unknown = groups.filter((g) => !latest.has(g) && !(committed.get(g)?.size ?? 0));
  if (groupsWanted && unknown.length > 0) {
    throw new SwitchoverError(
      ErrorCode.NotFound,
      `unknown group(s) for flow ${flowName}: ${unknown.join(", ")} (no checkpoints on ${flow.target}${sourceOk ? ` and no committed offsets on ${flow.source}` : ""})`,
      { details: { unknown } },
    );
  }
  groups = groups.sort();

  // Target log ends for every target topic any group has a checkpoint or a source commit on.
  const targetTopics = new Set<string>();
  for (const g of groups) {
    for (const c of latest.get(g)?.values() ?? []) targetTopics.add(c.topic);
    for (const t of committed.get(g)?.keys() ?? [])
      if (sourceTopicOf(flow, remoteTopic(flow, t)) !== null) targetTopics.add(remoteTopic(flow, t));
  }
  const existing = new Set(await target.listTopics(signal));
  const targetEnds = new Map<string, bigint>();
  for (const t of targetTopics) {
    if (!existing.has(t)) continue;
    for (const p of await target.offsets(t, signal)) targetEnds.set(`${t}/${p.partition}`, p.high);
  }
  const syncs = sourceOk ? syncsByPartition(await readOffsetSyncs(source, flow.targetAlias, signal)) : null;

  const assessed = groups.map((g) =>
    assessGroup(flow, {
      group: g,
      checkpoints: latest.get(g),
      sourceCommitted: sourceOk ? (committed.get(g) ?? new Map()) : null,
      targetEnds,
      syncs,
      now,
      maxAgeMs,
    }),
  );

  let reprocessWindow: number | null = 0;
  let reprocessWindowExact = sourceOk;
  let reprocessBasis = `${flow.source}'s committed offsets against the translated offsets`;
  if (sourceOk) {
    for (const a of assessed)
      for (const p of a.partitions) {
        if (p.reprocess === null) reprocessWindow = null;
        else if (reprocessWindow !== null) reprocessWindow += Number(p.reprocess);
      }
  } else {
    // Without the source, what the group processed there is unknown; what it can process twice is
    // not: only records already on the target, after the translated offset (nothing more arrives
    // from a source that is gone). An upper bound from the checkpoints and the target alone.
    reprocessWindowExact = false;
    reprocessBasis = `upper bound without ${flow.source}: records on ${flow.target} after the translated offsets (checkpoints vs ${flow.target}'s log end)`;
    for (const a of assessed)
      for (const p of a.partitions) {
        const end = targetEnds.get(`${p.targetTopic}/${p.partition}`);
        if (end === undefined) {
          reprocessWindow = null;
          break;
        }
        if (reprocessWindow !== null) reprocessWindow += Number(end > p.translated ? end - p.translated : 0n);
      }
  }

  // RPO over the target partitions these groups consume.
  let rpoMessages: number | null = null;
  let rpoAgeMs: number | null = null;
  const consumed = new Set(
    assessed.flatMap((a) => a.partitions.map((p) => `${p.targetTopic}/${p.partition}`)),
  );
  if (sourceOk) {
    rpoMessages = 0;
    const bySource = new Map<string, bigint>();
    const onSource = new Set(await source.listTopics(signal));
    for (const t of new Set([...consumed].map((k) => k.slice(0, k.lastIndexOf("/"))))) {
      const st = sourceTopicOf(flow, t)!;
      if (!onSource.has(st)) continue; // deleted at the source: what it lacked cannot be counted
      for (const p of await source.offsets(st, signal)) bySource.set(`${t}/${p.partition}`, p.high);
    }
    for (const key of consumed) {
      if (!bySource.has(key)) {
        rpoMessages = null;
        break;
      }
      const [t, p] = [key.slice(0, key.lastIndexOf("/")), key.slice(key.lastIndexOf("/") + 1)];
      const n = unreplicated(
        syncs!.get(`${sourceTopicOf(flow, t)}/${p}`),
        bySource.get(key) ?? 0n,
        targetEnds.get(key) ?? 0n,
      );
      if (n === null) {
        rpoMessages = null;
        break;
      }
      rpoMessages += Number(n);
    }
  } else {
    let newest = -1;
    for (const key of consumed) {
      const end = targetEnds.get(key);
      if (!end) continue;
      const t = key.slice(0, key.lastIndexOf("/"));
      const p = Number(key.slice(key.lastIndexOf("/") + 1));
      const last = await target.readPartition(t, p, end - 1n, end, signal);
      for (const r of last) newest = Math.max(newest, r.timestamp);
    }
    rpoAgeMs = newest < 0 ? null : Math.max(0, now - newest);
  }

  return {
    flow,
    sourceReachable: sourceOk,
    checkpointsRead: records.length,
    groups: assessed,
    problems: assessed.flatMap((a) => a.problems),
    reprocessWindow,
    reprocessWindowExact,
    reprocessBasis,
    rpoMessages,
    rpoAgeMs,
  };
}

/** The outputs both steps publish (numbers, so runbooks can `assert` on them). */
export function translationOutputs(t: Translation): JsonObject {
  const translated: JsonObject = {};
  const groups: JsonObject = {};
  for (const a of t.groups) {
    const byTopic: Record<string, JsonObject> = {};
    for (const p of a.partitions) (byTopic[p.targetTopic] ??= {})[String(p.partition)] = Number(p.translated);
    translated[a.group] = byTopic;
    groups[a.group] = {
      checkpointAgeMs: a.newestCheckpointAgeMs,
      partitions: a.partitions.length,
      reprocess: a.partitions.some((p) => p.reprocess === null)
        ? null
        : a.partitions.reduce((s, p) => s + Number(p.reprocess ?? 0n), 0),
      pastCheckpoint: a.partitions.some((p) => p.pastCheckpoint === null)
        ? null
        : a.partitions.reduce((s, p) => s + Number(p.pastCheckpoint ?? 0n), 0),
    };
  }
  return {
    flow: t.flow.name,
    sourceReachable: t.sourceReachable,
    checkpointsRead: t.checkpointsRead,
    groupCount: t.groups.length,
    translated,
    groups,
    reprocessWindow: t.reprocessWindow,
    reprocessWindowExact: t.reprocessWindowExact,
    reprocessBasis: t.reprocessBasis,
    rpoMessages: t.rpoMessages,
    rpoAgeMs: t.rpoAgeMs,
  };
}

export function failOnProblems(t: Translation): void {
  if (t.problems.length === 0) return;
  const shown = t.problems.slice(0, 10).join("; ");
  throw new SwitchoverError(
    ErrorCode.VerifyFailed,
    `translated offsets for flow ${t.flow.name} are not safe to use: ${shown}${t.problems.length > 10 ? ` (+${t.problems.length - 10} more)` : ""}`,
    { retryable: false, details: { problems: t.problems.slice(0, 100), ...translationOutputs(t) } },
  );
}

/**
 * Refuses groups with live members on `client`'s cluster, naming every member: offsets committed
 * under a running consumer are overwritten by its next commit. The failover's read-only verification
 * and the apply both ask, so a failover stops before its first change.
 */
export async function refuseLiveGroups(
  client: ClusterClient,
  groups: string[],
  signal: AbortSignal,
): Promise<void> {
  const live = (await client.describeGroups(groups, signal)).filter((g) => g.members.length > 0);
  if (live.length === 0) return;
  const who = live
    .map(
      (g) =>
        `${g.groupId} (${g.state}: ${g.members.map((m) => `${m.clientId}@${m.clientHost} ${m.memberId}`).join(", ")})`,
    )
    .join("; ");
  throw new SwitchoverError(
    ErrorCode.Conflict,
    `cluster ${client.name}: group(s) with live members cannot have offsets committed; stop these consumers first: ${who}`,
    {
      details: {
        groups: live.map((g) => ({
          group: g.groupId,
          state: g.state,
          members: g.members.map((m) => ({ ...m })),
        })),
      },
    },
  );
}
