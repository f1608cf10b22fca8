// The record types switchover repoints (A, AAAA, CNAME): validation of their values and their
// RDATA wire form, shared by the update builder and the authoritative query.
import { isIPv4, isIPv6 } from "node:net";
import { DnsError } from "./errors.js";
import { TYPE, encodeName, normalizeName } from "./wire.js";

export const RECORD_TYPES = ["A", "AAAA", "CNAME"] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

export function typeCode(type: RecordType): number {
  return TYPE[type];
}

function ipv6Bytes(address: string): Buffer {
  let text = address;
  const tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1]) {
    tail.push(...v4[1].split(".").map(Number));
    text = `${text.slice(0, -v4[1].length)}0:0`;
  }
  const [head, rest] = text.split("::") as [string, string | undefined];
  const left = head ? head.split(":") : [];
  const right = rest ? rest.split(":") : [];
  const groups =
    rest === undefined
      ? left
      : [...left, ...Array<string>(8 - left.length - right.length).fill("0"), ...right];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  if (tail.length === 4) Buffer.from(tail).copy(out, 12);
  return out;
}

/** Checks a value for its type and returns its normalized text (names lowercased, no trailing dot). */
export function normalizeValue(type: RecordType, value: string): string {
  const v = value.trim();
  switch (type) {
    case "A":
      if (!isIPv4(v))
        throw new DnsError("INVALID_INPUT", "input", `"${value}" is not an IPv4 address (A record)`, {
          value,
        });
      return v;
    case "AAAA": {
      const zoneless = v.toLowerCase();
      if (!isIPv6(zoneless) || zoneless.includes("%")) {
        throw new DnsError("INVALID_INPUT", "input", `"${value}" is not an IPv6 address (AAAA record)`, {
          value,
        });
      }
      return zoneless;
    }
    case "CNAME": {
      const name = normalizeName(v, "CNAME target");
      if (name === "")
        throw new DnsError("INVALID_INPUT", "input", "a CNAME cannot point at the root", { value });
      return name;
    }
    default: {
      const never: never = type;
      throw new DnsError("INVALID_INPUT", "input", `unsupported record type ${String(never)}`);
    }
  }
}

/** RDATA of one record (names uncompressed, as RFC 2136 updates carry them). */
export function encodeRdata(type: RecordType, value: string): Buffer {
  const v = normalizeValue(type, value);
  switch (type) {
    case "A":
      return Buffer.from(v.split(".").map(Number));
    case "AAAA":
      return ipv6Bytes(v);
    case "CNAME":
      return encodeName(v);
    default: {
      const never: never = type;
      throw new DnsError("INVALID_INPUT", "input", `unsupported record type ${String(never)}`);
    }
  }
}

/** Value equality on the wire form, so "2001:db8::1" equals "2001:0db8:0:0:0:0:0:1". */
export function sameValue(type: RecordType, a: string, b: string): boolean {
  return encodeRdata(type, a).equals(encodeRdata(type, b));
}
