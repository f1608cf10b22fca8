// ElectLeaders (API key 43, v1) written by hand because kafkajs has no such request and
// @platformatic/kafka's admin has none either. v1 is the first with election_type and is not a
// "flexible" version, so kafkajs's framing (request header v1) carries it unchanged.
import type { KafkaEncoder, RawRequest } from "./protocol-channel.js";
import { WireReader } from "./wire-reader.js";

export type ElectionType = "preferred" | "unclean";

export interface ElectionResult {
  topic: string;
  partition: number;
  errorCode: number;
  errorMessage: string | null;
}

export interface ElectLeadersResponse {
  errorCode: number;
  results: ElectionResult[];
}

/** Broker error codes an election answers with, by name (Kafka's Errors enum). */
export const ELECTION_ERRORS: Record<number, string> = {
  0: "NONE",
  3: "UNKNOWN_TOPIC_OR_PARTITION",
  7: "REQUEST_TIMED_OUT",
  29: "CLUSTER_AUTHORIZATION_FAILED",
  41: "NOT_CONTROLLER",
  42: "INVALID_REQUEST",
  80: "PREFERRED_LEADER_NOT_AVAILABLE",
  83: "ELIGIBLE_LEADERS_NOT_AVAILABLE",
  84: "ELECTION_NOT_NEEDED",
};

/** Pure decoder of an ElectLeaders v1 response body (after the correlation id). */
export function decodeElectLeadersV1(payload: Buffer): ElectLeadersResponse {
  const r = new WireReader(payload, "ElectLeaders");
  r.i32(); // throttle_time_ms
  const errorCode = r.i16();
  const results = r
    .array(() => {
      const topic = r.str() ?? "";
      return r.array(() => {
        const partition = r.i32();
        const code = r.i16();
        return { topic, partition, errorCode: code, errorMessage: r.str() };
      });
    })
    .flat();
  return { errorCode, results };
}

export function electLeadersRequest(
  type: ElectionType,
  partitions: { topic: string; partitions: number[] }[],
  timeoutMs: number,
): RawRequest<ElectLeadersResponse> {
  return {
    apiKey: 43,
    apiVersion: 1,
    apiName: "ElectLeaders",
    encode: (encoder: () => KafkaEncoder) =>
      encoder()
        .writeInt8(type === "preferred" ? 0 : 1)
        .writeArray(partitions.map((t) => encoder().writeString(t.topic).writeArray(t.partitions)))
        .writeInt32(timeoutMs),
    decode: decodeElectLeadersV1,
  };
}
