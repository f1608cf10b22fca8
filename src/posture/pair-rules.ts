// The pair posture checks as a table of small rules, each a look at the facts of one MM2 flow and
// the comparisons derived from them (pair-view.ts). Each returns its findings, possibly none; the
// assessment runs the table and sorts what it returns.
import type { Finding } from "./finding.js";
import { WAN_BUFFER_BYTES } from "./pair-view.js";
import type { PairContext, PairFacts, Side } from "./pair-view.js";

export type PairRule = (facts: PairFacts, ctx: PairContext) => Finding[];

type Connector = Extract<PairFacts["connectors"], { ok: true }>["value"][number];

const flowSubject = (f: PairFacts) => ({ kind: "flow", name: f.flow.name }) as const;

/** A side that could not be read; the other rules then have nothing to say about it. */
export const pairUnreadable: PairRule = (f) => {
  const { source, target } = f.flow;
  const reads: [string, string, Side<unknown>][] = [
    ["topics", source, f.sourceTopics],
    ["topics", target, f.targetTopics],
    ["consumer groups", source, f.groups],
    ["checkpoints", target, f.checkpoints],
    ["heartbeats", target, f.heartbeatAt],
  ];
  return reads.flatMap(([what, cluster, side]) =>
    side.ok
      ? []
      : [
          {
            severity: "warning",
            rule: "pair.unreadable",
            subject: flowSubject(f),
            message: `${what} on ${cluster} could not be read: ${side.error}`,
            onLossOf: [],
            fix: `check that ${cluster} is reachable and switchover's principal may describe it`,
          },
        ],
  );
};

export const topicNotMirrored: PairRule = ({ flow }, ctx) =>
  ctx.topics
    .filter((t) => t.target === undefined)
    .map(({ topic, remote }) => ({
      severity: "critical",
      rule: "mirror.topic-not-mirrored",
      subject: { kind: "topic", name: `${flow.source}/${topic}` },
      message: `${topic} matches the flow's topics (${flow.topics}) but ${remote} does not exist on ${flow.target}: its data is lost when ${flow.source} is`,
      onLossOf: [],
      fix: `check the source connector (${flow.connectors?.source ?? "MirrorSourceConnector"}) replicates it: topics / topics.exclude, refresh.topics.interval.seconds, and its task errors`,
    }));

export const partitionCountMismatch: PairRule = ({ flow }, ctx) =>
  ctx.topics.flatMap(({ topic, remote, source, target }) =>
    target && target.partitions !== source.partitions
      ? [
          {
            severity: "critical",
            rule: "mirror.partition-count-mismatch",
            subject: { kind: "topic", name: `${flow.target}/${remote}` },
            message: `${topic} has ${source.partitions} partitions on ${flow.source} but ${remote} has ${target.partitions} on ${flow.target}: keyed data lands in other partitions after failover and offsets cannot be translated`,
            onLossOf: [],
            fix: `add partitions to ${remote} on ${flow.target} to match (MM2 only grows them on its refresh), never shrink the source`,
          },
        ]
      : [],
  );

/** MM2 leaves min.insync.replicas and unclean.leader.election.enable out of its config sync. */
const UNSYNCED = ["min.insync.replicas", "unclean.leader.election.enable"];

export const topicConfigDiffers: PairRule = ({ flow }, ctx) =>
  ctx.topics
    .filter((t) => t.configDiffs.length > 0)
    .map(({ topic, remote, source: s, target, configDiffs: diffs }) => ({
      severity: "warning",
      rule: "mirror.topic-config-differs",
      subject: { kind: "topic", name: `${flow.target}/${remote}` },
      message: `overrides differ from ${flow.source}/${topic}: ${diffs
        .map((k) => `${k} ${s.overrides[k] ?? "(default)"} → ${target?.overrides[k] ?? "(default)"}`)
        .join(", ")}`,
      onLossOf: [],
      fix: `align them before a failover (kafka.setTopicConfig on ${flow.target}); MM2 does not sync ${diffs.filter((k) => UNSYNCED.includes(k)).join(", ") || "excluded configs"} by default`,
    }));

