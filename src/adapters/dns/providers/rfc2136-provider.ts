// dns.repoint's provider for servers that speak RFC 2136 + TSIG (BIND, PowerDNS, Knot, Windows DNS):
// updates go to the first server as one conditional UPDATE; reads ask each server directly.
import { DnsError } from "../../../dns/errors.js";
import { queryAuthoritative } from "../query.js";
import type { RecordType } from "../../../dns/record-data.js";
import { Rfc2136Client } from "../rfc2136.js";
import type { Prerequisite, UpdateOperation } from "../rfc2136.js";
import type { DnsTransport } from "../transport.js";
import type { TsigKey } from "../tsig.js";
import { normalizeName } from "../../../dns/wire.js";
import { nameInZone, normalizeValues } from "./dns-provider.js";
import type { AuthorityAnswer, DnsProvider, RecordSet } from "./dns-provider.js";

export interface Rfc2136ProviderOptions {
  zone: string;
  /** "host:port" of every authoritative server; the first is the primary that takes updates. */
  servers: readonly string[];
  key: TsigKey;
  timeoutMs?: number;
  transport?: DnsTransport;
}

export class Rfc2136Provider implements DnsProvider {
  readonly provider = "rfc2136" as const;
  readonly zone: string;
  readonly #servers: readonly string[];
  readonly #client: Rfc2136Client;
  readonly #timeoutMs: number;

  constructor(opts: Rfc2136ProviderOptions) {
    if (opts.servers.length === 0) throw new Error("an rfc2136 zone needs at least one server");
    this.zone = normalizeName(opts.zone, "zone");
    this.#servers = opts.servers;
    this.#timeoutMs = opts.timeoutMs ?? 5_000;
    this.#client = new Rfc2136Client({
      server: opts.servers[0]!,
      zone: this.zone,
      key: opts.key,
      timeoutMs: this.#timeoutMs,
      ...(opts.transport ? { transport: opts.transport } : {}),
    });
  }

  read(name: string, type: RecordType, signal: AbortSignal): Promise<RecordSet | undefined> {
    return this.#readAt(this.#servers[0]!, nameInZone(name, this.zone), type, signal);
  }

  async replace(
    expected: RecordSet | undefined,
    desired: RecordSet | undefined,
    name: string,
    type: RecordType,
    signal: AbortSignal,
  ): Promise<void> {
    const n = nameInZone(name, this.zone);
    // The value-dependent prerequisite is what turns a concurrent change into NXRRSET/YXRRSET
    // (nothing applied) instead of a silent overwrite.
    const prerequisites: Prerequisite[] = expected
      ? [{ kind: "rrset-equals", name: n, type, values: expected.values }]
      : [{ kind: "rrset-absent", name: n, type }];
    const updates: UpdateOperation[] = [{ kind: "delete-rrset", name: n, type }];
    for (const value of desired?.values ?? []) {
      updates.push({ kind: "add", name: n, type, ttl: desired!.ttl, value });
    }
    await this.#client.update({ prerequisites, updates }, { signal });
  }

  /** A TSIG-signed UPDATE whose only content is the prerequisite "the zone apex is in use". */
  async probeUpdate(signal: AbortSignal): Promise<string> {
    await this.#client.update(
      { prerequisites: [{ kind: "name-in-use", name: this.zone }], updates: [] },
      { signal },
    );
    return `${this.#servers[0]} accepted a signed prerequisite-only UPDATE of ${this.zone}`;
  }

  async negativeTtl(signal: AbortSignal): Promise<number> {
    const result = await queryAuthoritative(this.#servers[0]!, this.zone, "SOA", {
      timeoutMs: this.#timeoutMs,
      signal,
    });
    const soa = result.answers.find((a) => a.type === "SOA");
    if (soa?.type !== "SOA") {
      throw new DnsError(
        "MALFORMED_RESPONSE",
        "server",
        `${this.#servers[0]!} returned no SOA for ${this.zone}`,
        {
          server: this.#servers[0]!,
          zone: this.zone,
        },
      );
    }
    return Math.min(soa.ttl, soa.soa.minimum);
  }

  readEverywhere(name: string, type: RecordType, signal: AbortSignal): Promise<AuthorityAnswer[]> {
    const n = nameInZone(name, this.zone);
    return Promise.all(
      this.#servers.map(async (server) => ({ server, rrset: await this.#readAt(server, n, type, signal) })),
    );
  }

  async #readAt(
    server: string,
    name: string,
    type: RecordType,
    signal: AbortSignal,
  ): Promise<RecordSet | undefined> {
    const result = await queryAuthoritative(server, name, type, { timeoutMs: this.#timeoutMs, signal });
    // A CNAME answer to an A question is not an A RRset: keep only the asked name and type.
    const own = result.answers.filter((a) => a.type === type && a.name === name);
    if (own.length === 0) return undefined;
    return {
      name,
      type,
      ttl: Math.min(...own.map((a) => a.ttl)),
      values: normalizeValues(
        type,
        own.map((a) => a.value),
      ),
    };
  }
}
