// dns.repoint's provider for Route 53 (AWS SDK v3): UPSERT through ChangeResourceRecordSets, waiting
// for INSYNC with GetChange; Throttling and PriorRequestNotComplete are retried with backoff.
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { setTimeout as sleepFor } from "node:timers/promises";
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  GetHostedZoneCommand,
  ListResourceRecordSetsCommand,
} from "@aws-sdk/client-route-53";
import type { Change, Route53Client } from "@aws-sdk/client-route-53";
import { ErrorCode, SwitchoverError } from "../../../engine/errors.js";
import { queryAuthoritative } from "../query.js";
import type { QueryResult } from "../query.js";
import type { RecordType } from "../../../dns/record-data.js";
import { normalizeName } from "../../../dns/wire.js";
import { formatRecordSet, nameInZone, normalizeValues, sameRecordSet } from "./dns-provider.js";
import type { AuthorityAnswer, DnsProvider, RecordSet } from "./dns-provider.js";

/** Error names Route 53 answers when asked too fast or while an earlier change is still applying. */
const RETRYABLE_NAMES = new Set([
  "Throttling",
  "ThrottlingException",
  "PriorRequestNotComplete",
  "ServiceUnavailable",
  "RequestTimeout",
]);

export interface Route53ProviderOptions {
  client: Route53Client;
  zone: string;
  hostedZoneId: string;
  /** Tries per API call, including the first (default 6). */
  maxAttempts?: number;
  /** First backoff delay; doubles per retry up to maxDelayMs (defaults 500 ms, 10 s). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** GetChange polling interval and overall wait for INSYNC (defaults 2 s, 5 min). */
  pollIntervalMs?: number;
  syncTimeoutMs?: number;
  timeoutMs?: number;
  /** Injected in tests; default: timers with the signal. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** How a name server's host name becomes an address (default: the system resolver). */
  resolveHost?: (host: string) => Promise<string>;
  /** How one authoritative server is asked (default: queryAuthoritative over UDP/53). */
  query?: (server: string, name: string, type: RecordType, signal: AbortSignal) => Promise<QueryResult>;
}

export class Route53Provider implements DnsProvider {
  readonly provider = "route53" as const;
  readonly zone: string;
  readonly #o: Required<Omit<Route53ProviderOptions, "zone">>;

