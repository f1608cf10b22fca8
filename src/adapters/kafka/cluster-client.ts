// One configured cluster as the steps and posture see it: named reads and writes over a kafkajs
// client built by the one factory (SASL/TLS, timeouts), its admin and producer connected once and
// reused, and every failure mapped to the error model. No kafkajs type crosses this class's surface.
import type { Admin, Kafka, Producer } from "kafkajs";
import type { ClusterConfig } from "../../config/schema.js";
import { ErrorCode, SwitchoverError } from "../../engine/errors.js";
import { abortable } from "./abortable.js";
import { CONFIG_SOURCE, differingKeys, mergeOverrides, overridesOf } from "../../kafka/config-overrides.js";
import type { Overrides } from "../../kafka/config-overrides.js";
import { describeAllAcls } from "./acl-bindings.js";
import { describeQuorumRequest } from "./describe-quorum-request.js";
import { ELECTION_ERRORS, electLeadersRequest } from "./elect-leaders-request.js";
import type { ElectionResult, ElectionType } from "./elect-leaders-request.js";
import { createKafkaClient } from "./kafka-client-factory.js";
import { toKafkaError } from "./kafka-errors.js";
import { ProtocolChannel } from "./protocol-channel.js";
import type { DescribedEntry } from "../../kafka/config-overrides.js";
import type { AclBinding, BrokerInfo, QuorumDescription, TopicState } from "../../kafka/cluster-state.js";
import type { FetchedRecord } from "./protocol-channel.js";

const TOPIC = 2;
/** Broker errors that mean our cached metadata is out of date, not that the request is wrong. */
const STALE_METADATA = new Set([
  "UNKNOWN_TOPIC_OR_PARTITION",
  "KafkaJSTopicMetadataNotLoaded",
  "NOT_LEADER_FOR_PARTITION",
  "LEADER_NOT_AVAILABLE",
]);
const BROKER = 4;

export type { PartitionState, TopicState } from "../../kafka/cluster-state.js";

export interface GroupMember {
  memberId: string;
  clientId: string;
  clientHost: string;
}

export interface GroupState {
  groupId: string;
  state: string;
  members: GroupMember[];
}

export interface PartitionOffsets {
  partition: number;
  low: bigint;
  high: bigint;
}

/** One record to produce; `partition` omitted lets the key choose. */
export interface OutgoingRecord {
  key: string;
  value: Buffer;
  headers: Record<string, string>;
  partition?: number;
}

/**
 * What an acks=all produce came to: the record's place, or the send's own failure (mapped), left to
 * the caller to judge. Failing to connect the producer is not an outcome: it throws like any call.
 */
export type ProduceOutcome =
  | { ok: true; written: { partition: number; offset: bigint } | undefined; sendMs: number }
  | { ok: false; error: unknown };

export class ClusterClient {
  readonly #kafka: Kafka;
  readonly #channel: ProtocolChannel;
  #admin: Promise<Admin> | undefined;
  #producer: Promise<Producer> | undefined;

  constructor(
    readonly name: string,
    readonly config: ClusterConfig,
  ) {
    this.#kafka = createKafkaClient(name, config);
    this.#channel = new ProtocolChannel(this.#kafka);
  }

