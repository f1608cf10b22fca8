// dns.repoint's own logic on an in-memory provider and a self-advancing clock: waiting for lagging
// authorities, the old-TTL wait, conflicts between plan and apply, revert inputs, input validation.
import { describe, expect, it } from "vitest";
import { DnsError } from "../../dns/errors.js";
import type { AuthorityAnswer, DnsProvider, RecordSet } from "../../adapters/dns/providers/dns-provider.js";
import type { DnsZones } from "../../adapters/dns/providers/dns-zones.js";
import type { RecordType } from "../../dns/record-data.js";
import type { SwitchoverError } from "../../engine/errors.js";
import type { JsonObject } from "../../engine/json.js";
import type { Clock } from "../../engine/ports/clock.js";
import { MemoryLogger } from "../../engine/ports/logger.js";
import type { StepContext } from "../step-adapters.js";
import { emptyTargets } from "../../engine/target-catalog.js";
import { dnsRepointStep } from "./repoint.js";

const NAME = "kafka-primary.example.com";
const targets = { ...emptyTargets, dnsZones: ["prod"] };

/** A primary plus secondaries that copy it only when `sync()` is called (zone transfer lag). */
class FakeZone implements DnsProvider {
  readonly provider = "rfc2136" as const;
  readonly zone = "example.com";
  primary = new Map<string, RecordSet>();
  secondary = new Map<string, RecordSet>();
  replaces = 0;
  /** Secondary catches up after this many readEverywhere calls. */
  lagPolls = 0;
  beforeReplace: (() => void) | undefined;

  async read(name: string, type: RecordType): Promise<RecordSet | undefined> {
    return this.primary.get(`${name} ${type}`);
  }
  async replace(
    expected: RecordSet | undefined,
    desired: RecordSet | undefined,
    name: string,
    type: RecordType,
  ) {
    this.beforeReplace?.();
    const key = `${name} ${type}`;
    // Like RFC 2136 rrset-equals: values are compared, TTLs are not.
    if (this.primary.get(key)?.values.join() !== expected?.values.join()) {
      throw new DnsError(
        "NXRRSET",
        "prerequisite",
        "an RRset that must exist (with the expected values) does not (NXRRSET)",
      );
    }
    this.replaces++;
    if (desired) this.primary.set(key, desired);
    else this.primary.delete(key);
  }
  async negativeTtl(): Promise<number> {
    return 15;
  }
  async readEverywhere(name: string, type: RecordType): Promise<AuthorityAnswer[]> {
    const key = `${name} ${type}`;
    if (this.lagPolls-- <= 0) this.secondary = new Map(this.primary);
    return [
      { server: "ns1:53", rrset: this.primary.get(key) },
      { server: "ns2:53", rrset: this.secondary.get(key) },
    ];
  }
  set(rrset: RecordSet): void {
    this.primary.set(`${rrset.name} ${rrset.type}`, rrset);
    this.secondary = new Map(this.primary);
  }
}

/** Sleeps return at once and move time forward, so deadlines are exact and tests fast. */
class SteppingClock implements Clock {
  slept: number[] = [];
  constructor(public current = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.current;
  }
  async sleep(ms: number): Promise<void> {
    this.slept.push(ms);
    this.current += ms;
  }
}

function setup() {
  const zone = new FakeZone();
  const clock = new SteppingClock();
  const dns: DnsZones = { zone: () => zone };
  const ctx: StepContext = {
    runId: "r",
    stepId: "s",
    attempt: 1,
    dryRun: false,
    logger: MemoryLogger.silent(),
    signal: new AbortController().signal,
    clock,
    targets,
    scope: { params: {}, steps: {}, run: { id: "r", dryRun: false, runbook: "t" } },
    adapters: { dns } as StepContext["adapters"],
  };
  const input = (raw: Record<string, unknown>) =>
    dnsRepointStep.input(targets).parse({ zone: "prod", name: NAME, type: "CNAME", ...raw });
  return { zone, clock, ctx, input };
}

const cname = (value: string, ttl: number): RecordSet => ({
  name: NAME,
  type: "CNAME",
  ttl,
  values: [value],
});