/** Information only when the clusters run without an authorizer: there are no ACLs to compare. */
export const aclsUncompared: PairRule = (f, { acls }) =>
  "error" in acls
    ? [
        {
          severity: /SECURITY_DISABLED|security features are disabled/i.test(acls.error) ? "info" : "warning",
          rule: "mirror.acls-uncompared",
          subject: flowSubject(f),
          message: `ACLs could not be compared: ${acls.error}`,
          onLossOf: [],
          fix: "enable an authorizer on both clusters (authorizer.class.name) or grant DESCRIBE on CLUSTER to switchover's principal",
        },
      ]
    : [];

export const aclMissingOnTarget: PairRule = ({ flow }, { acls }) =>
  ("error" in acls ? [] : acls.onlyOnSource).map((a) => ({
    severity: "critical",
    rule: "mirror.acl-missing-on-target",
    subject: { kind: "acl", name: a },
    message: `ACL "${a}" exists on ${flow.source} but not on ${flow.target}: after failover that principal is denied`,
    onLossOf: [],
    fix: `create it on ${flow.target} (kafka-acls --bootstrap-server <${flow.target}> --add …); MM2 syncs only topic READ ACLs, and only with sync.topic.acls.enabled`,
  }));

export const aclOnlyOnTarget: PairRule = ({ flow }, { acls }) =>
  ("error" in acls ? [] : acls.onlyOnTarget).map((a) => ({
    severity: "info",
    rule: "mirror.acl-only-on-target",
    subject: { kind: "acl", name: a },
    message: `ACL "${a}" exists on ${flow.target} only`,
    onLossOf: [],
    fix: "none needed if intended (e.g. MM2's own principal); remove it otherwise",
  }));

export const groupWithoutCheckpoint: PairRule = ({ flow }, ctx) =>
  ctx.groups
    .filter((g) => g.checkpointAgeMs === null)
    .map(({ name, offsets }) => ({
      severity: "critical",
      rule: "mirror.group-without-checkpoint",
      subject: { kind: "group", name: `${flow.source}/${name}` },
      message: `group ${name} commits offsets on ${[...offsets.keys()].join(", ")} but MM2 wrote no checkpoint for it: its offsets cannot be translated on failover (it restarts from auto.offset.reset)`,
      onLossOf: [],
      fix: `make the checkpoint connector (${flow.connectors?.checkpoint ?? "MirrorCheckpointConnector"}) cover it: groups / groups.exclude, and sync.group.offsets.enabled if consumers should find offsets committed on ${flow.target}`,
    }));

export const checkpointStale: PairRule = ({ flow }, ctx) =>
  ctx.groups.flatMap(({ name, checkpointAgeMs: age, stale }) =>
    age !== null && stale
      ? [
          {
            severity: "warning",
            rule: "mirror.checkpoint-stale",
            subject: { kind: "group", name: `${flow.source}/${name}` },
            message: `group ${name}'s newest checkpoint is ${Math.round(age / 1000)} s old while it kept committing on ${flow.source}: translation after failover reprocesses at least that much`,
            onLossOf: [],
            fix: "check the checkpoint connector's tasks and emit.checkpoints.interval.seconds",
          },
        ]
      : [],
  );

export const noHeartbeats: PairRule = (f) =>
  f.heartbeatAt.ok && f.heartbeatAt.value === null
    ? [
        {
          severity: "critical",
          rule: "mirror.no-heartbeats",
          subject: flowSubject(f),
          message: `no heartbeat from ${f.flow.sourceAlias} reached ${f.flow.target}: replication is not proven to run`,
          onLossOf: [],
          fix: `run a MirrorHeartbeatConnector for the flow${f.flow.connectors?.heartbeat ? ` (${f.flow.connectors.heartbeat})` : ""} and check the source connector replicates heartbeats`,
        },
      ]
    : [];

