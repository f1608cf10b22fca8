import { describe, expect, it } from "vitest";
import { decodeCheckpoint, decodeHeartbeat, decodeOffsetSync, Mm2RecordError } from "./mm2-records.js";

function str(s: string): Buffer {
  const b = Buffer.from(s, "utf8");
  const len = Buffer.alloc(2);
  len.writeInt16BE(b.length);
  return Buffer.concat([len, b]);
}
function i16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
}
function i32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}
function i64(n: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(n);
  return b;
}

describe("MM2 record decoding", () => {
  it("decodes a checkpoint key and value", () => {
    const key = Buffer.concat([str("orders-app"), str("dc1.orders"), i32(2)]);
    const value = Buffer.concat([i16(0), i64(1234n), i64(1200n), str("")]);
    expect(decodeCheckpoint(key, value)).toEqual({
      group: "orders-app",
      topic: "dc1.orders",
      partition: 2,
      upstreamOffset: 1234n,
      downstreamOffset: 1200n,
      metadata: "",
    });
  });

  it("decodes offsets beyond 2^53 exactly", () => {
    const key = Buffer.concat([str("g"), str("t"), i32(0)]);
    const value = Buffer.concat([i16(0), i64(9007199254740993n), i64(9007199254740995n), str("m")]);
    expect(decodeCheckpoint(key, value).downstreamOffset).toBe(9007199254740995n);
  });

  it("decodes an offset sync (no version header)", () => {
    const key = Buffer.concat([str("orders"), i32(1)]);
    expect(decodeOffsetSync(key, Buffer.concat([i64(10n), i64(7n)]))).toEqual({
      topic: "orders",
      partition: 1,
      upstreamOffset: 10n,
      downstreamOffset: 7n,
    });
  });

  it("decodes a heartbeat", () => {
    const hb = decodeHeartbeat(
      Buffer.concat([str("dc1"), str("dc2")]),
      Buffer.concat([i16(0), i64(1_700_000_000_000n)]),
    );
    expect(hb).toEqual({
      sourceClusterAlias: "dc1",
      targetClusterAlias: "dc2",
      timestamp: new Date(1_700_000_000_000),
    });
  });

  it("rejects truncated, unversioned and tombstone records precisely", () => {
    const key = Buffer.concat([str("g"), str("t"), i32(0)]);
    expect(() => decodeCheckpoint(key, Buffer.concat([i16(0), i64(1n)]))).toThrow(
      new Mm2RecordError("checkpoint value: truncated at byte 10 (needs 8 more, has 0)"),
    );
    expect(() => decodeCheckpoint(key, Buffer.concat([i16(1), i64(1n), i64(1n), str("")]))).toThrow(
      "checkpoint value: unsupported version 1 (expected 0)",
    );
    expect(() => decodeCheckpoint(key, null)).toThrow("checkpoint value: missing (tombstone or null)");
    expect(() => decodeCheckpoint(Buffer.from([0, 9, 65]), Buffer.alloc(0))).toThrow(
      "checkpoint key: truncated",
    );
  });
});
