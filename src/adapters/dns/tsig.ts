// TSIG (RFC 8945) over node:crypto: sign a DNS message and verify a signed one, including the
// request-MAC chaining of responses. Hand-encoded because dns-packet has no TSIG rdata codec.
import { createHmac, timingSafeEqual } from "node:crypto";
import { inspect } from "node:util";
import type { Secret } from "../../config/secret.js";
import { DnsError, TSIG_ERROR, tsigError } from "../../dns/errors.js";
import type { ErrorContext } from "../../dns/errors.js";
import {
  CLASS,
  HEADER_LENGTH,
  TYPE,
  encodeName,
  encodeRecord,
  normalizeName,
  parseMessage,
  readName,
} from "../../dns/wire.js";

export const TSIG_ALGORITHMS = {
  "hmac-sha256": { hash: "sha256", macSize: 32 },
  "hmac-sha512": { hash: "sha512", macSize: 64 },
} as const;
export type TsigAlgorithm = keyof typeof TSIG_ALGORITHMS;

/** RFC 8945 §10 recommends 300 s. */
export const DEFAULT_FUDGE = 300;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * A TSIG key. The material lives in a private field: JSON, inspection and string conversion show
 * only the name and algorithm, and no error built here quotes the material or the text it came from.
 */
export class TsigKey {
  readonly #material: Buffer;
  readonly name: string;

  private constructor(
    name: string,
    readonly algorithm: TsigAlgorithm,
    material: Buffer,
  ) {
    this.name = normalizeName(name, "TSIG key name");
    this.#material = material;
  }

  /**
   * `secret` is the base64 key material, or the text of a BIND key file (`tsig-keygen` output), in
   * which case the clause named `name` (or the only one) supplies it.
   */
  static fromSecret(name: string, algorithm: TsigAlgorithm, secret: Secret | string): TsigKey {
    if (!(algorithm in TSIG_ALGORITHMS)) {
      throw new DnsError("INVALID_INPUT", "input", `TSIG algorithm ${String(algorithm)} is not supported`);
    }
    const text = typeof secret === "string" ? secret : secret.reveal();
    const base64 = extractBase64(text, name).replace(/\s+/g, "");
    const material =
      BASE64.test(base64) && base64.length % 4 === 0 ? Buffer.from(base64, "base64") : undefined;
    if (!material || material.length === 0) {
      throw new DnsError(
        "INVALID_INPUT",
        "input",
        `TSIG secret for key ${name} is neither base64 key material nor a BIND key file with a secret`,
        { keyName: name },
      );
    }
    return new TsigKey(name, algorithm, material);
  }

  /** HMAC over the concatenation of `parts`. */
  mac(parts: Buffer[]): Buffer {
    const hmac = createHmac(TSIG_ALGORITHMS[this.algorithm].hash, this.#material);
    for (const p of parts) hmac.update(p);
    return hmac.digest();
  }

  toJSON(): { name: string; algorithm: TsigAlgorithm; secret: string } {
    return { name: this.name, algorithm: this.algorithm, secret: "[redacted]" };
  }
  toString(): string {
    return `TsigKey(${this.name}, ${this.algorithm}, [redacted])`;
  }
  [inspect.custom](): string {
    return this.toString();
  }
}

function extractBase64(text: string, name: string): string {
  if (!/\bsecret\s+"/.test(text)) return text.trim();
  const clauses = [...text.matchAll(/key\s+"?([^"\s{]+)"?\s*\{([^}]*)\}/g)];
  const wanted = normalizeNameLoose(name);
  const clause =
    clauses.find((c) => normalizeNameLoose(c[1] ?? "") === wanted) ??
    (clauses.length === 1 ? clauses[0] : undefined);
  const body = clause?.[2] ?? text;
  return /\bsecret\s+"([^"]*)"/.exec(body)?.[1] ?? "";
}

function normalizeNameLoose(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, "");
}

function u48(value: number): Buffer {
  const b = Buffer.alloc(6);
  b.writeUIntBE(value, 0, 6);
  return b;
}

function u16(value: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(value, 0);
  return b;
}

/** RFC 8945 §4.3.3 "TSIG Variables": what the MAC covers after the message itself. */
export function tsigVariables(v: {
  keyName: string;
  algorithm: TsigAlgorithm;
  timeSigned: number;
  fudge: number;
  error: number;
  other: Buffer;
}): Buffer {
  const classTtl = Buffer.alloc(6);
  classTtl.writeUInt16BE(CLASS.ANY, 0);
  classTtl.writeUInt32BE(0, 2);
  return Buffer.concat([
    encodeName(v.keyName),
    classTtl,
    encodeName(v.algorithm),
    u48(v.timeSigned),
    u16(v.fudge),
    u16(v.error),
    u16(v.other.length),
    v.other,
  ]);
}