  constructor(opts: Route53ProviderOptions) {
    this.zone = normalizeName(opts.zone, "zone");
    const timeoutMs = opts.timeoutMs ?? 10_000;
    this.#o = {
      client: opts.client,
      hostedZoneId: opts.hostedZoneId,
      maxAttempts: opts.maxAttempts ?? 6,
      baseDelayMs: opts.baseDelayMs ?? 500,
      maxDelayMs: opts.maxDelayMs ?? 10_000,
      pollIntervalMs: opts.pollIntervalMs ?? 2_000,
      syncTimeoutMs: opts.syncTimeoutMs ?? 300_000,
      timeoutMs,
      sleep: opts.sleep ?? ((ms, signal) => sleepFor(ms, undefined, { signal })),
      resolveHost: opts.resolveHost ?? (async (host) => (await lookup(host)).address),
      query:
        opts.query ??
        ((server, name, type, signal) => queryAuthoritative(server, name, type, { timeoutMs, signal })),
    };
  }

  async read(name: string, type: RecordType, signal: AbortSignal): Promise<RecordSet | undefined> {
    const n = nameInZone(name, this.zone);
    const out = await this.#call(
      `ListResourceRecordSets ${n} ${type}`,
      () =>
        this.#o.client.send(
          new ListResourceRecordSetsCommand({
            HostedZoneId: this.#o.hostedZoneId,
            StartRecordName: `${n}.`,
            StartRecordType: type,
            MaxItems: 1,
          }),
          { abortSignal: signal },
        ),
      signal,
    );
    const rrs = (out.ResourceRecordSets ?? []).find(
      (r) => r.Type === type && normalizeName(unescapeName(r.Name ?? "")) === n,
    );
    if (!rrs) return undefined;
    if (rrs.AliasTarget || rrs.SetIdentifier) {
      throw new SwitchoverError(
        ErrorCode.Validation,
        `${n} ${type} in hosted zone ${this.#o.hostedZoneId} is an alias or routing-policy record; dns.repoint changes plain records only`,
        { details: { name: n, type } },
      );
    }
    return {
      name: n,
      type,
      ttl: rrs.TTL ?? 0,
      values: normalizeValues(
        type,
        (rrs.ResourceRecords ?? []).map((r) => r.Value ?? ""),
      ),
    };
  }

  /**
   * Route 53 has no dry-run for ChangeResourceRecordSets: the probe proves the credentials reach
   * the hosted zone (GetHostedZone) and says that the change permission itself is unproven.
   */
  async probeUpdate(signal: AbortSignal): Promise<string> {
    const zone = await this.#call(
      `GetHostedZone ${this.#o.hostedZoneId}`,
      () =>
        this.#o.client.send(new GetHostedZoneCommand({ Id: this.#o.hostedZoneId }), { abortSignal: signal }),
      signal,
    );
    const name = normalizeName(zone.HostedZone?.Name ?? "", "hosted zone name");
    if (name !== this.zone) {
      throw new SwitchoverError(
        ErrorCode.Validation,
        `hosted zone ${this.#o.hostedZoneId} is ${name || "(unnamed)"}, not ${this.zone}`,
      );
    }
    return `hosted zone ${this.#o.hostedZoneId} (${this.zone}) is readable with these credentials; route53:ChangeResourceRecordSets cannot be proven without a change`;
  }

  async negativeTtl(signal: AbortSignal): Promise<number> {
    const out = await this.#call(
      `ListResourceRecordSets ${this.zone} SOA`,
      () =>
        this.#o.client.send(
          new ListResourceRecordSetsCommand({
            HostedZoneId: this.#o.hostedZoneId,
            StartRecordName: `${this.zone}.`,
            StartRecordType: "SOA",
            MaxItems: 1,
          }),
          { abortSignal: signal },
        ),
      signal,
    );
    const soa = (out.ResourceRecordSets ?? []).find((r) => r.Type === "SOA");
    // "ns-1.awsdns-01.org. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400": MINIMUM is last.
    const minimum = Number(soa?.ResourceRecords?.[0]?.Value?.trim().split(/\s+/)[6]);
    if (!soa || !Number.isInteger(minimum)) {
      throw new SwitchoverError(
        ErrorCode.Upstream,
        `hosted zone ${this.#o.hostedZoneId} has no readable SOA record`,
      );
    }
    return Math.min(soa.TTL ?? minimum, minimum);
  }

  async replace(
    expected: RecordSet | undefined,
    desired: RecordSet | undefined,
    name: string,
    type: RecordType,
    signal: AbortSignal,
  ): Promise<void> {
    const n = nameInZone(name, this.zone);
    // Route 53 has no value-dependent UPSERT: compare right before the change. A DELETE carries the
    // exact old record, which Route 53 itself checks.
    const current = await this.read(n, type, signal);
    if (!sameRecordSet(current, expected)) {
      throw new SwitchoverError(
        ErrorCode.Conflict,
        `${n} ${type} changed since it was planned: expected ${formatRecordSet(expected)}, found ${formatRecordSet(current)}; nothing was changed`,
        { details: { name: n, type, expected: formatRecordSet(expected), found: formatRecordSet(current) } },
      );
    }
    const change: Change | undefined = desired
      ? { Action: "UPSERT", ResourceRecordSet: toRecordSet(n, desired) }
      : current
        ? { Action: "DELETE", ResourceRecordSet: toRecordSet(n, current) }
        : undefined;
    if (!change) return;
    const out = await this.#call(
      `ChangeResourceRecordSets ${n} ${type}`,
      () =>
        this.#o.client.send(
          new ChangeResourceRecordSetsCommand({
            HostedZoneId: this.#o.hostedZoneId,
            ChangeBatch: { Comment: `switchover dns.repoint ${n} ${type}`, Changes: [change] },
          }),
          { abortSignal: signal },
        ),
      signal,
    );
    await this.#waitInSync(out.ChangeInfo?.Id, out.ChangeInfo?.Status, signal);
  }

  async readEverywhere(name: string, type: RecordType, signal: AbortSignal): Promise<AuthorityAnswer[]> {
    const n = nameInZone(name, this.zone);
    const zone = await this.#call(
      `GetHostedZone ${this.#o.hostedZoneId}`,
      () =>
        this.#o.client.send(new GetHostedZoneCommand({ Id: this.#o.hostedZoneId }), { abortSignal: signal }),
      signal,
    );
    const hosts = zone.DelegationSet?.NameServers ?? [];
    if (hosts.length === 0) {
      throw new SwitchoverError(
        ErrorCode.Upstream,
        `hosted zone ${this.#o.hostedZoneId} lists no name servers (private zone?); cannot verify at the authorities`,
      );
    }
    return Promise.all(
      hosts.map(async (host) => {
        const address = await this.#o.resolveHost(host);
        const server = isIP(address) === 6 ? `[${address}]:53` : `${address}:53`;
        const result = await this.#o.query(server, n, type, signal);
        const own = result.answers.filter((a) => a.type === type && a.name === n);
        const rrset: RecordSet | undefined =
          own.length === 0
            ? undefined
            : {
                name: n,
                type,
                ttl: Math.min(...own.map((a) => a.ttl)),
                values: normalizeValues(
                  type,
                  own.map((a) => a.value),
                ),
              };
        return { server: host, rrset };
      }),
    );
  }

  async #waitInSync(id: string | undefined, status: string | undefined, signal: AbortSignal): Promise<void> {
    if (!id)
      throw new SwitchoverError(ErrorCode.Upstream, "Route 53 accepted the change but returned no change id");
    let waited = 0;
    let current = status;
    while (current !== "INSYNC") {
      if (waited >= this.#o.syncTimeoutMs) {
        throw new SwitchoverError(
          ErrorCode.Timeout,
          `Route 53 change ${id} is still ${current ?? "PENDING"} after ${this.#o.syncTimeoutMs} ms`,
          { details: { changeId: id } },
        );
      }
      await this.#o.sleep(this.#o.pollIntervalMs, signal);
      waited += this.#o.pollIntervalMs;
      const out = await this.#call(
        `GetChange ${id}`,
        () => this.#o.client.send(new GetChangeCommand({ Id: id }), { abortSignal: signal }),
        signal,
      );
      current = out.ChangeInfo?.Status;
    }
  }

  /** One API call with the retry policy: throttling, prior-request and 5xx answers back off and retry. */
  async #call<T>(what: string, send: () => Promise<T>, signal: AbortSignal): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await send();
      } catch (err) {
        if (signal.aborted)
          throw new SwitchoverError(ErrorCode.Cancelled, `${what} was cancelled`, { cause: err });
        const e = describe(err);
        if (!e.retryable || attempt >= this.#o.maxAttempts) throw toError(what, e, attempt, err);
        const delay = Math.min(this.#o.maxDelayMs, this.#o.baseDelayMs * 2 ** (attempt - 1));
        await this.#o.sleep(delay, signal);
      }
    }
  }
}

