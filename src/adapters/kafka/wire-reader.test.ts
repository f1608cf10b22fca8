// The hand-framed responses, decoded from bytes laid out as Kafka's protocol spec gives them.
import { describe, expect, it } from "vitest";
import { decodeDescribeQuorumV1 } from "./describe-quorum-request.js";
import { decodeElectLeadersV1 } from "./elect-leaders-request.js";
import { WireReader } from "./wire-reader.js";

const i16 = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
const i32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const i64 = (n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(n);
  return b;
};
const str = (s: string | null) =>
  s === null ? i16(-1) : Buffer.concat([i16(Buffer.byteLength(s)), Buffer.from(s)]);
const compactStr = (s: string) => Buffer.concat([Buffer.from([Buffer.byteLength(s) + 1]), Buffer.from(s)]);
const TAGS = Buffer.from([0]);

describe("WireReader", () => {
  it("reads varints across bytes, compact and classic forms, and skips tagged fields", () => {
    const r = new WireReader(
      Buffer.concat([
        Buffer.from([0xac, 0x02]), // 300
        Buffer.from([0x00]), // null compact string
        Buffer.from([0x01, 0x05, 0x02, 0xaa, 0xbb]), // one tagged field (tag 5, 2 bytes)
        str(null),
        i32(2),
        i16(7),
        i16(-3),
      ]),
    );
    expect(r.uvarint()).toBe(300);
    expect(r.compactString()).toBeNull();
    r.taggedFields();
    expect(r.str()).toBeNull();
    expect(r.array(() => r.i16())).toEqual([7, -3]);
  });

  it("refuses a varint longer than five bytes, naming the response", () => {
    const r = new WireReader(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), "DescribeQuorum");
    expect(() => r.uvarint()).toThrow("DescribeQuorum: varint too long");
  });
});

describe("decodeElectLeadersV1", () => {
  it("flattens per-topic results with their error codes and messages", () => {
    const body = Buffer.concat([
      i32(0), // throttle
      i16(0),
      i32(1),
      str("orders"),
      i32(2),
      ...[i32(0), i16(0), str(null)],
      ...[i32(1), i16(84), str("election not needed")],
    ]);
    expect(decodeElectLeadersV1(body)).toEqual({
      errorCode: 0,
      results: [
        { topic: "orders", partition: 0, errorCode: 0, errorMessage: null },
        { topic: "orders", partition: 1, errorCode: 84, errorMessage: "election not needed" },
      ],
    });
  });
});

describe("decodeDescribeQuorumV1", () => {
  const replica = (id: number, leo: bigint, fetch: bigint, caughtUp: bigint) =>
    Buffer.concat([i32(id), i64(leo), i64(fetch), i64(caughtUp), TAGS]);

  it("decodes __cluster_metadata-0: leader, epoch, high watermark, voters and observers", () => {
    const body = Buffer.concat([
      TAGS, // response header
      i16(0),
      Buffer.from([2]), // one topic
      compactStr("__cluster_metadata"),
      Buffer.from([2]), // one partition
      i32(0),
      i16(0),
      i32(3), // leader
      i32(7), // epoch
      i64(1234n),
      Buffer.from([3]), // two voters
      replica(1, 1234n, 1_700_000_000_000n, 1_700_000_000_000n),
      replica(3, 1200n, -1n, -1n),
      Buffer.from([2]), // one observer
      replica(2, 1234n, 5n, 6n),
      TAGS,
      TAGS,
      TAGS,
    ]);
    expect(decodeDescribeQuorumV1(body)).toEqual({
      errorCode: 0,
      leaderId: 3,
      leaderEpoch: 7,
      highWatermark: 1234n,
      voters: [
        {
          replicaId: 1,
          logEndOffset: 1234n,
          lastFetchTimestamp: 1_700_000_000_000,
          lastCaughtUpTimestamp: 1_700_000_000_000,
        },
        { replicaId: 3, logEndOffset: 1200n, lastFetchTimestamp: -1, lastCaughtUpTimestamp: -1 },
      ],
      observers: [{ replicaId: 2, logEndOffset: 1234n, lastFetchTimestamp: 5, lastCaughtUpTimestamp: 6 }],
    });
  });

  it("answers an error when the metadata partition is missing", () => {
    const body = Buffer.concat([TAGS, i16(0), Buffer.from([1]), TAGS]);
    expect(decodeDescribeQuorumV1(body)).toMatchObject({ errorCode: -1, leaderId: -1, voters: [] });
  });
});