/** RFC 8945 §4.3.1: a response's MAC starts with the request's MAC, prefixed by its length. */
function requestMacPrefix(requestMac: Buffer | undefined): Buffer[] {
  return requestMac ? [u16(requestMac.length), requestMac] : [];
}

export interface SignOptions {
  /** Seconds since the epoch; defaults to now. */
  now?: number;
  fudge?: number;
  /** Set when signing a response: the MAC of the request it answers. */
  requestMac?: Buffer;
  error?: number;
  other?: Buffer;
}

export interface SignedMessage {
  wire: Buffer;
  mac: Buffer;
  timeSigned: number;
}

/** Appends a TSIG RR to an unsigned message and increments ARCOUNT. */
export function signMessage(message: Buffer, key: TsigKey, opts: SignOptions = {}): SignedMessage {
  if (message.length < HEADER_LENGTH) {
    throw new DnsError("INVALID_INPUT", "input", "cannot sign a DNS message shorter than its header");
  }
  const timeSigned = opts.now ?? Math.floor(Date.now() / 1000);
  const fudge = opts.fudge ?? DEFAULT_FUDGE;
  const error = opts.error ?? TSIG_ERROR.NOERROR;
  const other = opts.other ?? Buffer.alloc(0);
  const variables = tsigVariables({
    keyName: key.name,
    algorithm: key.algorithm,
    timeSigned,
    fudge,
    error,
    other,
  });
  const mac = key.mac([...requestMacPrefix(opts.requestMac), message, variables]);
  const rdata = Buffer.concat([
    encodeName(key.algorithm),
    u48(timeSigned),
    u16(fudge),
    u16(mac.length),
    mac,
    message.subarray(0, 2), // original ID
    u16(error),
    u16(other.length),
    other,
  ]);
  const tsigRr = encodeRecord({ name: key.name, type: TYPE.TSIG, class: CLASS.ANY, ttl: 0, rdata });
  const wire = Buffer.concat([message, tsigRr]);
  wire.writeUInt16BE(message.readUInt16BE(10) + 1, 10);
  return { wire, mac, timeSigned };
}

export interface TsigRecord {
  keyName: string;
  algorithm: string;
  timeSigned: number;
  fudge: number;
  mac: Buffer;
  originalId: number;
  error: number;
  other: Buffer;
  /** Offset of the TSIG RR: the signed message is everything before it. */
  start: number;
}

/** Finds and decodes the TSIG RR, which RFC 8945 requires to be the last additional record. */
export function readTsigRecord(wire: Buffer, ctx: ErrorContext): TsigRecord | undefined {
  const parsed = parseMessage(wire);
  const index = parsed.records.findIndex((r) => r.type === TYPE.TSIG);
  if (index < 0) return undefined;
  const rr = parsed.records[index]!;
  const bad = (why: string): DnsError =>
    new DnsError(
      "TSIG_MALFORMED",
      "auth",
      `TSIG record in the message from ${ctx.server} is malformed: ${why}`,
      {
        server: ctx.server,
      },
    );
  if (index !== parsed.records.length - 1 || rr.section !== "additional")
    throw bad("it is not the last record");
  if (rr.class !== CLASS.ANY || rr.ttl !== 0) throw bad("class must be ANY and TTL 0");
  const end = rr.rdataStart + rr.rdata.length;
  const alg = readName(wire, rr.rdataStart);
  let pos = alg.end;
  if (pos + 10 > end) throw bad("rdata too short");
  const timeSigned = wire.readUIntBE(pos, 6);
  const fudge = wire.readUInt16BE(pos + 6);
  const macSize = wire.readUInt16BE(pos + 8);
  pos += 10;
  if (pos + macSize + 6 > end) throw bad("MAC size exceeds rdata");
  const mac = Buffer.from(wire.subarray(pos, pos + macSize));
  pos += macSize;
  const originalId = wire.readUInt16BE(pos);
  const error = wire.readUInt16BE(pos + 2);
  const otherLen = wire.readUInt16BE(pos + 4);
  pos += 6;
  if (pos + otherLen !== end) throw bad("other-data length does not match rdata");
  return {
    keyName: rr.name,
    algorithm: alg.name,
    timeSigned,
    fudge,
    mac,
    originalId,
    error,
    other: Buffer.from(wire.subarray(pos, end)),
    start: rr.start,
  };
}