interface AwsFailure {
  name: string;
  message: string;
  status: number | undefined;
  retryable: boolean;
}

function describe(err: unknown): AwsFailure {
  const e = err as { name?: unknown; message?: unknown; $metadata?: { httpStatusCode?: number } };
  const name = typeof e?.name === "string" ? e.name : "Error";
  const message = typeof e?.message === "string" ? e.message : String(err);
  const status = e?.$metadata?.httpStatusCode;
  return { name, message, status, retryable: RETRYABLE_NAMES.has(name) || (status ?? 0) >= 500 };
}

function toError(what: string, e: AwsFailure, attempts: number, cause: unknown): SwitchoverError {
  const details = { awsError: e.name, ...(e.status ? { httpStatus: e.status } : {}), attempts };
  const text = `Route 53 ${what} failed: ${e.name}: ${e.message}`;
  if (e.retryable) {
    return new SwitchoverError(
      ErrorCode.UpstreamUnavailable,
      `${text} (gave up after ${attempts} attempts)`,
      {
        details,
        cause,
      },
    );
  }
  if (
    e.name === "AccessDenied" ||
    e.name === "AccessDeniedException" ||
    e.name === "CredentialsProviderError" ||
    e.status === 403
  ) {
    return new SwitchoverError(ErrorCode.Forbidden, text, { details, cause });
  }
  if (e.name === "NoSuchHostedZone" || e.name === "NoSuchChange") {
    return new SwitchoverError(ErrorCode.NotFound, text, { details, cause });
  }
  if (e.name === "InvalidChangeBatch")
    return new SwitchoverError(ErrorCode.Conflict, text, { details, cause });
  if (e.name === "InvalidInput") return new SwitchoverError(ErrorCode.Validation, text, { details, cause });
  return new SwitchoverError(ErrorCode.Upstream, text, { details, cause });
}

function toRecordSet(name: string, rrset: RecordSet): NonNullable<Change["ResourceRecordSet"]> {
  return {
    Name: `${name}.`,
    Type: rrset.type,
    TTL: rrset.ttl,
    ResourceRecords: rrset.values.map((v) => ({ Value: rrset.type === "CNAME" ? `${v}.` : v })),
  };
}

/** Route 53 lists names with octal escapes ("\052" for "*"). */
function unescapeName(name: string): string {
  return name.replace(/\\(\d{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}
