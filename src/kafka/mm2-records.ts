// Decoders for MirrorMaker 2's internal records (Kafka protocol Structs: big-endian integers,
// STRING = int16 length + UTF-8). Checkpoints and heartbeats carry a version header; offset syncs do not.
import { ErrorCode, SwitchoverError } from "../engine/errors.js";

export interface Checkpoint {
  group: string;
  /** Target-side topic name (after the replication policy renamed it). */
  topic: string;
  partition: number;
  upstreamOffset: bigint;
  downstreamOffset: bigint;
  metadata: string;
}

export interface OffsetSync {
  topic: string;
  partition: number;
  upstreamOffset: bigint;
  downstreamOffset: bigint;
}

export interface Heartbeat {
  sourceClusterAlias: string;
  targetClusterAlias: string;
  timestamp: Date;
}

/** A record MirrorMaker 2 wrote that cannot be decoded: the upstream system answered with garbage. */
export class Mm2RecordError extends SwitchoverError {
  constructor(message: string) {
    super(ErrorCode.Upstream, message);
    this.name = "Mm2RecordError";
  }
}

/** Sequential reader over a Struct buffer that fails precisely on truncation. */
class StructReader {
  #offset = 0;
  constructor(
    private readonly buf: Buffer,
    private readonly what: string,
  ) {}
  #need(n: number): void {
    if (this.#offset + n > this.buf.length) {
      throw new Mm2RecordError(
        `${this.what}: truncated at byte ${this.#offset} (needs ${n} more, has ${this.buf.length - this.#offset})`,
      );
    }
  }
  int16(): number {
    this.#need(2);
    const v = this.buf.readInt16BE(this.#offset);
    this.#offset += 2;
    return v;
  }
  int32(): number {
    this.#need(4);
    const v = this.buf.readInt32BE(this.#offset);
    this.#offset += 4;
    return v;
  }
  int64(): bigint {
    this.#need(8);
    const v = this.buf.readBigInt64BE(this.#offset);
    this.#offset += 8;
    return v;
  }
  string(): string {
    const len = this.int16();
    if (len < 0) throw new Mm2RecordError(`${this.what}: negative string length ${len}`);
    this.#need(len);
    const v = this.buf.toString("utf8", this.#offset, this.#offset + len);
    this.#offset += len;
    return v;
  }
  version(expected: number): void {
    const v = this.int16();
    if (v !== expected)
      throw new Mm2RecordError(`${this.what}: unsupported version ${v} (expected ${expected})`);
  }
}

function bytes(b: Buffer | null, what: string): Buffer {
  if (!b) throw new Mm2RecordError(`${what}: missing (tombstone or null)`);
  return b;
}

export function decodeCheckpoint(key: Buffer | null, value: Buffer | null): Checkpoint {
  const k = new StructReader(bytes(key, "checkpoint key"), "checkpoint key");
  const group = k.string();
  const topic = k.string();
  const partition = k.int32();
  const v = new StructReader(bytes(value, "checkpoint value"), "checkpoint value");
  v.version(0);
  const upstreamOffset = v.int64();
  const downstreamOffset = v.int64();
  const metadata = v.string();
  return { group, topic, partition, upstreamOffset, downstreamOffset, metadata };
}

export function decodeOffsetSync(key: Buffer | null, value: Buffer | null): OffsetSync {
  const k = new StructReader(bytes(key, "offset-sync key"), "offset-sync key");
  const topic = k.string();
  const partition = k.int32();
  const v = new StructReader(bytes(value, "offset-sync value"), "offset-sync value");
  return { topic, partition, upstreamOffset: v.int64(), downstreamOffset: v.int64() };
}

export function decodeHeartbeat(key: Buffer | null, value: Buffer | null): Heartbeat {
  const k = new StructReader(bytes(key, "heartbeat key"), "heartbeat key");
  const sourceClusterAlias = k.string();
  const targetClusterAlias = k.string();
  const v = new StructReader(bytes(value, "heartbeat value"), "heartbeat value");
  v.version(0);
  return { sourceClusterAlias, targetClusterAlias, timestamp: new Date(Number(v.int64())) };
}

/** Name of the checkpoints topic on the target for a source alias (MM2's ReplicationPolicy default). */
export function checkpointsTopic(sourceAlias: string): string {
  return `${sourceAlias}.checkpoints.internal`;
}