export interface VerifyOptions {
  /** The MAC of our request when verifying the server's response (RFC 8945 §5.3). */
  requestMac?: Buffer;
  /** Seconds since the epoch; defaults to now. */
  now?: number;
  /** Accept an unsigned message (only for errors the server cannot sign, e.g. FORMERR). */
  allowUnsigned?: boolean;
}

export interface VerifiedTsig {
  signed: boolean;
  mac?: Buffer;
  timeSigned?: number;
}

/**
 * Verifies the TSIG RR of `wire` with `key`. Throws a DnsError of kind "auth" when the message is
 * unsigned, signed with another key, altered, outside the time window, or carries a TSIG error the
 * server set about our request (BADSIG/BADKEY: unsigned by definition; BADTIME: verified first).
 */
export function verifyMessage(
  wire: Buffer,
  key: TsigKey,
  ctx: ErrorContext,
  opts: VerifyOptions = {},
): VerifiedTsig {
  const tsig = readTsigRecord(wire, ctx);
  if (!tsig) {
    if (opts.allowUnsigned) return { signed: false };
    throw new DnsError(
      "TSIG_UNSIGNED",
      "auth",
      `the response from ${ctx.server} is not TSIG-signed although the request was`,
      { server: ctx.server, keyName: key.name },
    );
  }
  if (
    tsig.error === TSIG_ERROR.BADSIG ||
    tsig.error === TSIG_ERROR.BADKEY ||
    tsig.error === TSIG_ERROR.BADTRUNC
  ) {
    // The server could not authenticate our request; RFC 8945 §5.3.2 has it answer with an empty MAC.
    throw tsigError(tsig.error, ctx, "server");
  }
  if (tsig.keyName !== key.name || tsig.algorithm !== key.algorithm) {
    throw tsigError(
      TSIG_ERROR.BADKEY,
      ctx,
      "local",
      `signed with key ${tsig.keyName} (${tsig.algorithm}), expected ${key.name} (${key.algorithm})`,
    );
  }
  const expectedSize = TSIG_ALGORITHMS[key.algorithm].macSize;
  if (tsig.mac.length !== expectedSize) {
    throw tsigError(
      TSIG_ERROR.BADTRUNC,
      ctx,
      "local",
      `MAC is ${tsig.mac.length} bytes, only full ${expectedSize}-byte MACs are accepted`,
    );
  }
  const unsigned = Buffer.from(wire.subarray(0, tsig.start));
  unsigned.writeUInt16BE(tsig.originalId, 0);
  unsigned.writeUInt16BE(unsigned.readUInt16BE(10) - 1, 10);
  const variables = tsigVariables({
    keyName: key.name,
    algorithm: key.algorithm,
    timeSigned: tsig.timeSigned,
    fudge: tsig.fudge,
    error: tsig.error,
    other: tsig.other,
  });
  const computed = key.mac([...requestMacPrefix(opts.requestMac), unsigned, variables]);
  if (!timingSafeEqual(computed, tsig.mac)) {
    throw tsigError(
      TSIG_ERROR.BADSIG,
      ctx,
      "local",
      "the MAC does not match (altered in transit, or another secret)",
    );
  }
  if (tsig.error === TSIG_ERROR.BADTIME) {
    const serverTime = tsig.other.length === 6 ? tsig.other.readUIntBE(0, 6) : undefined;
    const skew = serverTime === undefined ? "" : `; server time ${new Date(serverTime * 1000).toISOString()}`;
    throw tsigError(
      TSIG_ERROR.BADTIME,
      ctx,
      "server",
      `our clock differs from the server's by more than the fudge${skew}`,
    );
  }
  if (tsig.error !== TSIG_ERROR.NOERROR) throw tsigError(tsig.error, ctx, "server");
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - tsig.timeSigned) > tsig.fudge) {
    throw tsigError(
      TSIG_ERROR.BADTIME,
      ctx,
      "local",
      `signed at ${new Date(tsig.timeSigned * 1000).toISOString()}, fudge ${tsig.fudge}s, local time ${new Date(now * 1000).toISOString()}`,
    );
  }
  return { signed: true, mac: tsig.mac, timeSigned: tsig.timeSigned };
}
