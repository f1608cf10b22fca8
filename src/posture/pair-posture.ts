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

/** Below this a WAN consumer's receive buffer caps throughput (bandwidth × RTT). */
export const WAN_BUFFER_BYTES = 1_048_576;
/** A group whose newest checkpoint is older than this while it kept consuming is stale. */
export const CHECKPOINT_STALE_MS = 5 * 60_000;
/** Configs MM2 does not replicate by default, or that are expected to differ per cluster. */
const CONFIG_DIFF_IGNORED = new Set([
  "follower.replication.throttled.replicas",
  "leader.replication.throttled.replicas",
]);
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

type Side<T> = { ok: true; value: T } | { ok: false; error: string };

export interface PairFacts {
  flow: Flow;
  now: number;
  sourceTopics: Side<Map<string, { partitions: number; overrides: Record<string, string> }>>;
  targetTopics: Side<Map<string, { partitions: number; overrides: Record<string, string> }>>;
  sourceAcls: Side<string[]>;
  targetAcls: Side<string[]>;
  /** Source groups with committed offsets on topics of the flow: group → topic → partition → offset. */
  groups: Side<Map<string, Map<string, Map<number, bigint>>>>;
  /** group → newest checkpoint emission (ms) and upstream offsets per source "topic/partition". */
  checkpoints: Side<Map<string, { newest: number; upstream: Map<string, bigint> }>>;
  heartbeatAt: Side<number | null>;
  connectors: Side<
    { name: string; role: string; state: string | null; config: Record<string, string> | null }[]
  >;
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
  acls: { onlyOnSource: string[]; onlyOnTarget: string[] } | { error: string };
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
  const out = new Map<string, { partitions: number; overrides: Record<string, string> }>();
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

function unavailable(f: PairFacts, what: string, cluster: string, error: string): Finding {
  return {
    severity: "warning",
    rule: "pair.unreadable",
    subject: { kind: "flow", name: f.flow.name },
    message: `${what} on ${cluster} could not be read: ${error}`,
    onLossOf: [],
    fix: `check that ${cluster} is reachable and switchover's principal may describe it`,
  };
}

export function assessPair(f: PairFacts): PairPosture {
  const flow = f.flow;
  const findings: Finding[] = [];
  const notMirrored: string[] = [];
  const mismatches: string[] = [];
  let configDifferences = 0;
  let mirrored = 0;
  if (!f.sourceTopics.ok) findings.push(unavailable(f, "topics", flow.source, f.sourceTopics.error));
  if (!f.targetTopics.ok) findings.push(unavailable(f, "topics", flow.target, f.targetTopics.error));
  if (f.sourceTopics.ok && f.targetTopics.ok) {
    for (const [topic, s] of f.sourceTopics.value) {
      const remote = remoteTopic(flow, topic);
      const t = f.targetTopics.value.get(remote);
      if (!t) {
        notMirrored.push(topic);
        findings.push({
          severity: "critical",
          rule: "mirror.topic-not-mirrored",
          subject: { kind: "topic", name: `${flow.source}/${topic}` },
          message: `${topic} matches the flow's topics (${flow.topics}) but ${remote} does not exist on ${flow.target}: its data is lost when ${flow.source} is`,
          onLossOf: [],
          fix: `check the source connector (${flow.connectors?.source ?? "MirrorSourceConnector"}) replicates it: topics / topics.exclude, refresh.topics.interval.seconds, and its task errors`,
        });
        continue;
      }
      mirrored++;
      if (t.partitions !== s.partitions) {
        mismatches.push(`${topic}: ${s.partitions} → ${t.partitions}`);
        findings.push({
          severity: "critical",
          rule: "mirror.partition-count-mismatch",
          subject: { kind: "topic", name: `${flow.target}/${remote}` },
          message: `${topic} has ${s.partitions} partitions on ${flow.source} but ${remote} has ${t.partitions} on ${flow.target}: keyed data lands in other partitions after failover and offsets cannot be translated`,
          onLossOf: [],
          fix: `add partitions to ${remote} on ${flow.target} to match (MM2 only grows them on its refresh), never shrink the source`,
        });
      }
      const keys = new Set([...Object.keys(s.overrides), ...Object.keys(t.overrides)]);
      const diffs = [...keys]
        .filter((k) => !CONFIG_DIFF_IGNORED.has(k) && s.overrides[k] !== t.overrides[k])
        .sort();
      if (diffs.length > 0) {
        configDifferences++;
        findings.push({
          severity: "warning",
          rule: "mirror.topic-config-differs",
          subject: { kind: "topic", name: `${flow.target}/${remote}` },
          message: `overrides differ from ${flow.source}/${topic}: ${diffs
            .map((k) => `${k} ${s.overrides[k] ?? "(default)"} → ${t.overrides[k] ?? "(default)"}`)
            .join(", ")}`,
          onLossOf: [],
          fix: `align them before a failover (kafka.setTopicConfig on ${flow.target}); MM2 does not sync ${diffs.filter((k) => k === "min.insync.replicas" || k === "unclean.leader.election.enable").join(", ") || "excluded configs"} by default`,
        });
      }
    }
  }

  let acls: PairPosture["acls"];
  if (!f.sourceAcls.ok || !f.targetAcls.ok) {
    const err = !f.sourceAcls.ok
      ? `${flow.source}: ${f.sourceAcls.error}`
      : `${flow.target}: ${(f.targetAcls as { error: string }).error}`;
    acls = { error: err };
    findings.push({
      severity: /SECURITY_DISABLED|security features are disabled/i.test(err) ? "info" : "warning",
      rule: "mirror.acls-uncompared",
      subject: { kind: "flow", name: flow.name },
      message: `ACLs could not be compared: ${err}`,
      onLossOf: [],
      fix: "enable an authorizer on both clusters (authorizer.class.name) or grant DESCRIBE on CLUSTER to switchover's principal",
    });
  } else {
    const target = new Set(f.targetAcls.value);
    const source = new Set(f.sourceAcls.value);
    const onlyOnSource = f.sourceAcls.value.filter((a) => !target.has(a));
    const onlyOnTarget = f.targetAcls.value.filter((a) => !source.has(a));
    acls = { onlyOnSource, onlyOnTarget };
    for (const a of onlyOnSource) {
      findings.push({
        severity: "critical",
        rule: "mirror.acl-missing-on-target",
        subject: { kind: "acl", name: a },
        message: `ACL "${a}" exists on ${flow.source} but not on ${flow.target}: after failover that principal is denied`,
        onLossOf: [],
        fix: `create it on ${flow.target} (kafka-acls --bootstrap-server <${flow.target}> --add …); MM2 syncs only topic READ ACLs, and only with sync.topic.acls.enabled`,
      });
    }
    for (const a of onlyOnTarget) {
      findings.push({
        severity: "info",
        rule: "mirror.acl-only-on-target",
        subject: { kind: "acl", name: a },
        message: `ACL "${a}" exists on ${flow.target} only`,
        onLossOf: [],
        fix: "none needed if intended (e.g. MM2's own principal); remove it otherwise",
      });
    }
  }

  const groups: PairPosture["groups"] = [];
  if (!f.groups.ok) findings.push(unavailable(f, "consumer groups", flow.source, f.groups.error));
  if (!f.checkpoints.ok) findings.push(unavailable(f, "checkpoints", flow.target, f.checkpoints.error));
  if (f.groups.ok && f.checkpoints.ok) {
    for (const [group, offsets] of [...f.groups.value].sort(([a], [b]) => a.localeCompare(b))) {
      const cp = f.checkpoints.value.get(group);
      if (!cp) {
        groups.push({ name: group, checkpointAgeMs: null, stale: true });
        findings.push({
          severity: "critical",
          rule: "mirror.group-without-checkpoint",
          subject: { kind: "group", name: `${flow.source}/${group}` },
          message: `group ${group} commits offsets on ${[...offsets.keys()].join(", ")} but MM2 wrote no checkpoint for it: its offsets cannot be translated on failover (it restarts from auto.offset.reset)`,
          onLossOf: [],
          fix: `make the checkpoint connector (${flow.connectors?.checkpoint ?? "MirrorCheckpointConnector"}) cover it: groups / groups.exclude, and sync.group.offsets.enabled if consumers should find offsets committed on ${flow.target}`,
        });
        continue;
      }
      const age = Math.max(0, f.now - cp.newest);
      const moved = [...offsets].some(([topic, parts]) =>
        [...parts].some(([p, committed]) => committed > (cp.upstream.get(`${topic}/${p}`) ?? -1n)),
      );
      const stale = moved && age > CHECKPOINT_STALE_MS;
      groups.push({ name: group, checkpointAgeMs: age, stale });
      if (stale) {
        findings.push({
          severity: "warning",
          rule: "mirror.checkpoint-stale",
          subject: { kind: "group", name: `${flow.source}/${group}` },
          message: `group ${group}'s newest checkpoint is ${Math.round(age / 1000)} s old while it kept committing on ${flow.source}: translation after failover reprocesses at least that much`,
          onLossOf: [],
          fix: "check the checkpoint connector's tasks and emit.checkpoints.interval.seconds",
        });
      }
    }
  }

  let heartbeatAgeMs: number | null = null;
  if (!f.heartbeatAt.ok) findings.push(unavailable(f, "heartbeats", flow.target, f.heartbeatAt.error));
  else if (f.heartbeatAt.value === null) {
    findings.push({
      severity: "critical",
      rule: "mirror.no-heartbeats",
      subject: { kind: "flow", name: flow.name },
      message: `no heartbeat from ${flow.sourceAlias} reached ${flow.target}: replication is not proven to run`,
      onLossOf: [],
      fix: `run a MirrorHeartbeatConnector for the flow${flow.connectors?.heartbeat ? ` (${flow.connectors.heartbeat})` : ""} and check the source connector replicates heartbeats`,
    });
  } else {
    heartbeatAgeMs = Math.max(0, f.now - f.heartbeatAt.value);
    if (heartbeatAgeMs > 60_000) {
      findings.push({
        severity: "critical",
        rule: "mirror.heartbeat-old",
        subject: { kind: "flow", name: flow.name },
        message: `the newest heartbeat on ${flow.target} is ${Math.round(heartbeatAgeMs / 1000)} s old: replication is stalled, and a failover now loses at least that much`,
        onLossOf: [],
        fix: "check the Connect worker and the source connector's tasks (mirror.pause left on?)",
      });
    }
  }

  if (!f.connectors.ok) {
    findings.push({
      severity: "warning",
      rule: "mirror.connect-unreachable",
      subject: { kind: "flow", name: flow.name },
      message: `the Connect worker ${flow.connect ?? "(none)"} could not be read: ${f.connectors.error}`,
      onLossOf: [],
      fix: "check the Connect worker is up and its REST listener reachable",
    });
  } else {
    for (const c of f.connectors.value) {
      if (c.state !== "RUNNING") {
        findings.push({
          severity: "critical",
          rule: "mirror.connector-not-running",
          subject: { kind: "connector", name: c.name },
          message: `${c.role} connector ${c.name} is ${c.state ?? "absent"}`,
          onLossOf: [],
          fix: c.state === null ? `create it (mirror.createFlow)` : `resume or restart it (mirror.resume)`,
        });
      }
      if (c.role === "source" && c.config) {
        const isolation = Object.entries(c.config).find(([k]) =>
          /^(source\.consumer\.|consumer\.|source\.cluster\.)isolation\.level$/.test(k),
        );
        if (isolation?.[1] !== "read_committed") {
          findings.push({
            severity: "warning",
            rule: "mirror.reads-uncommitted",
            subject: { kind: "connector", name: c.name },
            message: `the source consumer reads ${flow.source} with isolation.level=${isolation?.[1] ?? "read_uncommitted (Kafka default)"}: records of transactions aborted on ${flow.source} reach ${flow.target} as ordinary records, and read_committed consumers there process them after a failover`,
            onLossOf: [],
            fix: `set source.consumer.isolation.level=read_committed on ${c.name}`,
          });
        }
        const key = Object.keys(c.config).find((k) => /(^|\.)receive\.buffer\.bytes$/.test(k));
        const value = key ? Number(c.config[key]) : 65_536;
        if (value !== -1 && value < WAN_BUFFER_BYTES) {
          findings.push({
            severity: "warning",
            rule: "mirror.socket-buffer-small",
            subject: { kind: "connector", name: c.name },
            message: `the source consumer reads ${flow.source} over the WAN with receive.buffer.bytes=${value}${key ? ` (${key})` : " (Kafka default)"}: throughput is capped at buffer / RTT`,
            onLossOf: [],
            fix: `set source.cluster.receive.buffer.bytes=-1 (OS autotuning) or ≥ ${WAN_BUFFER_BYTES} on ${c.name}, and socket.send.buffer.bytes likewise on ${flow.source}'s brokers`,
          });
        }
      }
    }
  }

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
    topics: { mirrored, notMirrored, partitionMismatches: mismatches, configDifferences },
    acls,
    groups,
    heartbeatAgeMs,
    rpoSeconds,
    findings: sortFindings(findings),
    summary: { lines },
  };
}
