// DR posture of one cluster: the controller quorum per datacenter (DescribeQuorum), and per topic
// what losing each datacenter would do to writes with acks=all, given replica placement, the
// current ISR and min.insync.replicas. `assessCluster` is pure; `readClusterFacts` does the I/O.
import type { QuorumDescription, TopicState, BrokerInfo } from "../kafka/cluster-state.js";
import type { DescribedEntry } from "../kafka/config-overrides.js";
import { isInternalTopic } from "../kafka/topic-selection.js";
import type { ClusterConfig } from "../config/schema.js";
import { sortFindings } from "./finding.js";
import type { Finding } from "./finding.js";
import { CLUSTER_RULES, TOPIC_RULES } from "./cluster-rules.js";
import { clusterContext } from "./cluster-view.js";
import type {
  ClusterContext,
  ClusterFacts,
  QuorumView,
  TopicConfigFacts,
  TopicView,
} from "./cluster-view.js";

export { VOTER_ALIVE_MS } from "./cluster-view.js";
export type {
  ClusterFacts,
  QuorumView,
  TopicConfigFacts,
  TopicMode,
  TopicView,
  VoterView,
} from "./cluster-view.js";

const DEFAULT_CONFIG = 5;

export interface LossSummary {
  datacenter: string;
  topicsStopWrites: number;
  topicsGoOffline: number;
  quorumKeepsMajority: boolean | null;
}

export interface ClusterPosture {
  kind: "cluster";
  cluster: string;
  generatedAt: string;
  datacenters: string[];
  brokers: { nodeId: number; rack: string | null; datacenter: string }[];
  quorum: QuorumView | { error: string };
  topicCount: number;
  topics: TopicView[];
  findings: Finding[];
  summary: { lossOf: LossSummary[]; lines: string[] };
}

/** The reads of one cluster the assessment needs (the Kafka adapter's ClusterClient has them). */
export interface ClusterReads {
  readonly name: string;
  readonly config: ClusterConfig;
  brokers(signal?: AbortSignal): Promise<BrokerInfo[]>;
  describeQuorum(signal?: AbortSignal): Promise<QuorumDescription>;
  allTopicStates(signal?: AbortSignal): Promise<TopicState[]>;
  topicConfigEntries(
    topics: readonly string[],
    names: readonly string[] | undefined,
    signal?: AbortSignal,
  ): Promise<Map<string, DescribedEntry[]>>;
}

/** Reads everything the assessment needs in parallel: brokers, quorum, metadata, two topic configs. */
export async function readClusterFacts(
  client: ClusterReads,
  signal?: AbortSignal,
  opts: { includeInternal?: boolean } = {},
): Promise<ClusterFacts> {
  const brokers = await client.brokers(signal);
  const [quorum, everything] = await Promise.all([
    client
      .describeQuorum(signal)
      .catch((err: unknown) => ({ error: err instanceof Error ? err.message : String(err) })),
    client.allTopicStates(signal),
  ]);
  const topics: TopicState[] = everything
    .filter((t) => opts.includeInternal || !isInternalTopic(t.topic))
    .sort((a, b) => a.topic.localeCompare(b.topic));
  const described = await client.topicConfigEntries(
    topics.map((t) => t.topic),
    ["min.insync.replicas", "unclean.leader.election.enable"],
    signal,
  );
  const configs = new Map<string, TopicConfigFacts>();
  for (const [topic, entries] of described) {
    const entry = (n: string) =>
      entries.find((e) => e.configName === n) as
        { configValue: string | null; configSource?: number } | undefined;
    const minIsr = entry("min.insync.replicas");
    const unclean = entry("unclean.leader.election.enable");
    configs.set(topic, {
      minIsr: Number(minIsr?.configValue ?? "1"),
      unclean: unclean?.configValue === "true",
      uncleanSet: unclean !== undefined && (unclean.configSource ?? DEFAULT_CONFIG) !== DEFAULT_CONFIG,
    });
  }
  return {
    cluster: client.name,
    config: client.config,
    brokers: brokers.map((b) => ({ nodeId: b.nodeId, rack: b.rack })),
    quorum,
    topics,
    configs,
    now: Date.now(),
  };
}

/** Runs the rule tables over the views derived from the facts, and sums up each DC loss. */
export function assessCluster(f: ClusterFacts): ClusterPosture {
  const ctx = clusterContext(f);
  const findings = [
    ...CLUSTER_RULES.flatMap((rule) => rule(f, ctx)),
    ...ctx.topics.flatMap((t) => TOPIC_RULES.flatMap((rule) => rule(t, ctx))),
  ];
  const topics = ctx.topics.map((t) => t.view);
  return {
    kind: "cluster",
    cluster: f.cluster,
    generatedAt: new Date(f.now).toISOString(),
    datacenters: ctx.knownDcs,
    brokers: ctx.brokers,
    quorum: ctx.quorum,
    topicCount: topics.length,
    topics,
    findings: sortFindings(findings),
    summary: lossSummary(ctx, topics),
  };
}

/** What losing each datacenter now does; a single-site cluster goes with its one DC. */
function lossSummary(ctx: ClusterContext, topics: TopicView[]): ClusterPosture["summary"] {
  const { knownDcs, multiDc, quorum } = ctx;
  const lossOf: LossSummary[] = (multiDc ? knownDcs : []).map((dc) => ({
    datacenter: dc,
    topicsStopWrites: topics.filter((t) => t.writesStopOnLossOf.includes(dc)).length,
    topicsGoOffline: topics.filter((t) => t.offlineOnLossOf.includes(dc)).length,
    quorumKeepsMajority: "error" in quorum ? null : (quorum.afterLossOf[dc]?.majority ?? null),
  }));
  const lines = multiDc
    ? lossOf.map((l) => {
        const q =
          l.quorumKeepsMajority === null
            ? "controller quorum unknown"
            : l.quorumKeepsMajority
              ? "controller quorum keeps its majority"
              : "controller quorum LOSES its majority (cluster stops)";
        return `losing ${l.datacenter} now: ${l.topicsStopWrites} of ${topics.length} topics stop accepting acks=all writes, ${l.topicsGoOffline} go offline, ${q}`;
      })
    : [
        `losing ${knownDcs[0] ?? "its datacenter"} now: the whole cluster (${topics.length} topics) is unavailable; recovery depends on its mirrored pair`,
      ];
  return { lossOf, lines };
}
