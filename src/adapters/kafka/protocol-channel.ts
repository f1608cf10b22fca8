// Raw access to kafkajs's own broker connections (same SASL/TLS, timeouts and retries as the admin
// client), for what its public API lacks: broker racks, groupless fetches and requests of our own.
// We use kafkajs internals rather than a second client so one cluster has one set of connections and
// one security setup; the internals used are few and pinned by the exact kafkajs version (2.2.4).
import type { Kafka } from "kafkajs";
import type { BrokerInfo } from "../../kafka/cluster-state.js";

/** Minimal shape of kafkajs's internal Encoder (kafkajs/src/protocol/encoder.js). */
export interface KafkaEncoder {
  writeInt8(v: number): KafkaEncoder;
  writeInt16(v: number): KafkaEncoder;
  writeInt32(v: number): KafkaEncoder;
  writeString(v: string | null): KafkaEncoder;
  writeArray(v: KafkaEncoder[] | number[] | null): KafkaEncoder;
  writeNullableArray(v: KafkaEncoder[] | number[] | null): KafkaEncoder;
  writeEncoder(v: KafkaEncoder): KafkaEncoder;
}

/** A request in kafkajs's own protocol shape: the connection frames, sends and correlates it. */
export interface RawRequest<T> {
  apiKey: number;
  apiVersion: number;
  apiName: string;
  /** Builds the body; `encoder()` makes a fresh kafkajs Encoder (nested structs need their own). */
  encode(encoder: () => KafkaEncoder): KafkaEncoder;
  decode(payload: Buffer): T;
}

export type { BrokerInfo } from "../../kafka/cluster-state.js";

export interface FetchedRecord {
  offset: bigint;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
}

interface InternalBroker {
  versions?: Record<string, { minVersion: number; maxVersion: number }>;
  connectionPool: { send(req: unknown): Promise<unknown> };
  fetch(req: unknown): Promise<{
    responses: {
      topicName: string;
      partitions: {
        partition: number;
        errorCode: number;
        highWatermark: string;
        messages: { offset: string; timestamp: string; key: Buffer | null; value: Buffer | null }[];
      }[];
    }[];
  }>;
}

interface InternalCluster {
  connect(): Promise<void>;
  metadata(opts: { topics: string[] }): Promise<{
    topicMetadata: {
      topic: string;
      partitionMetadata: {
        partitionId: number;
        leader: number;
        replicas: number[];
        isr: number[];
        offlineReplicas?: number[];
      }[];
    }[];
  }>;
  disconnect(): Promise<void>;
  refreshMetadata(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  findBroker(q: { nodeId: number }): Promise<InternalBroker>;
  findControllerBroker(): Promise<InternalBroker>;
  findTopicPartitionMetadata(topic: string): { partitionId: number; leader: number }[];
  brokerPool: { metadata: { brokers: BrokerInfo[] } | null };
}

/** kafkajs's own Encoder, loaded by a computed specifier (the file ships no type declarations). */
const ENCODER_MODULE: string = "kafkajs/src/protocol/encoder.js";
async function loadEncoder(): Promise<new () => KafkaEncoder> {
  const mod = (await import(ENCODER_MODULE)) as { default: new () => KafkaEncoder };
  return mod.default;
}

export class ProtocolChannel {
  #cluster: InternalCluster | undefined;
  #connecting: Promise<InternalCluster> | undefined;

  constructor(private readonly kafka: Kafka) {}