  /** Runs one Kafka call under the step's signal, mapping failures to the error model. */
  async #call<T>(doing: string, signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
    try {
      return await abortable(signal, work());
    } catch (err) {
      if (signal?.aborted) throw err;
      const mapped = toKafkaError(this.name, doing, err);
      if (STALE_METADATA.has(String(mapped.details?.kafkaError))) await this.#forgetMetadata();
      throw mapped;
    }
  }

  /**
   * Drops the connected clients so the next call starts with fresh metadata. kafkajs keeps every
   * topic it was asked about in each metadata request: once one of them is deleted, every refresh
   * fails UNKNOWN_TOPIC_OR_PARTITION for good, and a recreated topic keeps its old partition map.
   */
  async #forgetMetadata(): Promise<void> {
    const admin = this.#admin;
    const producer = this.#producer;
    this.#admin = undefined;
    this.#producer = undefined;
    await Promise.allSettled([
      admin?.then((a) => a.disconnect()),
      producer?.then((p) => p.disconnect()),
      this.#channel.close(),
    ]);
  }

  /**
   * An admin call retried once on fresh clients when the metadata it relied on was stale (a topic
   * deleted or recreated since this long-lived client first looked); a second failure is real.
   */
  async #withAdmin<T>(
    doing: string,
    signal: AbortSignal | undefined,
    work: (admin: Admin) => Promise<T>,
  ): Promise<T> {
    const admin = await this.#connectedAdmin(signal);
    try {
      return await this.#call(doing, signal, () => work(admin));
    } catch (err) {
      if (!(err instanceof SwitchoverError) || !STALE_METADATA.has(String(err.details?.kafkaError)))
        throw err;
      const fresh = await this.#connectedAdmin(signal);
      return this.#call(doing, signal, () => work(fresh));
    }
  }

  #connectedAdmin(signal?: AbortSignal): Promise<Admin> {
    this.#admin ??= (async () => {
      const admin = this.#kafka.admin({ retry: { retries: 5, initialRetryTime: 150, maxRetryTime: 1_500 } });
      await admin.connect();
      return admin;
    })();
    const p = this.#admin;
    p.catch(() => {
      if (this.#admin === p) this.#admin = undefined;
    });
    return this.#call("connecting", signal, () => p);
  }

  async #connectedProducer(signal?: AbortSignal): Promise<Producer> {
    this.#producer ??= (async () => {
      const producer = this.#kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
      await producer.connect();
      return producer;
    })();
    const p = this.#producer;
    p.catch(() => {
      if (this.#producer === p) this.#producer = undefined;
    });
    return this.#call("connecting a producer", signal, () => p);
  }

  async listTopics(signal?: AbortSignal): Promise<string[]> {
    const admin = await this.#connectedAdmin(signal);
    return this.#call("listing topics", signal, () => admin.listTopics());
  }

  async topicStates(topics: readonly string[], signal?: AbortSignal): Promise<TopicState[]> {
    if (topics.length === 0) return [];
    const meta = await this.#withAdmin(`reading metadata of ${topics.length} topic(s)`, signal, (admin) =>
      admin.fetchTopicMetadata({ topics: [...topics] }),
    );
    return meta.topics
      .map((t) => ({
        topic: t.name,
        partitions: t.partitions
          .map((p) => ({
            partition: p.partitionId,
            leader: p.leader,
            replicas: [...p.replicas],
            isr: [...p.isr],
            offline: [...(p.offlineReplicas ?? [])],
          }))
          .sort((a, b) => a.partition - b.partition),
      }))
      .sort((a, b) => a.topic.localeCompare(b.topic));
  }

  async brokers(signal?: AbortSignal): Promise<BrokerInfo[]> {
    return this.#call("reading brokers and racks", signal, () => this.#channel.brokers());
  }

  /**
   * Every topic with its partitions in one Metadata request (not listTopics + fetchTopicMetadata:
   * two full reads, and kafkajs's admin would keep refreshing every topic it was ever asked about).
   */
  async allTopicStates(signal?: AbortSignal): Promise<TopicState[]> {
    return this.#call("reading metadata of every topic", signal, () => this.#channel.allTopicMetadata());
  }

  /** The KRaft controller quorum (DescribeQuorum v1, which kafkajs lacks). */
  async describeQuorum(signal?: AbortSignal): Promise<QuorumDescription> {
    return this.#call("describing the controller quorum", signal, () =>
      this.#channel.send(describeQuorumRequest()),
    );
  }

  /** Every ACL binding on the cluster. */
  async acls(signal?: AbortSignal): Promise<AclBinding[]> {
    const admin = await this.#connectedAdmin(signal);
    return this.#call("describing ACLs", signal, () => describeAllAcls(admin));
  }

  /**
   * Config entries of each topic as described (all of them, or only `names`); a topic the brokers
   * answer with an error (deleted since it was listed) is left out rather than failing the read.
   */
  async topicConfigEntries(
    topics: readonly string[],
    names: readonly string[] | undefined,
    signal?: AbortSignal,
  ): Promise<Map<string, DescribedEntry[]>> {
    const out = new Map<string, DescribedEntry[]>();
    if (topics.length === 0) return out;
    const admin = await this.#connectedAdmin(signal);
    const res = await this.#call(`describing configs of ${topics.length} topic(s)`, signal, () =>
      admin.describeConfigs({
        resources: topics.map((name) => ({
          type: TOPIC,
          name,
          ...(names ? { configNames: [...names] } : {}),
        })),
        includeSynonyms: false,
      }),
    );
    for (const r of res.resources) if (r.errorCode === 0) out.set(r.resourceName, r.configEntries);
    return out;
  }

  /** Produces one canary record with acks=all within `timeoutMs`. */
  async produceCanary(
    topic: string,
    record: OutgoingRecord,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<ProduceOutcome> {
    const producer = await this.#connectedProducer(signal);
    const t0 = Date.now();
    try {
      const [meta] = await this.#call(`canary produce to ${topic}`, signal, () =>
        producer.send({ topic, acks: -1, timeout: timeoutMs, messages: [record] }),
      );
      return {
        ok: true,
        written: meta && { partition: meta.partition, offset: BigInt(meta.baseOffset ?? "-1") },
        sendMs: Date.now() - t0,
      };
    } catch (err) {
      return { ok: false, error: err };
    }
  }

  /** Every topic's dynamic overrides, in one DescribeConfigs round trip. */
  async topicOverrides(topics: readonly string[], signal?: AbortSignal): Promise<Map<string, Overrides>> {
    const out = new Map<string, Overrides>();
    if (topics.length === 0) return out;
    const admin = await this.#connectedAdmin(signal);
    const res = await this.#call(`describing configs of ${topics.length} topic(s)`, signal, () =>
      admin.describeConfigs({
        resources: topics.map((name) => ({ type: TOPIC, name })),
        includeSynonyms: false,
      }),
    );
    for (const r of res.resources) {
      if (r.errorCode !== 0) {
        throw toKafkaError(this.name, `describing configs of topic ${r.resourceName}`, {
          type: r.errorCode === 3 ? "UNKNOWN_TOPIC_OR_PARTITION" : `ERROR_${r.errorCode}`,
          message: r.errorMessage ?? `error code ${r.errorCode}`,
        });
      }
      out.set(r.resourceName, overridesOf(r.configEntries, CONFIG_SOURCE.dynamicTopic));
    }
    return out;
  }

  /** Effective values (override, broker or default) of some configs for each topic. */
  async effectiveTopicConfig(
    topics: readonly string[],
    names: readonly string[],
    signal?: AbortSignal,
  ): Promise<Map<string, Record<string, string | null>>> {
    const out = new Map<string, Record<string, string | null>>();
    if (topics.length === 0) return out;
    const admin = await this.#connectedAdmin(signal);
    const res = await this.#call(`describing ${names.join(", ")} of ${topics.length} topic(s)`, signal, () =>
      admin.describeConfigs({
        resources: topics.map((name) => ({ type: TOPIC, name, configNames: [...names] })),
        includeSynonyms: false,
      }),
    );
    for (const r of res.resources) {
      out.set(r.resourceName, Object.fromEntries(r.configEntries.map((e) => [e.configName, e.configValue])));
    }
    return out;
  }

  /**
   * Changes some topic overrides and keeps every other one: describe, merge, write the full set
   * back in one AlterConfigs, then describe again and prove only the intended keys moved.
   * `validateOnly` asks the brokers to validate without applying (a server-side dry-run).
   */
  async alterTopicOverrides(
    changes: ReadonlyMap<string, Readonly<Record<string, string | null>>>,
    opts: { validateOnly?: boolean; signal?: AbortSignal } = {},
  ): Promise<Map<string, Overrides>> {
    const topics = [...changes.keys()];
    const before = await this.topicOverrides(topics, opts.signal);
    const desired = new Map<string, Record<string, string>>();
    for (const t of topics) {
      desired.set(t, mergeOverrides(`topic ${t}`, before.get(t)!, changes.get(t)!));
    }
    if (topics.length === 0) return before;
    const admin = await this.#connectedAdmin(opts.signal);
    const asked = [
      ...new Set(
        [...changes.values()].flatMap((c) => Object.entries(c).map(([k, v]) => `${k}=${v ?? "(default)"}`)),
      ),
    ];
    await this.#call(
      `${opts.validateOnly ? "validating" : "setting"} ${asked.slice(0, 5).join(", ")} on ${topics.length === 1 ? `topic ${topics[0]}` : `${topics.length} topics`}`,
      opts.signal,
      () =>
        admin.alterConfigs({
          validateOnly: opts.validateOnly ?? false,
          resources: topics.map((name) => ({
            type: TOPIC,
            name,
            configEntries: Object.entries(desired.get(name)!).map(([n, value]) => ({ name: n, value })),
          })),
        }),
    );
    if (opts.validateOnly) return before;
    // The brokers apply the controller's config records asynchronously: read back until they agree.
    let broken: string[] = [];
    for (let attempt = 0; attempt < 20; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 250));
      const after = await this.topicOverrides(topics, opts.signal);
      broken = [];
      for (const t of topics) {
        const diff = differingKeys(after.get(t)!.values, desired.get(t)!);
        if (diff.length > 0) broken.push(`${t}: ${diff.join(", ")}`);
      }
      if (broken.length === 0) break;
    }
    if (broken.length > 0) {
      throw new SwitchoverError(
        ErrorCode.VerifyFailed,
        `cluster ${this.name}: overrides after the write differ from the merged set (concurrent change?): ${broken.join("; ")}`,
        { retryable: true, details: { cluster: this.name, broken } },
      );
    }
    return before;
  }

  async brokerOverrides(nodeIds: readonly number[], signal?: AbortSignal): Promise<Map<number, Overrides>> {
    const out = new Map<number, Overrides>();
    const admin = await this.#connectedAdmin(signal);
    for (const id of nodeIds) {
      const res = await this.#call(`describing configs of broker ${id}`, signal, () =>
        admin.describeConfigs({ resources: [{ type: BROKER, name: String(id) }], includeSynonyms: false }),
      );
      out.set(id, overridesOf(res.resources[0]?.configEntries ?? [], CONFIG_SOURCE.dynamicBroker));
    }
    return out;
  }

  /** Same describe-merge-write as topics, for one broker's dynamic (per-broker) overrides. */
  async alterBrokerOverrides(
    nodeId: number,
    set: Readonly<Record<string, string | null>>,
    signal?: AbortSignal,
  ): Promise<void> {
    const current = (await this.brokerOverrides([nodeId], signal)).get(nodeId)!;
    const desired = mergeOverrides(`broker ${nodeId}`, current, set);
    if (differingKeys(current.values, desired).length === 0) return;
    const admin = await this.#connectedAdmin(signal);
    await this.#call(`altering configs of broker ${nodeId}`, signal, () =>
      admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: BROKER,
            name: String(nodeId),
            configEntries: Object.entries(desired).map(([name, value]) => ({ name, value })),
          },
        ],
      }),
    );
  }

  async offsets(topic: string, signal?: AbortSignal): Promise<PartitionOffsets[]> {
    const res = await this.#withAdmin(`reading offsets of ${topic}`, signal, (admin) =>
      admin.fetchTopicOffsets(topic),
    );
    return res
      .map((p) => ({ partition: p.partition, low: BigInt(p.low), high: BigInt(p.high) }))
      .sort((a, b) => a.partition - b.partition);
  }

  async describeGroups(groups: readonly string[], signal?: AbortSignal): Promise<GroupState[]> {
    if (groups.length === 0) return [];
    const admin = await this.#connectedAdmin(signal);
    const res = await this.#call(`describing ${groups.length} group(s)`, signal, () =>
      admin.describeGroups([...groups]),
    );
    return res.groups.map((g) => ({
      groupId: g.groupId,
      state: g.state,
      members: g.members.map((m) => ({
        memberId: m.memberId,
        clientId: m.clientId,
        clientHost: m.clientHost,
      })),
    }));
  }

  async listGroups(signal?: AbortSignal): Promise<string[]> {
    const admin = await this.#connectedAdmin(signal);
    const res = await this.#call("listing groups", signal, () => admin.listGroups());
    return res.groups.map((g) => g.groupId).sort();
  }

  /** Committed offsets of a group: topic → partition → offset (partitions without one omitted). */
  async groupOffsets(
    groupId: string,
    topics: readonly string[] | undefined,
    signal?: AbortSignal,
  ): Promise<Map<string, Map<number, bigint>>> {
    const res = await this.#withAdmin(`reading committed offsets of group ${groupId}`, signal, (admin) =>
      admin.fetchOffsets({ groupId, ...(topics ? { topics: [...topics] } : {}) }),
    );
    const out = new Map<string, Map<number, bigint>>();
    for (const t of res) {
      const parts = new Map<number, bigint>();
      for (const p of t.partitions) if (BigInt(p.offset) >= 0n) parts.set(p.partition, BigInt(p.offset));
      if (parts.size > 0) out.set(t.topic, parts);
    }
    return out;
  }

  async commitGroupOffsets(
    groupId: string,
    topic: string,
    partitions: { partition: number; offset: bigint }[],
    signal?: AbortSignal,
  ): Promise<void> {
    await this.#withAdmin(`committing offsets of group ${groupId} on ${topic}`, signal, (admin) =>
      admin.setOffsets({
        groupId,
        topic,
        partitions: partitions.map((p) => ({ partition: p.partition, offset: p.offset.toString() })),
      }),
    );
  }

  async reassign(
    moves: { topic: string; partition: number; replicas: number[] }[],
    signal?: AbortSignal,
  ): Promise<void> {
    if (moves.length === 0) return;
    const byTopic = new Map<string, { partition: number; replicas: number[] }[]>();
    for (const m of moves) {
      const list = byTopic.get(m.topic) ?? [];
      list.push({ partition: m.partition, replicas: m.replicas });
      byTopic.set(m.topic, list);
    }
    const admin = await this.#connectedAdmin(signal);
    await this.#call(`reassigning ${moves.length} partition(s)`, signal, () =>
      admin.alterPartitionReassignments({
        topics: [...byTopic].map(([topic, partitionAssignment]) => ({ topic, partitionAssignment })),
      }),
    );
  }

  /** Ongoing reassignments: "topic/partition" → {replicas, adding, removing}. */
  async ongoingReassignments(
    signal?: AbortSignal,
  ): Promise<Map<string, { replicas: number[]; adding: number[]; removing: number[] }>> {
    const admin = await this.#connectedAdmin(signal);
    const res = await this.#call("listing reassignments", signal, () => admin.listPartitionReassignments({}));
    const out = new Map<string, { replicas: number[]; adding: number[]; removing: number[] }>();
    for (const t of res.topics) {
      for (const p of t.partitions) {
        out.set(`${t.topic}/${p.partitionIndex}`, {
          replicas: p.replicas,
          adding: p.addingReplicas ?? [],
          removing: p.removingReplicas ?? [],
        });
      }
    }
    return out;
  }

  /** ElectLeaders over kafkajs's connection; ELECTION_NOT_NEEDED counts as success. */
  async electLeaders(
    type: ElectionType,
    partitions: { topic: string; partition: number }[],
    signal?: AbortSignal,
  ): Promise<(ElectionResult & { error: string })[]> {
    const byTopic = new Map<string, number[]>();
    for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
    const res = await this.#call(
      `electing ${type} leaders for ${partitions.length} partition(s)`,
      signal,
      () =>
        this.#channel.send(
          electLeadersRequest(
            type,
            [...byTopic].map(([topic, ps]) => ({ topic, partitions: ps })),
            this.config.requestTimeoutMs,
          ),
        ),
    );
    if (res.errorCode !== 0) {
      throw toKafkaError(this.name, `electing ${type} leaders`, {
        type: ELECTION_ERRORS[res.errorCode] ?? `ERROR_${res.errorCode}`,
        message: `ElectLeaders answered ${ELECTION_ERRORS[res.errorCode] ?? res.errorCode}`,
      });
    }
    return res.results.map((r) => ({ ...r, error: ELECTION_ERRORS[r.errorCode] ?? `ERROR_${r.errorCode}` }));
  }

  /** Records of one partition in [from, end), read without any consumer group. */
  async readPartition(
    topic: string,
    partition: number,
    from: bigint,
    end: bigint,
    signal?: AbortSignal,
  ): Promise<FetchedRecord[]> {
    const read = () =>
      this.#call(`reading ${topic}-${partition}`, signal, () =>
        this.#channel.readPartition(topic, partition, from, end, signal),
      );
    try {
      return await read();
    } catch (err) {
      // call() dropped the stale metadata: the channel reconnects with none.
      if (!(err instanceof SwitchoverError) || !STALE_METADATA.has(String(err.details?.kafkaError)))
        throw err;
      return read();
    }
  }

  async close(): Promise<void> {
    const admin = this.#admin;
    const producer = this.#producer;
    this.#admin = undefined;
    this.#producer = undefined;
    await Promise.allSettled([
      admin?.then((a) => a.disconnect()),
      producer?.then((p) => p.disconnect()),
      this.#channel.close(),
    ]);
  }
}
