// The one interface dns.repoint acts through, whatever serves the zone (RFC 2136 server, Route 53):
// read an RRset, replace it only if it still holds what the plan saw, and read it at every authority.
import { DnsError } from "../../../dns/errors.js";
import { normalizeValue, sameValue } from "../../../dns/record-data.js";
import type { RecordType } from "../../../dns/record-data.js";
import { isInZone, normalizeName } from "../../../dns/wire.js";

/** One RRset: every value of `name type`, with its TTL. Names and values are normalized. */
export interface RecordSet {
  name: string;
  type: RecordType;
  ttl: number;
  values: string[];
}

/** What one authoritative server (or API) answered for `name type`; undefined rrset = none. */
export interface AuthorityAnswer {
  server: string;
  rrset: RecordSet | undefined;
}

export interface DnsProvider {
  readonly provider: "rfc2136" | "route53";
  /** The zone's domain, normalized (no trailing dot). */
  readonly zone: string;
  /** The RRset as the source of truth holds it (the primary, or the provider's API). */
  read(name: string, type: RecordType, signal: AbortSignal): Promise<RecordSet | undefined>;
  /**
   * Makes `name type` hold exactly `desired` (or nothing, when desired is undefined), provided it
   * still holds `expected` (undefined = absent). A concurrent change is a CONFLICT-kind DnsError
   * ("prerequisite"), never overwritten where the provider can check atomically.
   */
  replace(
    expected: RecordSet | undefined,
    desired: RecordSet | undefined,
    name: string,
    type: RecordType,
    signal: AbortSignal,
  ): Promise<void>;
  /**
   * How long resolvers may cache "no such record" for this zone (RFC 2308 §5: the lesser of the
   * SOA record's TTL and its MINIMUM field): the old TTL of a record that did not exist.
   */
  negativeTtl(signal: AbortSignal): Promise<number>;
  /** Asks every authoritative server directly (no cache) for `name type`. */
  readEverywhere(name: string, type: RecordType, signal: AbortSignal): Promise<AuthorityAnswer[]>;
  /**
   * Pre-flight: proves the zone can be updated with the configured credentials without changing
   * anything, and says how. Throws a DnsError when it cannot.
   */
  probeUpdate?(signal: AbortSignal): Promise<string>;
}

/** Normalizes `name` and checks it lies in `zone`: the one "record outside the zone" error. */
export function nameInZone(name: string, zone: string): string {
  const n = normalizeName(name, "record name");
  if (!isInZone(n, zone)) {
    throw new DnsError("OUTSIDE_ZONE", "input", `${name} is outside zone ${zone}`, { name, zone });
  }
  return n;
}

/** Normalized, de-duplicated and sorted values, so equal RRsets compare equal. */
export function normalizeValues(type: RecordType, values: readonly string[]): string[] {
  return [...new Set(values.map((v) => normalizeValue(type, v)))].sort();
}

/** Same values (as wire data) and same TTL; both undefined counts as equal. */
export function sameRecordSet(a: RecordSet | undefined, b: RecordSet | undefined): boolean {
  if (!a || !b) return a === b;
  if (a.type !== b.type || a.ttl !== b.ttl || a.values.length !== b.values.length) return false;
  return a.values.every((v) => b.values.some((w) => sameValue(a.type, v, w)));
}

/** "dc1-kafka.dr.test (30)", "192.0.2.1, 192.0.2.2 (60)", or "(absent)": how plans show an RRset. */
export function formatRecordSet(rrset: RecordSet | undefined): string {
  return rrset ? `${rrset.values.join(", ")} (${rrset.ttl})` : "(absent)";
}
