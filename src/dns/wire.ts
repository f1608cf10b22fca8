// DNS wire-format primitives (RFC 1035 §3–4) that dns-packet does not expose: class NONE (254) for
// RFC 2136, canonical lowercase names, and the byte offset of every RR, which TSIG needs to cut its RR off.
import { DnsError } from "./errors.js";

export const CLASS = { IN: 1, NONE: 254, ANY: 255 } as const;
export const TYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, AAAA: 28, TSIG: 250, ANY: 255 } as const;
export const OPCODE = { QUERY: 0, UPDATE: 5 } as const;
export const HEADER_LENGTH = 12;

const LABEL = /^(?:\*|[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)$/;

/**
 * Lowercases a domain name, drops the trailing dot and checks RFC 1035 limits (labels of 1–63
 * letters, digits, '-' or '_', or a leading '*'; 255 octets on the wire). Root is "".
 */
export function normalizeName(name: string, what = "name"): string {
  const trimmed = name.trim().toLowerCase().replace(/\.$/, "");
  if (trimmed === "") return "";
  const labels = trimmed.split(".");
  labels.forEach((label, i) => {
    if (!LABEL.test(label) || (label === "*" && i !== 0)) {
      throw new DnsError(
        "INVALID_INPUT",
        "input",
        `${what} "${name}" is not a valid domain name (label "${label}")`,
        {
          name,
        },
      );
    }
  });
  if (trimmed.length + 2 > 255) {
    throw new DnsError("INVALID_INPUT", "input", `${what} "${name}" is longer than 255 octets on the wire`, {
      name,
    });
  }
  return trimmed;
}

/** True when `name` equals `zone` or lies below it (both already normalized). */
export function isInZone(name: string, zone: string): boolean {
  return zone === "" || name === zone || name.endsWith(`.${zone}`);
}

/** Uncompressed wire form of a normalized name — the canonical form TSIG's MAC covers. */
export function encodeName(name: string): Buffer {
  const normalized = normalizeName(name);
  if (normalized === "") return Buffer.from([0]);
  const parts: Buffer[] = [];
  for (const label of normalized.split(".")) {
    const bytes = Buffer.from(label, "ascii");
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

function malformed(message: string): DnsError {
  return new DnsError("MALFORMED_RESPONSE", "transport", `malformed DNS message: ${message}`);
}

function need(buf: Buffer, offset: number, length: number): void {
  if (offset + length > buf.length) throw malformed(`truncated at byte ${offset}`);
}

/** Reads a possibly compressed name; `end` is the offset after the name at its original position. */
export function readName(buf: Buffer, offset: number): { name: string; end: number } {
  const labels: string[] = [];
  let pos = offset;
  let end = -1;
  let jumps = 0;
  for (;;) {
    need(buf, pos, 1);
    const len = buf[pos]!;
    if (len === 0) {
      if (end < 0) end = pos + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      need(buf, pos, 2);
      if (end < 0) end = pos + 2;
      if (++jumps > 64) throw malformed("compression loop");
      pos = buf.readUInt16BE(pos) & 0x3fff;
      continue;
    }
    if ((len & 0xc0) !== 0) throw malformed(`unsupported label type 0x${len.toString(16)}`);
    need(buf, pos + 1, len);
    labels.push(buf.toString("latin1", pos + 1, pos + 1 + len).toLowerCase());
    pos += 1 + len;
  }
  return { name: labels.join("."), end };
}

export interface Header {
  id: number;
  flags: number;
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rcode: number;
  qdcount: number;
  ancount: number;
  nscount: number;
  arcount: number;
}

export function readHeader(buf: Buffer): Header {
  need(buf, 0, HEADER_LENGTH);
  const flags = buf.readUInt16BE(2);
  return {
    id: buf.readUInt16BE(0),
    flags,
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rcode: flags & 0xf,
    qdcount: buf.readUInt16BE(4),
    ancount: buf.readUInt16BE(6),
    nscount: buf.readUInt16BE(8),
    arcount: buf.readUInt16BE(10),
  };
}

export interface RawRecord {
  section: "answer" | "authority" | "additional";
  name: string;
  type: number;
  class: number;
  ttl: number;
  /** Offset of the RR's first byte (its owner name). */
  start: number;
  rdataStart: number;
  rdata: Buffer;
}

export interface ParsedMessage {
  header: Header;
  questions: { name: string; type: number; class: number }[];
  records: RawRecord[];
  /** Total length the sections account for (trailing garbage is rejected). */
  length: number;
}

/** Walks every section of a message, keeping offsets; rdata is left raw. */
export function parseMessage(buf: Buffer): ParsedMessage {
  const header = readHeader(buf);
  let pos = HEADER_LENGTH;
  const questions: ParsedMessage["questions"] = [];
  for (let i = 0; i < header.qdcount; i++) {
    const { name, end } = readName(buf, pos);
    need(buf, end, 4);
    questions.push({ name, type: buf.readUInt16BE(end), class: buf.readUInt16BE(end + 2) });
    pos = end + 4;
  }
  const records: RawRecord[] = [];
  const sections: [RawRecord["section"], number][] = [
    ["answer", header.ancount],
    ["authority", header.nscount],
    ["additional", header.arcount],
  ];
  for (const [section, count] of sections) {
    for (let i = 0; i < count; i++) {
      const start = pos;
      const { name, end } = readName(buf, pos);
      need(buf, end, 10);
      const rdlength = buf.readUInt16BE(end + 8);
      const rdataStart = end + 10;
      need(buf, rdataStart, rdlength);
      records.push({
        section,
        name,
        type: buf.readUInt16BE(end),
        class: buf.readUInt16BE(end + 2),
        ttl: buf.readUInt32BE(end + 4),
        start,
        rdataStart,
        rdata: buf.subarray(rdataStart, rdataStart + rdlength),
      });
      pos = rdataStart + rdlength;
    }
  }
  if (pos !== buf.length) throw malformed(`${buf.length - pos} bytes after the last record`);
  return { header, questions, records, length: pos };
}

export interface RecordFields {
  name: string;
  type: number;
  class: number;
  ttl: number;
  rdata: Buffer;
}

/** One RR, owner name uncompressed. */
export function encodeRecord(rr: RecordFields): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(rr.type, 0);
  fixed.writeUInt16BE(rr.class, 2);
  fixed.writeUInt32BE(rr.ttl, 4);
  fixed.writeUInt16BE(rr.rdata.length, 8);
  return Buffer.concat([encodeName(rr.name), fixed, rr.rdata]);
}

export function encodeHeader(h: {
  id: number;
  flags: number;
  qdcount: number;
  ancount: number;
  nscount: number;
  arcount: number;
}): Buffer {
  const buf = Buffer.alloc(HEADER_LENGTH);
  buf.writeUInt16BE(h.id, 0);
  buf.writeUInt16BE(h.flags, 2);
  buf.writeUInt16BE(h.qdcount, 4);
  buf.writeUInt16BE(h.ancount, 6);
  buf.writeUInt16BE(h.nscount, 8);
  buf.writeUInt16BE(h.arcount, 10);
  return buf;
}
