// DescribeQuorum (API key 55) written by hand: kafkajs has no such request. Every version is
// "flexible" (compact strings, tagged fields), which kafkajs's framing does not know; the request
// header v2 differs from v1 only by a trailing empty tagged-field section, so the body starts with
// that byte, and the response header's tagged fields are skipped before decoding. v1 is used: it
// adds the voters' last fetch / caught-up timestamps and exists on every KRaft release (3.3+).
import type { QuorumDescription, QuorumReplica } from "../../kafka/cluster-state.js";
import type { KafkaEncoder, RawRequest } from "./protocol-channel.js";
import { WireReader } from "./wire-reader.js";

export const METADATA_TOPIC = "__cluster_metadata";

/** Pure decoder of a DescribeQuorum v1 response, starting right after the correlation id. */
export function decodeDescribeQuorumV1(payload: Buffer): QuorumDescription {
  const r = new WireReader(payload, "DescribeQuorum");
  r.taggedFields(); // response header v1
  const errorCode = r.i16();
  const replica = (): QuorumReplica => {
    const replicaId = r.i32();
    const logEndOffset = r.i64();
    const lastFetchTimestamp = Number(r.i64());
    const lastCaughtUpTimestamp = Number(r.i64());
    r.taggedFields();
    return { replicaId, logEndOffset, lastFetchTimestamp, lastCaughtUpTimestamp };
  };
  const partitions = r
    .compactArray(() => {
      const topic = r.compactString();
      const parts = r.compactArray(() => {
        const partitionIndex = r.i32();
        const partError = r.i16();
        const leaderId = r.i32();
        const leaderEpoch = r.i32();
        const highWatermark = r.i64();
        const voters = r.compactArray(replica);
        const observers = r.compactArray(replica);
        r.taggedFields();
        return {
          topic,
          partitionIndex,
          errorCode: partError,
          leaderId,
          leaderEpoch,
          highWatermark,
          voters,
          observers,
        };
      });
      r.taggedFields();
      return parts;
    })
    .flat();
  r.taggedFields();
  const p = partitions.find((x) => x.topic === METADATA_TOPIC && x.partitionIndex === 0);
  if (!p) {
    return {
      errorCode: errorCode || -1,
      leaderId: -1,
      leaderEpoch: -1,
      highWatermark: -1n,
      voters: [],
      observers: [],
    };
  }
  return {
    errorCode: errorCode || p.errorCode,
    leaderId: p.leaderId,
    leaderEpoch: p.leaderEpoch,
    highWatermark: p.highWatermark,
    voters: p.voters,
    observers: p.observers,
  };
}

/** The request body: an empty header tag section (request header v2), then __cluster_metadata-0. */
export function encodeDescribeQuorumV1Body(): Buffer {
  const name = Buffer.from(METADATA_TOPIC, "utf8");
  return Buffer.concat([
    Buffer.from([0x00]), // request header v2 tagged fields
    Buffer.from([0x02]), // topics: compact array of 1
    Buffer.from([name.length + 1]), // compact string length (< 127: one varint byte)
    name,
    Buffer.from([0x02]), // partitions: compact array of 1
    Buffer.from([0, 0, 0, 0]), // partition_index 0
    Buffer.from([0x00]), // partition tagged fields
    Buffer.from([0x00]), // topic tagged fields
    Buffer.from([0x00]), // request tagged fields
  ]);
}

type EncoderWithBuffer = KafkaEncoder & { writeBuffer(b: Buffer): KafkaEncoder };

export function describeQuorumRequest(): RawRequest<QuorumDescription> {
  return {
    apiKey: 55,
    apiVersion: 1,
    apiName: "DescribeQuorum",
    encode: (encoder: () => KafkaEncoder) =>
      (encoder() as EncoderWithBuffer).writeBuffer(encodeDescribeQuorumV1Body()),
    decode: decodeDescribeQuorumV1,
  };
}