  async #get(): Promise<InternalCluster> {
    if (this.#cluster) return this.#cluster;
    this.#connecting ??= (async () => {
      const sym = Object.getOwnPropertySymbols(this.kafka).find(
        (s) => s.description === "private:Kafka:createCluster",
      );
      if (!sym) throw new Error("kafkajs internals changed: no createCluster on the client");
      const create = (this.kafka as unknown as Record<symbol, (o: object) => InternalCluster>)[sym]!;
      const cluster = create({ allowAutoTopicCreation: false, metadataMaxAge: 5_000 });
      await cluster.connect();
      this.#cluster = cluster;
      return cluster;
    })();
    try {
      return await this.#connecting;
    } catch (err) {
      this.#connecting = undefined;
      throw err;
    }
  }

  /** Live brokers with their racks (Metadata v1+ carries broker.rack; fenced brokers are absent). */
  async brokers(): Promise<BrokerInfo[]> {
    const cluster = await this.#get();
    await cluster.refreshMetadata();
    const brokers = cluster.brokerPool.metadata?.brokers ?? [];
    return brokers
      .map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack ?? null }))
      .sort((a, b) => a.nodeId - b.nodeId);
  }

  /**
   * Every topic with its partitions in one Metadata request (an empty list asks for all topics):
   * what kafkajs's listTopics reads and drops, without growing its client's set of target topics.
   */
  async allTopicMetadata(): Promise<
    {
      topic: string;
      partitions: {
        partition: number;
        leader: number;
        replicas: number[];
        isr: number[];
        offline: number[];
      }[];
    }[]
  > {
    const cluster = await this.#get();
    const { topicMetadata } = await cluster.metadata({ topics: [] });
    return topicMetadata.map((t) => ({
      topic: t.topic,
      partitions: t.partitionMetadata
        .map((p) => ({
          partition: p.partitionId,
          leader: p.leader,
          replicas: [...p.replicas],
          isr: [...p.isr],
          offline: [...(p.offlineReplicas ?? [])],
        }))
        .sort((a, b) => a.partition - b.partition),
    }));
  }

  /** Sends a request of our own to the controller-facing broker and decodes its response. */
  async send<T>(req: RawRequest<T>): Promise<T> {
    const cluster = await this.#get();
    const broker = await cluster.findControllerBroker();
    const supported = broker.versions?.[String(req.apiKey)];
    if (supported && (req.apiVersion < supported.minVersion || req.apiVersion > supported.maxVersion)) {
      throw new Error(
        `broker does not support ${req.apiName} v${req.apiVersion} (supports v${supported.minVersion}–v${supported.maxVersion})`,
      );
    }
    const Encoder = await loadEncoder();
    return (await broker.connectionPool.send({
      request: {
        apiKey: req.apiKey,
        apiVersion: req.apiVersion,
        apiName: req.apiName,
        encode: async () => req.encode(() => new Encoder()),
      },
      response: { decode: async (payload: Buffer) => req.decode(payload), parse: async (d: T) => d },
    })) as T;
  }

  /**
   * Reads one partition from `from` up to `end` (exclusive) straight from its leader with Fetch:
   * no consumer group is created, so nothing is left behind on the cluster.
   */
  async readPartition(
    topic: string,
    partition: number,
    from: bigint,
    end: bigint,
    signal?: AbortSignal,
  ): Promise<FetchedRecord[]> {
    const cluster = await this.#get();
    await cluster.addTargetTopic(topic);
    const out: FetchedRecord[] = [];
    let offset = from;
    let emptyFetches = 0;
    while (offset < end) {
      signal?.throwIfAborted();
      const meta = cluster.findTopicPartitionMetadata(topic).find((p) => p.partitionId === partition);
      if (!meta || meta.leader < 0) throw new Error(`partition ${topic}-${partition} has no leader`);
      const broker = await cluster.findBroker({ nodeId: meta.leader });
      const res = await broker.fetch({
        replicaId: -1,
        isolationLevel: 0,
        maxWaitTime: 200,
        minBytes: 1,
        maxBytes: 16 * 1024 * 1024,
        topics: [
          { topic, partitions: [{ partition, fetchOffset: offset.toString(), maxBytes: 8 * 1024 * 1024 }] },
        ],
      });
      const p = res.responses[0]?.partitions[0];
      if (!p) throw new Error(`empty fetch response for ${topic}-${partition}`);
      if (p.errorCode !== 0)
        throw new Error(`fetch ${topic}-${partition} failed with error code ${p.errorCode}`);
      let next = offset;
      for (const m of p.messages) {
        const o = BigInt(m.offset);
        if (o < offset || o >= end) continue;
        out.push({ offset: o, timestamp: Number(m.timestamp), key: m.key, value: m.value });
        next = o + 1n;
      }
      if (next === offset) {
        // Compaction or transaction markers can leave gaps; the high watermark bounds the read.
        if (BigInt(p.highWatermark) <= offset || ++emptyFetches > 50) break;
        if (p.messages.length > 0) next = BigInt(p.messages.at(-1)!.offset) + 1n;
        else continue;
      }
      offset = next;
    }
    return out;
  }

  async close(): Promise<void> {
    const cluster = this.#cluster;
    this.#cluster = undefined;
    this.#connecting = undefined;
    await cluster?.disconnect().catch(() => undefined);
  }
}
