// Route 53 provider and dns.repoint over it, against a mocked SDK client (no Route 53 runs here):
// the exact change batch, INSYNC polling, backoff on Throttling / PriorRequestNotComplete, and errors.
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  GetHostedZoneCommand,
  ListResourceRecordSetsCommand,
  PriorRequestNotComplete,
  Route53Client,
  Route53ServiceException,
} from "@aws-sdk/client-route-53";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SwitchoverError } from "../../../engine/errors.js";
import { systemClock } from "../../../engine/ports/clock.js";
import { MemoryLogger } from "../../../engine/ports/logger.js";
import type { StepContext } from "../../../engine/step-contract.js";
import { emptyTargets } from "../../../engine/target-catalog.js";
import { dnsRepointStep } from "../../../steps/dns/repoint.js";
import type { QueryResult } from "../query.js";
import { createDnsZones } from "./dns-zones.js";
import { Route53Provider } from "./route53-provider.js";

const r53 = mockClient(Route53Client);
const ZONE_ID = "Z0123456789ABCDEFGHIJ";
const signal = new AbortController().signal;

let sleeps: number[];
let queried: string[];

function provider(extra: Partial<ConstructorParameters<typeof Route53Provider>[0]> = {}): Route53Provider {
  return new Route53Provider({
    client: new Route53Client({ region: "us-east-1", maxAttempts: 1 }),
    zone: "example.com",
    hostedZoneId: ZONE_ID,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    resolveHost: async (host) => `192.0.2.${host.startsWith("ns-1") ? 1 : 2}`,
    query: async (server, name, type): Promise<QueryResult> => {
      queried.push(`${server} ${name} ${type}`);
      return {
        server,
        name,
        type,
        rcode: "NOERROR",
        authoritative: true,
        answers: [{ name, type: "CNAME", ttl: 60, value: "dc2-kafka.example.com" }],
      };
    },
    ...extra,
  });
}

function awsError(name: string, status: number): Route53ServiceException {
  return new Route53ServiceException({
    name,
    $fault: "client",
    $metadata: { httpStatusCode: status },
    message: `${name} happened`,
  });
}

const listing = (value: string, ttl = 60) => ({
  ResourceRecordSets: [
    {
      Name: "kafka-primary.example.com.",
      Type: "CNAME" as const,
      TTL: ttl,
      ResourceRecords: [{ Value: `${value}.` }],
    },
  ],
  IsTruncated: false,
  MaxItems: 1,
});

const current = {
  name: "kafka-primary.example.com",
  type: "CNAME" as const,
  ttl: 60,
  values: ["dc1-kafka.example.com"],
};
const desired = { ...current, values: ["dc2-kafka.example.com"] };

beforeEach(() => {
  r53.reset();
  sleeps = [];
  queried = [];
});
afterEach(() => r53.reset());