describe("dns.repoint verification", () => {
  it("when a secondary lags, then verify polls until every authority agrees", async () => {
    const { zone, clock, ctx, input } = setup();
    zone.set(cname("dc1.example.com", 30));
    const i = input({ value: "dc2.example.com" });
    const plan = await dnsRepointStep.plan(ctx, i);
    await dnsRepointStep.apply(ctx, plan, i);
    zone.lagPolls = 3;
    const out = (await dnsRepointStep.verify(ctx, i, plan)) as JsonObject;
    expect(out.authoritativeServers).toEqual(["ns1:53", "ns2:53"]);
    expect(clock.slept).toEqual([500, 500, 500]);
  });

  it("when a secondary never catches up, then VERIFY_FAILED names it and what it answers", async () => {
    const { zone, ctx, input } = setup();
    zone.set(cname("dc1.example.com", 30));
    const i = input({ value: "dc2.example.com", verifyWithin: "5s" });
    const plan = await dnsRepointStep.plan(ctx, i);
    await dnsRepointStep.apply(ctx, plan, i);
    zone.lagPolls = Number.POSITIVE_INFINITY;
    const err = (await dnsRepointStep.verify(ctx, i, plan).catch((e: unknown) => e)) as SwitchoverError;
    expect([err.code, err.retryable, err.message]).toEqual([
      "VERIFY_FAILED",
      true,
      `${NAME} CNAME is not dc2.example.com (30) at every authoritative server after 5s: ns2:53 answers dc1.example.com (30)`,
    ]);
  });

  it("when waitForOldTtl is set, then verify sleeps the old TTL and reports when resolvers must agree", async () => {
    const { zone, clock, ctx, input } = setup();
    zone.set(cname("dc1.example.com", 300));
    const i = input({ value: "dc2.example.com", ttl: 30, waitForOldTtl: true });
    const plan = await dnsRepointStep.plan(ctx, i);
    expect(plan.outputs.oldTtl).toBe(300);
    await dnsRepointStep.apply(ctx, plan, i);
    const start = clock.now();
    const out = (await dnsRepointStep.verify(ctx, i, plan)) as JsonObject;
    expect(clock.slept).toEqual([300_000]);
    expect(out.resolversConsistentBy).toBe(new Date(start + 300_000).toISOString());
    expect(out.waitedForOldTtl).toBe(true);
  });

  it("without waitForOldTtl, then verify does not sleep but still says when resolvers must agree", async () => {
    const { zone, clock, ctx, input } = setup();
    zone.set(cname("dc1.example.com", 60));
    const i = input({ value: "dc2.example.com" });
    const plan = await dnsRepointStep.plan(ctx, i);
    await dnsRepointStep.apply(ctx, plan, i);
    const out = (await dnsRepointStep.verify(ctx, i, plan)) as JsonObject;
    expect(clock.slept).toEqual([]);
    expect(out.resolversConsistentBy).toBe(new Date(clock.now() + 60_000).toISOString());
  });
  it("when the record did not exist, then the zone's negative-caching TTL is the old TTL", async () => {
    const { clock, ctx, input } = setup();
    const i = input({ value: "dc2.example.com", ttl: 30, waitForOldTtl: true });
    const plan = await dnsRepointStep.plan(ctx, i);
    expect(plan.outputs.oldTtl).toBe(15);
    await dnsRepointStep.apply(ctx, plan, i);
    await dnsRepointStep.verify(ctx, i, plan);
    expect(clock.slept).toEqual([15_000]);
  });
});

describe("dns.repoint apply", () => {
  it("when another writer wins between the pre-check and the update, then CONFLICT says so and nothing is written", async () => {
    const { zone, ctx, input } = setup();
    zone.set(cname("dc1.example.com", 30));
    const i = input({ value: "dc2.example.com" });
    const plan = await dnsRepointStep.plan(ctx, i);
    zone.beforeReplace = () => zone.set(cname("dc3.example.com", 30));
    const err = (await dnsRepointStep.apply(ctx, plan, i).catch((e: unknown) => e)) as SwitchoverError;
    expect(err.code).toBe("CONFLICT");
    expect(err.message).toMatch(
      /^kafka-primary\.example\.com CNAME changed concurrently \(the server's check of dc1\.example\.com \(30\) failed\); nothing was changed/,
    );
    expect(zone.replaces).toBe(0);
  });

  it("when the plan has no changes, then apply sends nothing", async () => {
    const { zone, ctx, input } = setup();
    zone.set(cname("dc2.example.com", 30));
    const i = input({ value: "dc2.example.com" });
    const plan = await dnsRepointStep.plan(ctx, i);
    expect(plan.changes).toEqual([]);
    expect(plan.outputs.summary).toBe(
      `${NAME} CNAME: dc2.example.com (30) → dc2.example.com (30) (unchanged)`,
    );
    await dnsRepointStep.apply(ctx, plan, i);
    expect(zone.replaces).toBe(0);
  });
});

describe("dns.repoint revert", () => {
  const { input } = setup();
  const i = input({ value: "dc2.example.com" });
  const change = [{ resource: `${NAME} CNAME`, field: "record", from: "x", to: "y" }];

  it("restores the recorded values and TTL, from the plan even when apply's before is lost", () => {
    const plan = {
      changes: change,
      outputs: { previous: { name: NAME, type: "CNAME", ttl: 45, values: ["dc1.example.com"] } },
    };
    expect(dnsRepointStep.revert!({ input: i, plan, before: null })).toEqual({
      with: {
        zone: "prod",
        name: NAME,
        type: "CNAME",
        verifyWithin: "30s",
        value: ["dc1.example.com"],
        ttl: 45,
      },
    });
  });

  it("removes a record that did not exist, and skips a step that changed nothing", () => {
    expect(
      dnsRepointStep.revert!({
        input: i,
        plan: { changes: change, outputs: { previous: null } },
        before: null,
      }),
    ).toEqual({
      with: { zone: "prod", name: NAME, type: "CNAME", verifyWithin: "30s", absent: true },
    });
    expect(
      dnsRepointStep.revert!({ input: i, plan: { changes: [], outputs: { previous: null } }, before: null }),
    ).toBeUndefined();
  });
});

describe("dns.repoint input", () => {
  const messages = (raw: Record<string, unknown>): string[] => {
    const r = dnsRepointStep.input(targets).safeParse({ zone: "prod", name: NAME, ...raw });
    return r.success ? [] : r.error.issues.map((x) => x.message);
  };

  it("rejects contradictory or incomplete requests with one message each", () => {
    expect(messages({ type: "A", absent: true, value: "192.0.2.1" })).toEqual([
      "absent: true takes no value or ttl",
    ]);
    expect(messages({ type: "CNAME", value: ["a.example.com", "b.example.com"] })).toEqual([
      "a CNAME has exactly one value",
    ]);
    expect(messages({ type: "A", value: "192.0.2.1", ttl: -1 })).toHaveLength(1);
    expect(messages({ type: "A", value: "192.0.2.1", verifyWithin: "soon" })).toEqual([
      'expected a duration such as "30s" or "5m"',
    ]);
    expect(messages({ type: "A", value: "192.0.2.1", name: "bad..name" })).toEqual([
      'record name "bad..name" is not a valid domain name (label "")',
    ]);
    expect(messages({ type: "A", value: "192.0.2.1", extra: 1 })).toHaveLength(1);
  });
});
