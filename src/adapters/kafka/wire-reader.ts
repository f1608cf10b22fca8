// Reader of Kafka's wire format for the requests switchover frames by hand (kafkajs has no
// ElectLeaders or DescribeQuorum): big-endian integers, classic (int16/int32-length) strings and
// arrays, and the "flexible" versions' unsigned varints, compact strings/arrays and tagged fields.
export class WireReader {
  #o = 0;
  constructor(
    private readonly b: Buffer,
    /** Names the response in errors (e.g. "DescribeQuorum"). */
    private readonly what = "response",
  ) {}

  i16(): number {
    const v = this.b.readInt16BE(this.#o);
    this.#o += 2;
    return v;
  }
  i32(): number {
    const v = this.b.readInt32BE(this.#o);
    this.#o += 4;
    return v;
  }
  i64(): bigint {
    const v = this.b.readBigInt64BE(this.#o);
    this.#o += 8;
    return v;
  }
  /** int16-length string; null for length -1. */
  str(): string | null {
    const n = this.i16();
    if (n < 0) return null;
    const v = this.b.toString("utf8", this.#o, this.#o + n);
    this.#o += n;
    return v;
  }
  /** int32-count array. */
  array<T>(item: () => T): T[] {
    const n = this.i32();
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(item());
    return out;
  }
  uvarint(): number {
    let value = 0;
    let shift = 0;
    for (;;) {
      const byte = this.b.readUInt8(this.#o++);
      value |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return value >>> 0;
      shift += 7;
      if (shift > 28) throw new Error(`${this.what}: varint too long`);
    }
  }
  /** Length + 1 as an unsigned varint; null for 0. */
  compactString(): string | null {
    const n = this.uvarint();
    if (n === 0) return null;
    const v = this.b.toString("utf8", this.#o, this.#o + n - 1);
    this.#o += n - 1;
    return v;
  }
  /** Count + 1 as an unsigned varint. */
  compactArray<T>(item: () => T): T[] {
    const n = this.uvarint();
    const out: T[] = [];
    for (let i = 0; i < n - 1; i++) out.push(item());
    return out;
  }
  /** Skips a tagged-field section: count, then (tag, size, bytes) per field. */
  taggedFields(): void {
    const count = this.uvarint();
    for (let i = 0; i < count; i++) {
      this.uvarint(); // tag
      // Read the size first: `this.#o += this.uvarint()` would add it to the offset from before it.
      const size = this.uvarint();
      this.#o += size;
    }
  }
}