describe("Route53Provider", () => {
  it("when a record is replaced, then it sends exactly one UPSERT batch and polls GetChange until INSYNC", async () => {
    r53.on(ListResourceRecordSetsCommand).resolves(listing("dc1-kafka.example.com"));
    r53.on(ChangeResourceRecordSetsCommand).resolves({
      ChangeInfo: { Id: "/change/C1", Status: "PENDING", SubmittedAt: new Date() },
    });
    r53
      .on(GetChangeCommand)
      .resolvesOnce({ ChangeInfo: { Id: "/change/C1", Status: "PENDING", SubmittedAt: new Date() } })
      .resolves({ ChangeInfo: { Id: "/change/C1", Status: "INSYNC", SubmittedAt: new Date() } });

    await provider({ pollIntervalMs: 1_500 }).replace(
      current,
      desired,
      "kafka-primary.example.com",
      "CNAME",
      signal,
    );

    expect(r53.commandCalls(ListResourceRecordSetsCommand)[0]!.args[0].input).toEqual({
      HostedZoneId: ZONE_ID,
      StartRecordName: "kafka-primary.example.com.",
      StartRecordType: "CNAME",
      MaxItems: 1,
    });
    const changes = r53.commandCalls(ChangeResourceRecordSetsCommand);
    expect(changes).toHaveLength(1);
    expect(changes[0]!.args[0].input).toEqual({
      HostedZoneId: ZONE_ID,
      ChangeBatch: {
        Comment: "switchover dns.repoint kafka-primary.example.com CNAME",
        Changes: [
          {
            Action: "UPSERT",
            ResourceRecordSet: {
              Name: "kafka-primary.example.com.",
              Type: "CNAME",
              TTL: 60,
              ResourceRecords: [{ Value: "dc2-kafka.example.com." }],
            },
          },
        ],
      },
    });
    expect(r53.commandCalls(GetChangeCommand).map((c) => c.args[0].input)).toEqual([
      { Id: "/change/C1" },
      { Id: "/change/C1" },
    ]);
    expect(sleeps).toEqual([1_500, 1_500]);
  });

  it("when Route 53 throttles and reports PriorRequestNotComplete, then the change is retried with exponential backoff", async () => {
    r53.on(ListResourceRecordSetsCommand).resolves(listing("dc1-kafka.example.com"));
    r53
      .on(ChangeResourceRecordSetsCommand)
      .rejectsOnce(awsError("Throttling", 400))
      .rejectsOnce(
        new PriorRequestNotComplete({
          $metadata: { httpStatusCode: 400 },
          message: "The request was rejected because Route 53 was still processing a prior request.",
        }),
      )
      .rejectsOnce(awsError("Throttling", 400))
      .resolves({ ChangeInfo: { Id: "/change/C2", Status: "INSYNC", SubmittedAt: new Date() } });

    await provider({ baseDelayMs: 100, maxDelayMs: 300 }).replace(
      current,
      desired,
      "kafka-primary.example.com",
      "CNAME",
      signal,
    );

    expect(r53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(4);
    expect(sleeps).toEqual([100, 200, 300]);
    expect(r53.commandCalls(GetChangeCommand)).toHaveLength(0); // already INSYNC
  });

  it("when throttling outlasts every attempt, then a retryable UPSTREAM_UNAVAILABLE names the call and the attempts", async () => {
    r53.on(ListResourceRecordSetsCommand).resolves(listing("dc1-kafka.example.com"));
    r53.on(ChangeResourceRecordSetsCommand).rejects(awsError("Throttling", 400));
    const err = await provider({ maxAttempts: 3 })
      .replace(current, desired, "kafka-primary.example.com", "CNAME", signal)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SwitchoverError);
    const e = err as SwitchoverError;
    expect([e.code, e.retryable, e.message]).toEqual([
      "UPSTREAM_UNAVAILABLE",
      true,
      "Route 53 ChangeResourceRecordSets kafka-primary.example.com CNAME failed: Throttling: Throttling happened (gave up after 3 attempts)",
    ]);
    expect(r53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(3);
  });

  it("when access is denied, then FORBIDDEN at once, without retries", async () => {
    r53.on(ListResourceRecordSetsCommand).rejects(awsError("AccessDenied", 403));
    const err = (await provider()
      .read("kafka-primary.example.com", "CNAME", signal)
      .catch((e: unknown) => e)) as SwitchoverError;
    expect([err.code, err.retryable]).toEqual(["FORBIDDEN", false]);
    expect(r53.commandCalls(ListResourceRecordSetsCommand)).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it("when the record changed since the plan, then CONFLICT and no change batch is sent", async () => {
    r53.on(ListResourceRecordSetsCommand).resolves(listing("somewhere-else.example.com"));
    const err = (await provider()
      .replace(current, desired, "kafka-primary.example.com", "CNAME", signal)
      .catch((e: unknown) => e)) as SwitchoverError;
    expect(err.code).toBe("CONFLICT");
    expect(err.message).toBe(
      "kafka-primary.example.com CNAME changed since it was planned: expected dc1-kafka.example.com (60), found somewhere-else.example.com (60); nothing was changed",
    );
    expect(r53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(0);
  });

  it("when the desired state is absent, then it DELETEs the exact current record (Route 53 checks it)", async () => {
    r53.on(ListResourceRecordSetsCommand).resolves(listing("dc1-kafka.example.com"));
    r53
      .on(ChangeResourceRecordSetsCommand)
      .resolves({ ChangeInfo: { Id: "/change/C3", Status: "INSYNC", SubmittedAt: new Date() } });
    await provider().replace(current, undefined, "kafka-primary.example.com", "CNAME", signal);
    expect(r53.commandCalls(ChangeResourceRecordSetsCommand)[0]!.args[0].input.ChangeBatch!.Changes).toEqual([
      {
        Action: "DELETE",
        ResourceRecordSet: {
          Name: "kafka-primary.example.com.",
          Type: "CNAME",
          TTL: 60,
          ResourceRecords: [{ Value: "dc1-kafka.example.com." }],
        },
      },
    ]);
  });

  it("when verifying, then every name server of the hosted zone's delegation set is asked directly", async () => {
    r53.on(GetHostedZoneCommand).resolves({
      HostedZone: { Id: ZONE_ID, Name: "example.com.", CallerReference: "x" },
      DelegationSet: { NameServers: ["ns-1.awsdns-01.org", "ns-2.awsdns-02.com"] },
    });
    const answers = await provider().readEverywhere("kafka-primary.example.com", "CNAME", signal);
    expect(queried).toEqual([
      "192.0.2.1:53 kafka-primary.example.com CNAME",
      "192.0.2.2:53 kafka-primary.example.com CNAME",
    ]);
    expect(answers).toEqual([
      { server: "ns-1.awsdns-01.org", rrset: { ...desired } },
      { server: "ns-2.awsdns-02.com", rrset: { ...desired } },
    ]);
  });

  it("when asked for the negative-caching TTL, then it reads the SOA record: min(TTL, MINIMUM)", async () => {
    r53.on(ListResourceRecordSetsCommand).resolves({
      ResourceRecordSets: [
        {
          Name: "example.com.",
          Type: "SOA",
          TTL: 900,
          ResourceRecords: [
            { Value: "ns-1.awsdns-01.org. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 300" },
          ],
        },
      ],
      IsTruncated: false,
      MaxItems: 1,
    });
    expect(await provider().negativeTtl(signal)).toBe(300);
    expect(r53.commandCalls(ListResourceRecordSetsCommand)[0]!.args[0].input).toMatchObject({
      StartRecordName: "example.com.",
      StartRecordType: "SOA",
    });
  });

  it("when the name lies outside the zone, then nothing is called", async () => {
    await expect(provider().read("kafka.other.org", "A", signal)).rejects.toThrow(
      "kafka.other.org is outside zone example.com",
    );
    expect(r53.calls()).toHaveLength(0);
  });
});

describe("dns.repoint over Route 53", () => {
  it("plans `name type: old (ttl) → new (ttl)` from ListResourceRecordSets and applies one UPSERT", async () => {
    r53.on(ListResourceRecordSetsCommand).resolves(listing("dc1-kafka.example.com", 300));
    r53
      .on(ChangeResourceRecordSetsCommand)
      .resolves({ ChangeInfo: { Id: "/change/C4", Status: "INSYNC", SubmittedAt: new Date() } });
    const dns = createDnsZones(
      {
        prod: {
          provider: "route53",
          zone: "example.com",
          hostedZoneId: ZONE_ID,
          region: "eu-west-1",
          timeoutMs: 10_000,
        },
      },
      { route53Client: () => new Route53Client({ region: "eu-west-1", maxAttempts: 1 }) },
    );
    const targets = { ...emptyTargets, dnsZones: ["prod"] };
    const ctx = {
      runId: "r",
      stepId: "s",
      attempt: 1,
      dryRun: false,
      logger: MemoryLogger.silent(),
      signal,
      clock: systemClock,
      targets,
      scope: { params: {}, steps: {}, run: { id: "r", dryRun: false, runbook: "t" } },
      adapters: { dns } as StepContext["adapters"],
    } satisfies StepContext;
    const input = dnsRepointStep.input(targets).parse({
      zone: "prod",
      name: "kafka-primary.example.com",
      type: "CNAME",
      value: "dc2-kafka.example.com",
      ttl: 60,
    });
    const plan = await dnsRepointStep.plan(ctx, input);
    expect(plan.outputs.summary).toBe(
      "kafka-primary.example.com CNAME: dc1-kafka.example.com (300) → dc2-kafka.example.com (60)",
    );
    expect(plan.changes).toEqual([
      {
        resource: "kafka-primary.example.com CNAME",
        field: "record",
        from: "dc1-kafka.example.com (300)",
        to: "dc2-kafka.example.com (60)",
      },
    ]);
    await dnsRepointStep.apply(ctx, plan, input);
    expect(
      r53.commandCalls(ChangeResourceRecordSetsCommand)[0]!.args[0].input.ChangeBatch!.Changes![0],
    ).toEqual({
      Action: "UPSERT",
      ResourceRecordSet: {
        Name: "kafka-primary.example.com.",
        Type: "CNAME",
        TTL: 60,
        ResourceRecords: [{ Value: "dc2-kafka.example.com." }],
      },
    });
    expect(dnsRepointStep.revert!({ input, plan, before: null })).toEqual({
      with: {
        zone: "prod",
        name: "kafka-primary.example.com",
        type: "CNAME",
        verifyWithin: "30s",
        value: ["dc1-kafka.example.com"],
        ttl: 300,
      },
    });
  });
});
