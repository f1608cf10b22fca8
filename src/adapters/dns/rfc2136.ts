// RFC 2136 dynamic UPDATE: builds the message (zone, prerequisites, updates) by hand — dns-packet
// cannot encode class NONE (254) or empty-RDATA deletes — signs it with TSIG and checks the answer.
import { randomInt } from "node:crypto";
import { DnsError, RCODE, rcodeError } from "../../dns/errors.js";
import type { ErrorContext } from "../../dns/errors.js";
import { encodeRdata, normalizeValue, typeCode } from "../../dns/record-data.js";
import type { RecordType } from "../../dns/record-data.js";
import { exchange } from "./transport.js";
import type { DnsTransport } from "./transport.js";
import { signMessage, verifyMessage } from "./tsig.js";
import type { TsigKey } from "./tsig.js";
import {
  CLASS,
  OPCODE,
  TYPE,
  encodeHeader,
  encodeName,
  encodeRecord,
  isInZone,
  normalizeName,
  readHeader,
} from "../../dns/wire.js";
import type { RecordFields } from "../../dns/wire.js";

/** RFC 2136 §2.4: conditions the server checks atomically before applying any update. */
export type Prerequisite =
  /** §2.4.2 the RRset exists with exactly these values (value-dependent). */
  | { kind: "rrset-equals"; name: string; type: RecordType; values: string[] }
  /** §2.4.1 an RRset of this type exists, whatever its values. */
  | { kind: "rrset-exists"; name: string; type: RecordType }
  /** §2.4.3 no RRset of this type exists. */
  | { kind: "rrset-absent"; name: string; type: RecordType }
  /** §2.4.4 the name owns at least one RR. */
  | { kind: "name-in-use"; name: string }
  /** §2.4.5 the name owns no RR. */
  | { kind: "name-not-in-use"; name: string };

/** RFC 2136 §2.5: changes, applied in order and all-or-nothing. */
export type UpdateOperation =
  | { kind: "add"; name: string; type: RecordType; ttl: number; value: string }
  | { kind: "delete-rrset"; name: string; type: RecordType }
  | { kind: "delete-rr"; name: string; type: RecordType; value: string }
  | { kind: "delete-name"; name: string };

export interface UpdateRequest {
  prerequisites?: Prerequisite[];
  updates: UpdateOperation[];
}

const MAX_TTL = 2_147_483_647;

function inZone(name: string, zone: string): string {
  const n = normalizeName(name, "record name");
  if (!isInZone(n, zone)) {
    throw new DnsError("OUTSIDE_ZONE", "input", `${name} is outside zone ${zone}`, { name, zone });
  }
  return n;
}

function empty(name: string, type: number, klass: number): RecordFields {
  return { name, type, class: klass, ttl: 0, rdata: Buffer.alloc(0) };
}

function prerequisiteRecords(p: Prerequisite, zone: string): RecordFields[] {
  const name = inZone(p.name, zone);
  switch (p.kind) {
    case "rrset-equals":
      if (p.values.length === 0) {
        throw new DnsError("INVALID_INPUT", "input", `prerequisite on ${p.name} ${p.type} lists no values`, {
          name: p.name,
        });
      }
      return p.values.map((v) => ({
        name,
        type: typeCode(p.type),
        class: CLASS.IN,
        ttl: 0,
        rdata: encodeRdata(p.type, v),
      }));
    case "rrset-exists":
      return [empty(name, typeCode(p.type), CLASS.ANY)];
    case "rrset-absent":
      return [empty(name, typeCode(p.type), CLASS.NONE)];
    case "name-in-use":
      return [empty(name, TYPE.ANY, CLASS.ANY)];
    case "name-not-in-use":
      return [empty(name, TYPE.ANY, CLASS.NONE)];
    default: {
      const never: never = p;
      throw new DnsError("INVALID_INPUT", "input", `unknown prerequisite ${JSON.stringify(never)}`);
    }
  }
}

function updateRecord(u: UpdateOperation, zone: string): RecordFields {
  const name = inZone(u.name, zone);
  switch (u.kind) {
    case "add":
      if (!Number.isInteger(u.ttl) || u.ttl < 0 || u.ttl > MAX_TTL) {
        throw new DnsError(
          "INVALID_INPUT",
          "input",
          `TTL ${u.ttl} for ${u.name} is not an integer in 0..${MAX_TTL}`,
          {
            name: u.name,
          },
        );
      }
      return {
        name,
        type: typeCode(u.type),
        class: CLASS.IN,
        ttl: u.ttl,
        rdata: encodeRdata(u.type, u.value),
      };
    case "delete-rrset":
      return empty(name, typeCode(u.type), CLASS.ANY);
    case "delete-rr":
      return { name, type: typeCode(u.type), class: CLASS.NONE, ttl: 0, rdata: encodeRdata(u.type, u.value) };
    case "delete-name":
      if (name === zone) {
        throw new DnsError(
          "INVALID_INPUT",
          "input",
          `refusing to delete every record at the zone apex ${zone}`,
          { zone },
        );
      }
      return empty(name, TYPE.ANY, CLASS.ANY);
    default: {
      const never: never = u;
      throw new DnsError("INVALID_INPUT", "input", `unknown update ${JSON.stringify(never)}`);
    }
  }
}