export const heartbeatOld: PairRule = (f, { heartbeatAgeMs: age }) =>
  age !== null && age > 60_000
    ? [
        {
          severity: "critical",
          rule: "mirror.heartbeat-old",
          subject: flowSubject(f),
          message: `the newest heartbeat on ${f.flow.target} is ${Math.round(age / 1000)} s old: replication is stalled, and a failover now loses at least that much`,
          onLossOf: [],
          fix: "check the Connect worker and the source connector's tasks (mirror.pause left on?)",
        },
      ]
    : [];

export const connectUnreachable: PairRule = (f) =>
  f.connectors.ok
    ? []
    : [
        {
          severity: "warning",
          rule: "mirror.connect-unreachable",
          subject: flowSubject(f),
          message: `the Connect worker ${f.flow.connect ?? "(none)"} could not be read: ${f.connectors.error}`,
          onLossOf: [],
          fix: "check the Connect worker is up and its REST listener reachable",
        },
      ];

const connectors = (f: PairFacts): Connector[] => (f.connectors.ok ? f.connectors.value : []);
/** Source connectors whose configuration could be read. */
const sourceConfigs = (f: PairFacts) =>
  connectors(f).flatMap((c) => (c.role === "source" && c.config ? [{ name: c.name, config: c.config }] : []));

export const connectorNotRunning: PairRule = (f) =>
  connectors(f)
    .filter((c) => c.state !== "RUNNING")
    .map((c) => ({
      severity: "critical",
      rule: "mirror.connector-not-running",
      subject: { kind: "connector", name: c.name },
      message: `${c.role} connector ${c.name} is ${c.state ?? "absent"}`,
      onLossOf: [],
      fix: c.state === null ? `create it (mirror.createFlow)` : `resume or restart it (mirror.resume)`,
    }));

/** MM2 reads the source consumer's settings under any of these prefixes. */
const ISOLATION_KEY = /^(source\.consumer\.|consumer\.|source\.cluster\.)isolation\.level$/;

export const readsUncommitted: PairRule = (f) =>
  sourceConfigs(f).flatMap(({ name, config }) => {
    const isolation = Object.entries(config).find(([k]) => ISOLATION_KEY.test(k))?.[1];
    if (isolation === "read_committed") return [];
    return [
      {
        severity: "warning",
        rule: "mirror.reads-uncommitted",
        subject: { kind: "connector", name },
        message: `the source consumer reads ${f.flow.source} with isolation.level=${isolation ?? "read_uncommitted (Kafka default)"}: records of transactions aborted on ${f.flow.source} reach ${f.flow.target} as ordinary records, and read_committed consumers there process them after a failover`,
        onLossOf: [],
        fix: `set source.consumer.isolation.level=read_committed on ${name}`,
      },
    ];
  });

/** -1 is OS autotuning; Kafka's default receive buffer is 64 KiB. */
export const socketBufferSmall: PairRule = (f) =>
  sourceConfigs(f).flatMap(({ name, config }) => {
    const key = Object.keys(config).find((k) => /(^|\.)receive\.buffer\.bytes$/.test(k));
    const value = key ? Number(config[key]) : 65_536;
    if (value === -1 || value >= WAN_BUFFER_BYTES) return [];
    return [
      {
        severity: "warning",
        rule: "mirror.socket-buffer-small",
        subject: { kind: "connector", name },
        message: `the source consumer reads ${f.flow.source} over the WAN with receive.buffer.bytes=${value}${key ? ` (${key})` : " (Kafka default)"}: throughput is capped at buffer / RTT`,
        onLossOf: [],
        fix: `set source.cluster.receive.buffer.bytes=-1 (OS autotuning) or ≥ ${WAN_BUFFER_BYTES} on ${name}, and socket.send.buffer.bytes likewise on ${f.flow.source}'s brokers`,
      },
    ];
  });

export const PAIR_RULES: readonly PairRule[] = [
  pairUnreadable,
  topicNotMirrored,
  partitionCountMismatch,
  topicConfigDiffers,
  aclsUncompared,
  aclMissingOnTarget,
  aclOnlyOnTarget,
  groupWithoutCheckpoint,
  checkpointStale,
  noHeartbeats,
  heartbeatOld,
  connectUnreachable,
  connectorNotRunning,
  readsUncommitted,
  socketBufferSmall,
];
