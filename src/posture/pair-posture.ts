// DR posture of a replicated pair (one MM2 flow): what a failover to the target would find — topics
// not mirrored or with other partition counts, topic configs and ACLs that differ (MM2 does not carry
// ACLs fully), groups MM2 never checkpointed, checkpoint and heartbeat age, the WAN socket buffers.
import type { ConnectClient } from "../adapters/kafka/connect-client.js";
import type { Flow } from "../adapters/kafka/kafka-adapter.js";
import { readCheckpoints } from "../adapters/kafka/mm2-state.js";
import type { Mm2TopicReads } from "../adapters/kafka/mm2-state.js";
import type { AclBinding, TopicState } from "../kafka/cluster-state.js";
import type { DescribedEntry } from "../kafka/config-overrides.js";
import { decodeHeartbeat } from "../kafka/mm2-records.js";
import { remoteTopic } from "../kafka/offset-translation.js";
import { isInternalTopic } from "../kafka/topic-selection.js";
import { CONFIG_SOURCE, overridesOf } from "../kafka/config-overrides.js";
import { sortFindings } from "./finding.js";
import type { Finding } from "./finding.js";
import { PAIR_RULES } from "./pair-rules.js";
import { pairContext } from "./pair-view.js";
import type { AclComparison, PairFacts, Side, TopicFacts } from "./pair-view.js";

export { CHECKPOINT_STALE_MS, WAN_BUFFER_BYTES } from "./pair-view.js";
export type { PairFacts } from "./pair-view.js";

/** Groups that are infrastructure, not applications to fail over. */
const INFRA_GROUP = /^(connect-|mm2-|__|_confluent)/;

/** The reads of one side of a flow the assessment needs (the Kafka adapter's ClusterClient has them). */
export interface PairSideReads extends Mm2TopicReads {
  topicStates(topics: readonly string[], signal?: AbortSignal): Promise<TopicState[]>;
  topicConfigEntries(
    topics: readonly string[],
    names: readonly string[] | undefined,
    signal?: AbortSignal,
  ): Promise<Map<string, DescribedEntry[]>>;
  acls(signal?: AbortSignal): Promise<AclBinding[]>;
  listGroups(signal?: AbortSignal): Promise<string[]>;
  groupOffsets(
    groupId: string,
    topics: readonly string[] | undefined,
    signal?: AbortSignal,
  ): Promise<Map<string, Map<number, bigint>>>;
}

export interface PairPosture {
  kind: "pair";
  flow: string;
  source: string;
  target: string;
  naming: "identity" | "prefixed";
  generatedAt: string;
  topics: {
    mirrored: number;
    notMirrored: string[];
    partitionMismatches: string[];
    configDifferences: number;
  };
  acls: AclComparison;
  groups: { name: string; checkpointAgeMs: number | null; stale: boolean }[];
  heartbeatAgeMs: number | null;
  rpoSeconds: number | null;
  findings: Finding[];
  summary: { lines: string[] };
}

async function side<T>(work: () => Promise<T>): Promise<Side<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

async function topicFacts(client: PairSideReads, names: string[], signal?: AbortSignal) {
  const out = new Map<string, TopicFacts>();
  if (names.length === 0) return out;
  const [states, described] = await Promise.all([
    client.topicStates(names, signal),
    client.topicConfigEntries(names, undefined, signal),
  ]);
  const overrides = new Map(
    [...described].map(([topic, entries]) => [
      topic,
      overridesOf(entries, CONFIG_SOURCE.dynamicTopic).values,
    ]),
  );
  for (const s of states)
    out.set(s.topic, { partitions: s.partitions.length, overrides: overrides.get(s.topic) ?? {} });
  return out;
}

/** ACL bindings as comparable strings; topic names mapped through the flow's naming on the source side. */
async function aclBindings(client: PairSideReads, map: (a: AclBinding) => string, signal?: AbortSignal) {
  return (await client.acls(signal))
    .map(
      (a) =>
        `${a.principal} ${a.permission} ${a.operation} on ${a.resourceType}:${a.patternType}:${map(a)} from ${a.host}`,
    )
    .sort();
}

async function newestHeartbeat(
  target: PairSideReads,
  flow: Flow,
  signal?: AbortSignal,
): Promise<number | null> {
  const topics = new Set(await target.listTopics(signal));
  let at = -1;
  for (const topic of [`${flow.sourceAlias}${flow.separator}heartbeats`, "heartbeats"]) {
    if (!topics.has(topic)) continue;
    for (const p of await target.offsets(topic, signal)) {
      if (p.high <= p.low) continue;
      const from = p.high - 20n > p.low ? p.high - 20n : p.low;
      for (const r of await target.readPartition(topic, p.partition, from, p.high, signal)) {
        try {
          const hb = decodeHeartbeat(r.key, r.value);
          if (hb.sourceClusterAlias === flow.sourceAlias) at = Math.max(at, hb.timestamp.getTime());
        } catch {
          /* not a heartbeat record */
        }
      }
    }
    if (at >= 0) break;
  }
  return at < 0 ? null : at;
}