/** The unsigned UPDATE message; validates every name and value first, so nothing invalid is sent. */
export function buildUpdateMessage(zone: string, request: UpdateRequest, id: number): Buffer {
  const z = normalizeName(zone, "zone");
  if (z === "") throw new DnsError("INVALID_INPUT", "input", "the zone cannot be the root", { zone });
  // A prerequisite-only UPDATE is legal (RFC 2136 §3.2–3.4): it proves the key may update the
  // zone and changes nothing — what pre-flight evaluation sends.
  if (request.updates.length === 0 && (request.prerequisites ?? []).length === 0)
    throw new DnsError("INVALID_INPUT", "input", "an UPDATE needs at least one change or prerequisite");
  const prereqs = (request.prerequisites ?? []).flatMap((p) => prerequisiteRecords(p, z));
  const updates = request.updates.map((u) => updateRecord(u, z));
  const zoneSection = Buffer.concat([encodeName(z), Buffer.from([0, TYPE.SOA, 0, CLASS.IN])]);
  return Buffer.concat([
    encodeHeader({
      id,
      flags: OPCODE.UPDATE << 11,
      qdcount: 1,
      ancount: prereqs.length,
      nscount: updates.length,
      arcount: 0,
    }),
    zoneSection,
    ...prereqs.map(encodeRecord),
    ...updates.map(encodeRecord),
  ]);
}

export interface Rfc2136ClientOptions {
  /** "host:port" of the primary that accepts updates. */
  server: string;
  zone: string;
  key: TsigKey;
  timeoutMs?: number;
  /** TCP by default: no truncation, and a refused port fails fast. */
  transport?: DnsTransport;
}

export interface UpdateResult {
  server: string;
  zone: string;
  id: number;
  /** Server's TSIG time, seconds since the epoch. */
  timeSigned: number;
}

/** Sends TSIG-signed UPDATEs for one zone to one server. */
export class Rfc2136Client {
  readonly server: string;
  readonly zone: string;
  readonly #key: TsigKey;
  readonly #timeoutMs: number;
  readonly #transport: DnsTransport;

  constructor(opts: Rfc2136ClientOptions) {
    this.server = opts.server;
    this.zone = normalizeName(opts.zone, "zone");
    this.#key = opts.key;
    this.#timeoutMs = opts.timeoutMs ?? 5_000;
    this.#transport = opts.transport ?? "tcp";
  }

  /**
   * Applies `request` atomically. Resolves only on NOERROR with a verified server signature; any
   * other answer is a DnsError (prerequisite failures are kind "prerequisite": nothing changed).
   */
  async update(request: UpdateRequest, opts: { signal?: AbortSignal } = {}): Promise<UpdateResult> {
    const id = randomInt(0, 0x10000);
    const ctx: ErrorContext = { server: this.server, zone: this.zone, keyName: this.#key.name };
    const signed = signMessage(buildUpdateMessage(this.zone, request, id), this.#key);
    const response = await exchange(this.server, signed.wire, {
      transport: this.#transport,
      timeoutMs: this.#timeoutMs,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    const header = readHeader(response);
    if (!header.qr || header.opcode !== OPCODE.UPDATE) {
      throw new DnsError(
        "MALFORMED_RESPONSE",
        "transport",
        `${this.server} answered the UPDATE with a non-UPDATE message`,
        {
          server: this.server,
        },
      );
    }
    // A server that cannot parse the request cannot sign the answer either (RFC 8945 §5.2).
    const unsignedOk = header.rcode === RCODE.FORMERR || header.rcode === RCODE.NOTIMP;
    const verified = verifyMessage(response, this.#key, ctx, {
      requestMac: signed.mac,
      allowUnsigned: unsignedOk,
    });
    if (header.rcode !== RCODE.NOERROR) throw rcodeError(header.rcode, ctx);
    return { server: this.server, zone: this.zone, id, timeSigned: verified.timeSigned ?? 0 };
  }
}

/**
 * The usual repoint: replace `name type` by one record, optionally only if it currently holds
 * exactly `expected` (so a concurrent change makes the update fail with NXRRSET instead of winning).
 */
export function replaceRecordRequest(r: {
  name: string;
  type: RecordType;
  ttl: number;
  value: string;
  expected?: string[];
}): UpdateRequest {
  return {
    prerequisites: r.expected
      ? [{ kind: "rrset-equals", name: r.name, type: r.type, values: r.expected }]
      : [],
    updates: [
      { kind: "delete-rrset", name: r.name, type: r.type },
      { kind: "add", name: r.name, type: r.type, ttl: r.ttl, value: normalizeValue(r.type, r.value) },
    ],
  };
}
