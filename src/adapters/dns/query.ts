// Asks one authoritative server directly (RD off, answer must carry AA) for A/AAAA/CNAME/SOA with
// TTLs — what verification needs, since a resolver's cache may still hold the old answer.
import { randomInt } from "node:crypto";
import dnsPacket from "dns-packet";
import type { Answer, SoaData } from "dns-packet";
import { DnsError, RCODE, rcodeError } from "../../dns/errors.js";
import { exchange } from "./transport.js";
import type { DnsTransport } from "./transport.js";
import { normalizeName, readHeader } from "../../dns/wire.js";

export type QueryType = "A" | "AAAA" | "CNAME" | "SOA";

export interface Soa {
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}

export type AnswerRecord =
  | { name: string; type: "A" | "AAAA" | "CNAME"; ttl: number; value: string }
  | { name: string; type: "SOA"; ttl: number; value: string; soa: Soa };

export interface QueryResult {
  server: string;
  name: string;
  type: QueryType;
  rcode: "NOERROR" | "NXDOMAIN";
  authoritative: boolean;
  /** Answer-section records of the supported types (a CNAME may precede the A it leads to). */
  answers: AnswerRecord[];
}

export interface QueryOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Default true: a non-authoritative answer is an error (NOT_AUTHORITATIVE). */
  requireAuthoritative?: boolean;
  /** Default "udp", retried over TCP when truncated. */
  transport?: DnsTransport;
}

function toAnswer(a: Answer): AnswerRecord | undefined {
  const name = normalizeName(a.name);
  const ttl = "ttl" in a ? (a.ttl ?? 0) : 0;
  switch (a.type) {
    case "A":
    case "AAAA":
      return { name, type: a.type, ttl, value: a.data };
    case "CNAME":
      return { name, type: "CNAME", ttl, value: normalizeName(a.data) };
    case "SOA": {
      const d: SoaData = a.data;
      const soa: Soa = {
        mname: normalizeName(d.mname),
        rname: normalizeName(d.rname),
        serial: d.serial ?? 0,
        refresh: d.refresh ?? 0,
        retry: d.retry ?? 0,
        expire: d.expire ?? 0,
        minimum: d.minimum ?? 0,
      };
      const value = `${soa.mname}. ${soa.rname}. ${soa.serial} ${soa.refresh} ${soa.retry} ${soa.expire} ${soa.minimum}`;
      return { name, type: "SOA", ttl, value, soa };
    }
    default:
      return undefined;
  }
}

/** One question to one server; NXDOMAIN and empty answers are results, other RCODEs are errors. */
export async function queryAuthoritative(
  server: string,
  name: string,
  type: QueryType,
  opts: QueryOptions = {},
): Promise<QueryResult> {
  const qname = normalizeName(name, "query name");
  const id = randomInt(0, 0x10000);
  const message = dnsPacket.encode({
    type: "query",
    id,
    flags: 0, // RD off: the server must answer from its own data
    questions: [{ type, name: qname === "" ? "." : qname, class: "IN" }],
  });
  const base = {
    timeoutMs: opts.timeoutMs ?? 5_000,
    ...(opts.signal ? { signal: opts.signal } : {}),
  };
  let wire = await exchange(server, message, { ...base, transport: opts.transport ?? "udp" });
  if (readHeader(wire).tc && opts.transport !== "tcp")
    wire = await exchange(server, message, { ...base, transport: "tcp" });
  const header = readHeader(wire);
  if (!header.qr) {
    throw new DnsError("MALFORMED_RESPONSE", "transport", `${server} sent a query, not a response`, {
      server,
    });
  }
  if (header.rcode !== RCODE.NOERROR && header.rcode !== RCODE.NXDOMAIN) {
    throw rcodeError(header.rcode, { server, zone: qname });
  }
  if ((opts.requireAuthoritative ?? true) && !header.aa) {
    throw new DnsError(
      "NOT_AUTHORITATIVE",
      "rejected",
      `${server} is not authoritative for ${qname} (answer without AA flag); verification needs an authoritative server`,
      { server, name: qname },
    );
  }
  let decoded: ReturnType<typeof dnsPacket.decode>;
  try {
    decoded = dnsPacket.decode(wire);
  } catch (err) {
    throw new DnsError(
      "MALFORMED_RESPONSE",
      "transport",
      `${server} sent an undecodable response`,
      { server },
      { cause: err },
    );
  }
  return {
    server,
    name: qname,
    type,
    rcode: header.rcode === RCODE.NXDOMAIN ? "NXDOMAIN" : "NOERROR",
    authoritative: header.aa,
    answers: (decoded.answers ?? []).flatMap((a) => toAnswer(a) ?? []),
  };
}