export async function readPairFacts(
  flow: Flow,
  source: PairSideReads,
  target: PairSideReads,
  connect: ConnectClient | undefined,
  signal?: AbortSignal,
): Promise<PairFacts> {
  const re = new RegExp(`^(?:${flow.topics})$`);
  const sourceNames = await side(async () =>
    (await source.listTopics(signal)).filter((t) => re.test(t) && !isInternalTopic(t)).sort(),
  );
  const targetAll = await side(() => target.listTopics(signal));
  const mirroredNames =
    sourceNames.ok && targetAll.ok
      ? sourceNames.value.map((t) => remoteTopic(flow, t)).filter((t) => targetAll.value.includes(t))
      : [];
  const mapSourceResource = (r: AclBinding) =>
    r.resourceType === "topic" && re.test(r.resourceName)
      ? remoteTopic(flow, r.resourceName)
      : r.resourceName;
  const [sourceTopics, targetTopics, sourceAcls, targetAcls, groups, checkpoints, heartbeatAt, connectors] =
    await Promise.all([
      sourceNames.ok
        ? side(() => topicFacts(source, sourceNames.value, signal))
        : Promise.resolve(sourceNames),
      targetAll.ok ? side(() => topicFacts(target, mirroredNames, signal)) : Promise.resolve(targetAll),
      side(() => aclBindings(source, mapSourceResource, signal)),
      side(() => aclBindings(target, (r) => r.resourceName, signal)),
      side(async () => {
        const out = new Map<string, Map<string, Map<number, bigint>>>();
        for (const g of await source.listGroups(signal)) {
          if (INFRA_GROUP.test(g)) continue;
          const offsets = await source.groupOffsets(g, undefined, signal);
          const relevant = new Map([...offsets].filter(([t]) => re.test(t) && !isInternalTopic(t)));
          if (relevant.size > 0) out.set(g, relevant);
        }
        return out;
      }),
      side(async () => {
        const out = new Map<string, { newest: number; upstream: Map<string, bigint> }>();
        for (const c of await readCheckpoints(target, flow.sourceAlias, signal)) {
          const entry = out.get(c.group) ?? { newest: 0, upstream: new Map<string, bigint>() };
          entry.newest = Math.max(entry.newest, c.emittedAt);
          const srcTopic =
            flow.naming === "prefixed"
              ? c.topic.slice(flow.sourceAlias.length + flow.separator.length)
              : c.topic;
          entry.upstream.set(`${srcTopic}/${c.partition}`, c.upstreamOffset);
          out.set(c.group, entry);
        }
        return out;
      }),
      side(() => newestHeartbeat(target, flow, signal)),
      side(async () => {
        if (!connect || !flow.connectors) return [];
        const roles = Object.entries(flow.connectors).filter(
          (e): e is [string, string] => e[1] !== undefined,
        );
        return Promise.all(
          roles.map(async ([role, name]) => ({
            name,
            role,
            state: (await connect.status(name, signal))?.state ?? null,
            config: await connect.configOf(name, signal),
          })),
        );
      }),
    ]);
  return {
    flow,
    now: Date.now(),
    sourceTopics,
    targetTopics,
    sourceAcls,
    targetAcls,
    groups,
    checkpoints,
    heartbeatAt,
    connectors,
  };
}

/** Runs the rule table over the comparisons derived from the facts, and sums up losing the source. */
export function assessPair(f: PairFacts): PairPosture {
  const { flow } = f;
  const ctx = pairContext(f);
  const findings = PAIR_RULES.flatMap((rule) => rule(f, ctx));
  const mirrored = ctx.topics.filter((t) => t.target !== undefined);
  const notMirrored = ctx.topics.filter((t) => t.target === undefined).map((t) => t.topic);
  const mismatches = mirrored
    .filter((t) => t.target?.partitions !== t.source.partitions)
    .map((t) => `${t.topic}: ${t.source.partitions} → ${t.target?.partitions}`);
  const groups = ctx.groups.map(({ name, checkpointAgeMs, stale }) => ({ name, checkpointAgeMs, stale }));
  const { heartbeatAgeMs } = ctx;
  const rpoSeconds = heartbeatAgeMs === null ? null : Math.round(heartbeatAgeMs / 100) / 10;
  const untranslatable = groups.filter((g) => g.checkpointAgeMs === null).length;
  const lines = [
    `losing ${flow.source} now: ${notMirrored.length + mismatches.length} topics not usable on ${flow.target}, ${untranslatable} groups cannot be translated, RPO ≈ ${rpoSeconds === null ? "unknown" : `${rpoSeconds} s`}`,
  ];
  return {
    kind: "pair",
    flow: flow.name,
    source: flow.source,
    target: flow.target,
    naming: flow.naming,
    generatedAt: new Date(f.now).toISOString(),
    topics: {
      mirrored: mirrored.length,
      notMirrored,
      partitionMismatches: mismatches,
      configDifferences: mirrored.filter((t) => t.configDiffs.length > 0).length,
    },
    acls: ctx.acls,
    groups,
    heartbeatAgeMs,
    rpoSeconds,
    findings: sortFindings(findings),
    summary: { lines },
  };
}
